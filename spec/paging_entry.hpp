// Bit layout of an IA-32e (4-level / 5-level) paging-structure entry and the reserved-bit
// rules, SDM Vol. 3A 4.5 (Tables 4-14 to 4-20) and 4.6.2 (protection keys).
#pragma once

#include "spec/domain.hpp"
#include "spec/paging_mode.hpp"

namespace vtspec::spec::pte {

inline constexpr unsigned present = 0;
inline constexpr unsigned writable = 1;       // R/W
inline constexpr unsigned user = 2;           // U/S
inline constexpr unsigned write_through = 3;  // PWT
inline constexpr unsigned cache_disable = 4;  // PCD
inline constexpr unsigned accessed = 5;
inline constexpr unsigned dirty = 6;          // leaf only
inline constexpr unsigned page_size = 7;      // PS in PDPTE/PDE; reserved in PML4E/PML5E
inline constexpr unsigned global = 8;         // leaf only
inline constexpr unsigned large_pat = 12;     // PAT bit of a 2-MByte / 1-GByte leaf
inline constexpr unsigned execute_disable = 63;
inline constexpr unsigned protection_key_lo = 59;  // bits 62:59, leaf only

// Levels whose entries may map a page: PDPTE (1 GByte), PDE (2 MByte), PTE (4 KByte).
// 1-GByte pages need CPUID.80000001H:EDX.Page1GB; without it PS in a PDPTE is reserved.
constexpr bool level_can_map(unsigned level) { return level <= 3; }

// Reserved bits of a present entry at `level` that maps a page when `large` (PS=1) or
// references a table otherwise, independent of EFER.NXE (handled separately because NXE is
// a run-time control). SDM 4.5: bits 51:MAXPHYADDR always; PS in PML4E/PML5E; address bits
// 29:13 of a 1-GByte leaf and 20:13 of a 2-MByte leaf (bit 12 is PAT there).
constexpr std::uint64_t reserved_mask(unsigned level, bool large, unsigned maxphyaddr, bool page1gb) {
  std::uint64_t mask = above_maxphyaddr_mask(maxphyaddr);
  if (level >= 4) mask |= bit_at(page_size);
  if (large && level == 3) mask |= page1gb ? bit_range(29, 13) : bit_at(page_size);
  if (large && level == 2) mask |= bit_range(20, 13);
  return mask;
}

// Physical address bits a leaf at `level` contributes; the rest come from the linear address.
constexpr std::uint64_t leaf_frame_mask(unsigned level, unsigned maxphyaddr) {
  return frame_mask(maxphyaddr) & ~((std::uint64_t{1} << index_shift(level)) - 1);
}

}  // namespace vtspec::spec::pte
