// Architectural bits of the registers that control paging, as masks: CR0 and CR4 (SDM Vol.
// 3A 2.5, Figure 2-7), CR3 in IA-32e mode (Vol. 3A 4.5, Tables 4-12 and 4-13; 4.10.1 for
// PCIDs), IA32_EFER (Vol. 3A 2.2.1, Table 2-1; Vol. 4 MSR C000_0080H) and RFLAGS (Vol. 1
// 3.4.3, Figure 3-8). Only the bits some rule or target reads are named.
#pragma once

#include "spec/domain.hpp"

namespace vtspec::spec {

namespace cr0 {
inline constexpr std::uint64_t pe = bit_at(0);   // protection enable
inline constexpr std::uint64_t et = bit_at(4);   // extension type (reads as 1)
inline constexpr std::uint64_t wp = bit_at(16);  // write protect
inline constexpr std::uint64_t nw = bit_at(29);  // not write-through
inline constexpr std::uint64_t cd = bit_at(30);  // cache disable
inline constexpr std::uint64_t pg = bit_at(31);  // paging
// 2.5: "Bits 63:32 of CR0 and CR4 are reserved and must be written with zeros."
inline constexpr std::uint64_t upper_reserved = bit_range(63, 32);
}  // namespace cr0

namespace cr3 {
inline constexpr std::uint64_t pcid = bit_range(11, 0);  // with CR4.PCIDE = 1 (4.10.1)
// Bit 63 of a MOV to CR3 source with CR4.PCIDE = 1: do not invalidate (4.10.4.1); never
// written to CR3.
inline constexpr std::uint64_t no_flush = bit_at(63);
}  // namespace cr3

namespace cr4 {
inline constexpr std::uint64_t pae = bit_at(5);
inline constexpr std::uint64_t pge = bit_at(7);
inline constexpr std::uint64_t la57 = bit_at(12);
inline constexpr std::uint64_t pcide = bit_at(17);
inline constexpr std::uint64_t smep = bit_at(20);
inline constexpr std::uint64_t smap = bit_at(21);
inline constexpr std::uint64_t pke = bit_at(22);
inline constexpr std::uint64_t cet = bit_at(23);
inline constexpr std::uint64_t pks = bit_at(24);
}  // namespace cr4

namespace efer {
inline constexpr std::uint64_t sce = bit_at(0);   // SYSCALL enable
inline constexpr std::uint64_t lme = bit_at(8);   // IA-32e mode enable
inline constexpr std::uint64_t lma = bit_at(10);  // IA-32e mode active
inline constexpr std::uint64_t nxe = bit_at(11);  // execute-disable enable
}  // namespace efer

namespace rflags {
inline constexpr std::uint64_t ac = bit_at(18);  // alignment check / access control (SMAP)
}  // namespace rflags

}  // namespace vtspec::spec
