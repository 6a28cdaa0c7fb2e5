// VMRUN: AMD64 APM Vol. 2 15.5 ("VMRUN Instruction"). Two separate rules, as for VMX:
//   * vmrun_exception: the instruction-level faults (15.5.1 and the VMRUN instruction page,
//     Vol. 3): #UD when EFER.SVME = 0, #GP(0) at CPL > 0 or when rAX is not a 4-KByte
//     aligned physical address below MAXPHYADDR.
//   * vmrun_consistency_checks: the guest-state and control checks of 15.5.1 ("Basic
//     Operation", the list after "VMRUN performs the following consistency checks on guest
//     state"), each one named row. Any failing row ends VMRUN in #VMEXIT(INVALID), exit code
//     -1 (vmcb_layout.hpp); the APM orders none of them before another, and a single outcome
//     results, so no outcome rule beyond "any row fails" is needed.
// The VMCB values are domain values so that the obligation "vmrun-consistency" can compare
// every row with its transcription over every VMCB.
#pragma once

#include <string>
#include <vector>

#include "spec/control_registers.hpp"
#include "spec/svm/vmcb_layout.hpp"

namespace vtspec::spec::svm {

// What a virtual CPU offers that the checks depend on (CPUID Fn8000_0001 / Fn8000_0008 /
// Fn8000_000A and the CR4/EFER bits it implements).
struct SvmCapabilities {
  unsigned maxphyaddr = 48;
  bool long_mode = true;
  bool nested_paging = true;  // Fn8000_000A_EDX[NP]
  bool flush_by_asid = true;  // Fn8000_000A_EDX[FlushByAsid]: TLB_CONTROL 3 and 7
  unsigned asids = 16;        // Fn8000_000A_EBX: number of ASIDs
  // CR4 bits the processor implements; every other bit is MBZ (APM Vol. 2 3.1.3).
  std::uint64_t cr4_defined = cr4::pae | cr4::pge | cr4::pcide | cr4::smep | cr4::smap | bit_range(10, 0) |
                              bit_at(16) | bit_at(18) | cr4::la57;
  // EFER bits the processor implements (APM Vol. 2 3.1.7); the rest are MBZ.
  std::uint64_t efer_defined = efer::sce | efer::lme | efer::lma | efer::nxe | efer::svme | efer::lmsle | efer::ffxsr;
  friend bool operator==(const SvmCapabilities&, const SvmCapabilities&) = default;
};

// The VMCB fields the checks read (offsets in vmcb_layout.hpp).
template <class D>
struct VmrunInput {
  using W = typename D::Word;
  W efer = D::word(0), cr0 = D::word(0), cr3 = D::word(0), cr4 = D::word(0), dr6 = D::word(0), dr7 = D::word(0);
  W cs_attrib = D::word(0);  // VMCB segment attribute: bit 9 = L, bit 10 = D/B (Table B-2 packing)
  W intercept_misc2 = D::word(0), asid = D::word(0), iopm_base = D::word(0), msrpm_base = D::word(0);
  W event_injection = D::word(0);
};

template <class D>
struct VmrunCheck {
  using B = typename D::Bool;
  std::string id;
  const char* apm;
  const char* rule;  // the condition that must hold, in words
  B (*holds)(const VmrunInput<D>&, const SvmCapabilities&);
};

inline constexpr std::uint64_t kIopmBytes = 12 * 1024;  // 15.10.1: three pages
inline constexpr std::uint64_t kMsrpmBytes = 8 * 1024;  // 15.11: two pages

// The table a bitmap base names lies below MAXPHYADDR: its base (bits 11:0 ignored) plus its
// size does not pass 2^MAXPHYADDR, so its last byte is a supported physical address.
template <class D>
typename D::Bool table_below_maxphyaddr(const typename D::Word& base, std::uint64_t bytes, unsigned maxphyaddr) {
  const typename D::Word start = base & D::word(~std::uint64_t{0xfff});
  const std::uint64_t limit = std::uint64_t{1} << maxphyaddr;
  return D::ult(start, D::word(limit - bytes + 1));
}

// 15.20: EVENTINJ bit 31 V, bits 10:8 TYPE (0 INTR, 2 NMI, 3 exception, 4 software
// interrupt; 1, 5-7 reserved), bits 7:0 the vector. An injection is illegal with a reserved
// TYPE, or with TYPE = 3 and a vector that is no exception: 2 (NMI) or above 31.
template <class D>
typename D::Bool event_injection_legal(const typename D::Word& inj) {
  const auto type = D::field(inj, 10, 8);
  const auto vector = D::field(inj, 7, 0);
  const auto reserved_type = type == D::word(1) || D::ult(D::word(4), type);
  const auto not_an_exception = type == D::word(3) && (vector == D::word(2) || D::ult(D::word(31), vector));
  return !D::bit(inj, 31) || !(reserved_type || not_an_exception);
}

template <class D>
std::vector<VmrunCheck<D>> vmrun_consistency_checks() {
  using In = VmrunInput<D>;
  using Caps = SvmCapabilities;
  using B = typename D::Bool;
  std::vector<VmrunCheck<D>> rows;
  auto add = [&](const char* id, const char* apm, const char* rule, B (*holds)(const In&, const Caps&)) {
    rows.push_back({id, apm, rule, holds});
  };
  add("vmrun.efer-svme", "APM Vol. 2 15.5.1", "the guest's EFER.SVME is 1",
      [](const In& in, const Caps&) -> B { return D::any(in.efer, efer::svme); });
  add("vmrun.cr0-cd-nw", "APM Vol. 2 15.5.1", "not CR0.CD = 0 with CR0.NW = 1",
      [](const In& in, const Caps&) -> B { return D::any(in.cr0, cr0::cd) || !D::any(in.cr0, cr0::nw); });
  add("vmrun.cr0-upper", "APM Vol. 2 15.5.1", "CR0[63:32] are zero",
      [](const In& in, const Caps&) -> B { return !D::any(in.cr0, cr0::upper_reserved); });
  add("vmrun.cr3-mbz", "APM Vol. 2 15.5.1, 5.3.2",
      "with EFER.LME = 1 and CR0.PG = 1, CR3 sets no bit at or above MAXPHYADDR",
      [](const In& in, const Caps& caps) -> B {
        return !(D::any(in.efer, efer::lme) && D::any(in.cr0, cr0::pg)) || !D::any(in.cr3, bit_range(63, caps.maxphyaddr));
      });
  add("vmrun.cr4-mbz", "APM Vol. 2 15.5.1, 3.1.3", "CR4 sets no bit the processor does not implement",
      [](const In& in, const Caps& caps) -> B { return !D::any(in.cr4, ~caps.cr4_defined); });
  add("vmrun.dr6-upper", "APM Vol. 2 15.5.1", "DR6[63:32] are zero",
      [](const In& in, const Caps&) -> B { return !D::any(in.dr6, bit_range(63, 32)); });
  add("vmrun.dr7-upper", "APM Vol. 2 15.5.1", "DR7[63:32] are zero",
      [](const In& in, const Caps&) -> B { return !D::any(in.dr7, bit_range(63, 32)); });
  add("vmrun.efer-mbz", "APM Vol. 2 15.5.1, 3.1.7", "EFER sets no bit the processor does not implement",
      [](const In& in, const Caps& caps) -> B { return !D::any(in.efer, ~caps.efer_defined); });
  add("vmrun.long-mode-supported", "APM Vol. 2 15.5.1",
      "EFER.LMA and EFER.LME are zero when the processor does not support long mode",
      [](const In& in, const Caps& caps) -> B { return D::truth(caps.long_mode) || !D::any(in.efer, efer::lma | efer::lme); });
  add("vmrun.long-mode-pae", "APM Vol. 2 15.5.1", "not EFER.LME = 1 and CR0.PG = 1 with CR4.PAE = 0",
      [](const In& in, const Caps&) -> B {
        return !(D::any(in.efer, efer::lme) && D::any(in.cr0, cr0::pg)) || D::any(in.cr4, cr4::pae);
      });
  add("vmrun.long-mode-pe", "APM Vol. 2 15.5.1", "not EFER.LME = 1 and CR0.PG = 1 with CR0.PE = 0",
      [](const In& in, const Caps&) -> B {
        return !(D::any(in.efer, efer::lme) && D::any(in.cr0, cr0::pg)) || D::any(in.cr0, cr0::pe);
      });
  add("vmrun.long-mode-cs", "APM Vol. 2 15.5.1", "not EFER.LME, CR0.PG, CR4.PAE, CS.L and CS.D all 1",
      [](const In& in, const Caps&) -> B {
        return !(D::any(in.efer, efer::lme) && D::any(in.cr0, cr0::pg) && D::any(in.cr4, cr4::pae) &&
                 D::bit(in.cs_attrib, 9) && D::bit(in.cs_attrib, 10));
      });
  add("vmrun.intercept-vmrun", "APM Vol. 2 15.5.1", "the VMRUN intercept bit is set",
      [](const In& in, const Caps&) -> B { return D::bit(in.intercept_misc2, intercept2::vmrun); });
  add("vmrun.iopm-below-maxphyaddr", "APM Vol. 2 15.5.1, 15.10.1",
      "the 12-KByte I/O permission map lies below MAXPHYADDR",
      [](const In& in, const Caps& caps) -> B { return table_below_maxphyaddr<D>(in.iopm_base, kIopmBytes, caps.maxphyaddr); });
  add("vmrun.msrpm-below-maxphyaddr", "APM Vol. 2 15.5.1, 15.11",
      "the 8-KByte MSR permission map lies below MAXPHYADDR",
      [](const In& in, const Caps& caps) -> B { return table_below_maxphyaddr<D>(in.msrpm_base, kMsrpmBytes, caps.maxphyaddr); });
  add("vmrun.event-injection", "APM Vol. 2 15.5.1, 15.20",
      "EVENTINJ is not valid with a reserved TYPE, nor with TYPE = 3 and vector 2 or above 31",
      [](const In& in, const Caps&) -> B { return event_injection_legal<D>(in.event_injection); });
  add("vmrun.asid-nonzero", "APM Vol. 2 15.5.1, 15.16", "the guest ASID is not 0 (ASID 0 is the host's)",
      [](const In& in, const Caps&) -> B { return D::field(in.asid, 31, 0) != D::word(0); });
  return rows;
}

// Does VMRUN pass every consistency check? (false: #VMEXIT(INVALID))
template <class D>
typename D::Bool vmrun_consistent(const VmrunInput<D>& in, const SvmCapabilities& caps) {
  typename D::Bool ok = D::truth(true);
  for (const auto& row : vmrun_consistency_checks<D>()) ok = ok && row.holds(in, caps);
  return ok;
}

// The instruction-level outcome of VMRUN before any VMCB check: 6 (#UD), 13 (#GP(0)), or
// 0 when VMRUN proceeds to its consistency checks.
constexpr unsigned vmrun_exception(std::uint64_t host_efer, unsigned cpl, std::uint64_t rax, unsigned maxphyaddr) {
  if (!(host_efer & efer::svme)) return 6;
  if (cpl > 0) return 13;
  if ((rax & 0xfff) != 0 || (rax & bit_range(63, maxphyaddr)) != 0) return 13;
  return 0;
}

}  // namespace vtspec::spec::svm
