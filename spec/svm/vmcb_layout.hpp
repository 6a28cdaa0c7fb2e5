// The VMCB: AMD64 APM Vol. 2 Appendix B ("Layout of VMCB"), Table B-1 (control area, offsets
// 000h-3FFh) and Table B-2 (state-save area, from 400h). Only the fields vtspec's rules and
// the L1 harness use are named; each offset is the byte offset from the VMCB's start.
// Intercept vector bit numbers follow Table B-1; exit codes Appendix C ("SVM Intercept
// Exit Codes").
#pragma once

#include <cstdint>

namespace vtspec::spec::svm {

namespace vmcb {
// Control area (Table B-1).
inline constexpr std::uint32_t intercept_cr_read = 0x000;    // 16 bits: CR0-CR15 reads
inline constexpr std::uint32_t intercept_cr_write = 0x002;   // 16 bits: CR0-CR15 writes
inline constexpr std::uint32_t intercept_dr_read = 0x004;
inline constexpr std::uint32_t intercept_dr_write = 0x006;
inline constexpr std::uint32_t intercept_exceptions = 0x008; // 32 bits: vector n = bit n
inline constexpr std::uint32_t intercept_misc1 = 0x00c;      // 32 bits, bits below
inline constexpr std::uint32_t intercept_misc2 = 0x010;      // 32 bits, bits below
inline constexpr std::uint32_t iopm_base_pa = 0x040;
inline constexpr std::uint32_t msrpm_base_pa = 0x048;
inline constexpr std::uint32_t tsc_offset = 0x050;
inline constexpr std::uint32_t guest_asid = 0x058;           // 32 bits
inline constexpr std::uint32_t tlb_control = 0x05c;          // 8 bits
inline constexpr std::uint32_t int_ctl = 0x060;
inline constexpr std::uint32_t exit_code = 0x070;
inline constexpr std::uint32_t exit_info1 = 0x078;
inline constexpr std::uint32_t exit_info2 = 0x080;
inline constexpr std::uint32_t exit_int_info = 0x088;
inline constexpr std::uint32_t nested_control = 0x090;       // bit 0 NP_ENABLE
inline constexpr std::uint32_t event_injection = 0x0a8;      // EVENTINJ, 15.20
inline constexpr std::uint32_t nested_cr3 = 0x0b0;           // nCR3
inline constexpr std::uint32_t clean_bits = 0x0c0;           // 15.15.3
inline constexpr std::uint32_t next_rip = 0x0c8;
// State-save area (Table B-2). Segments are {selector 16, attrib 16, limit 32, base 64}.
inline constexpr std::uint32_t save_es = 0x400, save_cs = 0x410, save_ss = 0x420, save_ds = 0x430;
inline constexpr std::uint32_t save_gdtr = 0x460, save_idtr = 0x480, save_tr = 0x490;
inline constexpr std::uint32_t save_cpl = 0x4cb;
inline constexpr std::uint32_t save_efer = 0x4d0;
inline constexpr std::uint32_t save_cr4 = 0x548, save_cr3 = 0x550, save_cr0 = 0x558;
inline constexpr std::uint32_t save_dr7 = 0x560, save_dr6 = 0x568;
inline constexpr std::uint32_t save_rflags = 0x570, save_rip = 0x578, save_rsp = 0x5d8, save_rax = 0x5f8;
inline constexpr std::uint32_t save_cr2 = 0x640, save_g_pat = 0x668;
inline constexpr std::uint32_t size = 0x1000;
}  // namespace vmcb

// Intercept bits of the control area's word at 00Ch (Table B-1).
namespace intercept1 {
inline constexpr unsigned hlt = 24, invlpg = 25, invlpga = 26, shutdown = 31;
}
// ... and of the word at 010h.
namespace intercept2 {
inline constexpr unsigned vmrun = 0, vmmcall = 1;
}

// Exit codes (Appendix C).
namespace exit_code {
inline constexpr std::uint64_t read_cr0 = 0x000;   // + n for CRn
inline constexpr std::uint64_t write_cr0 = 0x010;  // + n for CRn
inline constexpr std::uint64_t exception0 = 0x040; // + vector
inline constexpr std::uint64_t hlt = 0x078, invlpg = 0x079, invlpga = 0x07a, shutdown = 0x07f;
inline constexpr std::uint64_t vmrun = 0x080, vmmcall = 0x081;
inline constexpr std::uint64_t npf = 0x400;
inline constexpr std::uint64_t invalid = ~std::uint64_t{0};  // VMEXIT_INVALID (-1)
}  // namespace exit_code

// TLB_CONTROL values (Table B-1 byte 05Ch; 15.16.1). 3 and 7 need CPUID Fn8000_000A_EDX
// [FlushByAsid]; every other value is reserved (15.5.1 lists an illegal TLB_CONTROL among the
// VMRUN consistency checks on such processors).
namespace tlb_control {
inline constexpr unsigned do_nothing = 0, flush_all = 1, flush_guest = 3, flush_guest_non_global = 7;
}

// EFER bits used by the SVM rules (APM Vol. 2 3.1.7).
namespace efer {
inline constexpr std::uint64_t sce = 1ull << 0, lme = 1ull << 8, lma = 1ull << 10, nxe = 1ull << 11,
                               svme = 1ull << 12, lmsle = 1ull << 13, ffxsr = 1ull << 14, tce = 1ull << 15;
}

}  // namespace vtspec::spec::svm
