// The checks MOV to CR0, MOV to CR3, MOV to CR4, INVPCID, WRMSR to IA32_EFER and WRPKRU make
// before they change anything: SDM Vol. 2B "MOV-Move to/from Control Registers", "INVPCID",
// "WRMSR" and "WRPKRU" (their Protected Mode and 64-Bit Mode Exceptions), Vol. 3A 2.5
// (control registers), 4.1.2 (paging-mode enabling), 4.10.1 (PCIDs), Vol. 4 (IA32_EFER).
//
// Two steps, in the manner of tlb_invalidation.hpp:
//   mov_to_cr0_check(...) etc. -> which check failed (a ControlRegisterCheck, in a Word)
//   exception_for(check)       -> the exception it raises (every one is #GP(0))
// so a report can name the rule, not just the exception. Checks are listed in SDM order and
// the first that fails is the one named; all raise the same exception, so the order decides
// only the name.
//
// Not modelled: the CPL > 0 check (the model's instructions run at CPL 0), CR8, LAM's CR3
// bits 62:61, and the PDPTE loads of PAE paging (the model uses IA-32e paging only). The
// machine executes 64-bit code whenever IA32_EFER.LMA = 1, so "in 64-bit mode" is LMA.
#pragma once

#include <initializer_list>
#include <optional>
#include <utility>

#include "spec/control_registers.hpp"

namespace vtspec::spec {

enum class ControlRegisterCheck : std::uint8_t {
  passed = 0,
  // MOV to CR0
  cr0_upper_bits_set,          // 2.5: bits 63:32 must be written with zeros
  cr0_pg_without_pe,           // MOV: "setting the PG flag to 1 when the PE flag is set to 0"
  cr0_nw_without_cd,           // MOV: "setting the CD flag to 0 when the NW flag is set to 1"
  cr0_clears_pg_in_64_bit_mode,  // MOV, 64-Bit Mode Exceptions: "attempting to clear CR0.PG"
  cr0_clears_pg_with_pcide,    // MOV: "clear CR0.PG[bit 31] while CR4.PCIDE = 1"
  cr0_sets_pg_with_lme_without_pae,  // 4.1.2: paging cannot be enabled with LME = 1 and PAE = 0
  cr0_clears_wp_with_cet,      // 2.5 (CR4.CET), MOV: "clear CR0.WP while CR4.CET = 1"
  // MOV to CR3
  cr3_reserved_bits_set,       // MOV: "write a 1 to any reserved bit in CR3" (bits 63:MAXPHYADDR)
  // MOV to CR4
  cr4_reserved_bits_set,       // MOV: "write a 1 to any reserved bit in CR4" (unsupported features)
  cr4_clears_pae_in_ia32e_mode,  // MOV: "leave IA-32e mode by clearing CR4.PAE"; 4.1.2
  cr4_changes_la57_in_ia32e_mode,  // 2.5 (CR4.LA57), 4.1.1: LA57 cannot change while LMA = 1
  cr4_sets_pcide_outside_ia32e_mode,  // 4.10.1: PCIDE can be set only if IA32_EFER.LMA = 1
  cr4_sets_pcide_with_cr3_pcid,  // 4.10.1, MOV: PCIDE 0 -> 1 while CR3[11:0] != 000H
  cr4_sets_cet_without_wp,     // 2.5 (CR4.CET): CET can be set only if CR0.WP is set
  // INVPCID
  invpcid_type_above_3,        // INVPCID: "INVPCID_TYPE > 3"
  invpcid_descriptor_reserved,  // INVPCID: "bits 63:12 of INVPCID_DESC are not all zero"
  invpcid_pcid_without_pcide,  // INVPCID: PCIDE = 0, type 0 or 1, INVPCID_DESC[11:0] != 0
  invpcid_noncanonical_address,  // INVPCID: type 0 and INVPCID_DESC[127:64] not canonical
  invpcid_unsupported,         // INVPCID #UD: CPUID.(EAX=07H,ECX=0):EBX.INVPCID[bit 10] = 0
  // WRMSR to IA32_EFER (MSR C0000080H)
  efer_reserved_bits_set,      // WRMSR: "a reserved bit is set"; Vol. 4: bits 0, 8, 10, 11 defined
  efer_nxe_without_nx,         // Vol. 4 IA32_EFER: NXE exists only with CPUID.80000001H:EDX.NX
  efer_lme_changes_while_paging,  // Vol. 3A 10.8.5: LME cannot change while CR0.PG = 1
  // WRPKRU
  wrpkru_without_pke,          // WRPKRU #UD: CR4.PKE = 0
};

// The processor facts the checks depend on.
struct ControlRegisterSupport {
  std::uint64_t cr4_reserved = 0;  // CR4 bits reserved on this processor (features it lacks)
  unsigned maxphyaddr = 46;
  bool nx = true;                  // CPUID.80000001H:EDX.NX
  bool invpcid = true;             // CPUID.(EAX=07H,ECX=0):EBX.INVPCID
};

// The registers as the instruction finds them.
template <class D>
struct ControlRegisterState {
  typename D::Word cr0 = D::word(cr0::pe | cr0::pg);
  typename D::Word cr3 = D::word(0);
  typename D::Word cr4 = D::word(cr4::pae);
  typename D::Word efer = D::word(efer::lme | efer::lma);
};

namespace control_checks {

// The first check whose condition holds, as a Word holding its ControlRegisterCheck.
template <class D>
typename D::Word first_failing(std::initializer_list<std::pair<ControlRegisterCheck, typename D::Bool>> checks) {
  typename D::Word failed = D::word(static_cast<std::uint64_t>(ControlRegisterCheck::passed));
  for (auto it = std::rbegin(checks); it != std::rend(checks); ++it)
    failed = D::ite(it->second, D::word(static_cast<std::uint64_t>(it->first)), failed);
  return failed;
}

template <class D>
typename D::Bool set(const typename D::Word& value, std::uint64_t bits) {
  return D::any(value, bits);
}

}  // namespace control_checks

template <class D>
typename D::Word mov_to_cr0_check(const ControlRegisterState<D>& s, const typename D::Word& value) {
  using control_checks::set;
  using C = ControlRegisterCheck;
  const auto pg = set<D>(value, cr0::pg);
  const auto ia32e = set<D>(s.efer, efer::lma);
  return control_checks::first_failing<D>({
      {C::cr0_upper_bits_set, set<D>(value, cr0::upper_reserved)},
      {C::cr0_pg_without_pe, pg && !set<D>(value, cr0::pe)},
      {C::cr0_nw_without_cd, set<D>(value, cr0::nw) && !set<D>(value, cr0::cd)},
      {C::cr0_clears_pg_in_64_bit_mode, ia32e && !pg},
      {C::cr0_clears_pg_with_pcide, !pg && set<D>(s.cr4, cr4::pcide)},
      {C::cr0_sets_pg_with_lme_without_pae,
       pg && !set<D>(s.cr0, cr0::pg) && set<D>(s.efer, efer::lme) && !set<D>(s.cr4, cr4::pae)},
      {C::cr0_clears_wp_with_cet, !set<D>(value, cr0::wp) && set<D>(s.cr4, cr4::cet)},
  });
}

// With CR4.PCIDE = 1 bit 63 of the source is the no-flush hint and is not written to CR3
// (4.10.4.1); every other bit from MAXPHYADDR up is reserved (4.5, Tables 4-12 and 4-13).
template <class D>
typename D::Word mov_to_cr3_check(const ControlRegisterState<D>& s, const typename D::Word& value,
                                  const ControlRegisterSupport& support) {
  const typename D::Word written = D::ite(control_checks::set<D>(s.cr4, cr4::pcide), value & D::word(~cr3::no_flush), value);
  return control_checks::first_failing<D>({
      {ControlRegisterCheck::cr3_reserved_bits_set, D::any(written, bit_range(63, support.maxphyaddr))},
  });
}

template <class D>
typename D::Word mov_to_cr4_check(const ControlRegisterState<D>& s, const typename D::Word& value,
                                  const ControlRegisterSupport& support) {
  using control_checks::set;
  using C = ControlRegisterCheck;
  const auto ia32e = set<D>(s.efer, efer::lma);
  const auto sets_pcide = set<D>(value, cr4::pcide) && !set<D>(s.cr4, cr4::pcide);
  return control_checks::first_failing<D>({
      {C::cr4_reserved_bits_set, set<D>(value, support.cr4_reserved)},
      {C::cr4_clears_pae_in_ia32e_mode, ia32e && !set<D>(value, cr4::pae)},
      {C::cr4_changes_la57_in_ia32e_mode, ia32e && set<D>(value ^ s.cr4, cr4::la57)},
      {C::cr4_sets_pcide_outside_ia32e_mode, sets_pcide && !ia32e},
      {C::cr4_sets_pcide_with_cr3_pcid, sets_pcide && set<D>(s.cr3, cr3::pcid)},
      {C::cr4_sets_cet_without_wp, set<D>(value, cr4::cet) && !set<D>(s.cr0, cr0::wp)},
  });
}

// Canonical: bits 63:47 all equal (4-level paging), bits 63:56 with CR4.LA57 = 1 (Vol. 3A
// 4.5, Vol. 1 3.3.7.1).
template <class D>
typename D::Bool canonical(const ControlRegisterState<D>& s, const typename D::Word& linear) {
  const auto sign_extended = [&](unsigned top) {
    const std::uint64_t upper = bit_range(63, top);
    return (linear & D::word(upper)) == D::word(0) || (linear & D::word(upper)) == D::word(upper);
  };
  return D::ite(control_checks::set<D>(s.cr4, cr4::la57), sign_extended(56), sign_extended(47));
}

// INVPCID with INVPCID_TYPE `type` and the descriptor's PCID field (bits 63:0) and linear
// address (bits 127:64).
template <class D>
typename D::Word invpcid_check(const ControlRegisterState<D>& s, const typename D::Word& type,
                               const typename D::Word& descriptor_pcid, const typename D::Word& linear) {
  using C = ControlRegisterCheck;
  const auto single = type == D::word(0) || type == D::word(1);
  return control_checks::first_failing<D>({
      {C::invpcid_type_above_3, D::any(type, ~std::uint64_t{3})},
      {C::invpcid_descriptor_reserved, D::any(descriptor_pcid, bit_range(63, 12))},
      {C::invpcid_pcid_without_pcide,
       single && D::any(descriptor_pcid, cr3::pcid) && !control_checks::set<D>(s.cr4, cr4::pcide)},
      {C::invpcid_noncanonical_address, type == D::word(0) && !canonical<D>(s, linear)},
  });
}

// WRMSR to IA32_EFER with `value`. LMA (bit 10) is read-only: written values are ignored
// there (Vol. 4 IA32_EFER "IA-32e Mode Active (R)"), so it is not checked.
template <class D>
typename D::Word wrmsr_efer_check(const ControlRegisterState<D>& s, const typename D::Word& value,
                                  const ControlRegisterSupport& support) {
  using control_checks::set;
  using C = ControlRegisterCheck;
  return control_checks::first_failing<D>({
      {C::efer_reserved_bits_set, set<D>(value, ~(efer::sce | efer::lme | efer::lma | efer::nxe))},
      {C::efer_nxe_without_nx, set<D>(value, efer::nxe) && D::truth(!support.nx)},
      {C::efer_lme_changes_while_paging, set<D>(value ^ s.efer, efer::lme) && set<D>(s.cr0, cr0::pg)},
  });
}

// WRPKRU (ECX = EDX = 0 as the model issues it, so never its #GP).
template <class D>
typename D::Word wrpkru_check(const ControlRegisterState<D>& s) {
  return control_checks::first_failing<D>({{ControlRegisterCheck::wrpkru_without_pke, !control_checks::set<D>(s.cr4, cr4::pke)}});
}

// Every check above raises #GP(0) (the instruction pages' exception lists), except the #UD
// ones: an instruction the processor does not enumerate, or WRPKRU with CR4.PKE = 0.
struct ArchitecturalException {
  std::uint8_t vector;
  std::uint32_t error_code;
  friend bool operator==(const ArchitecturalException&, const ArchitecturalException&) = default;
};
inline constexpr std::uint8_t kGeneralProtectionVector = 13, kInvalidOpcodeVector = 6;

constexpr std::optional<ArchitecturalException> exception_for(ControlRegisterCheck check) {
  if (check == ControlRegisterCheck::passed) return std::nullopt;
  if (check == ControlRegisterCheck::invpcid_unsupported || check == ControlRegisterCheck::wrpkru_without_pke)
    return ArchitecturalException{kInvalidOpcodeVector, 0};
  return ArchitecturalException{kGeneralProtectionVector, 0};
}

inline const char* to_string(ControlRegisterCheck check) {
  using C = ControlRegisterCheck;
  switch (check) {
    case C::passed: return "passed";
    case C::cr0_upper_bits_set: return "MOV to CR0: bits 63:32 set (Vol. 3A 2.5)";
    case C::cr0_pg_without_pe: return "MOV to CR0: PG = 1 with PE = 0 (Vol. 2B MOV)";
    case C::cr0_nw_without_cd: return "MOV to CR0: NW = 1 with CD = 0 (Vol. 2B MOV)";
    case C::cr0_clears_pg_in_64_bit_mode: return "MOV to CR0: clears PG in 64-bit mode (Vol. 2B MOV)";
    case C::cr0_clears_pg_with_pcide: return "MOV to CR0: clears PG while CR4.PCIDE = 1 (Vol. 2B MOV)";
    case C::cr0_sets_pg_with_lme_without_pae: return "MOV to CR0: sets PG with EFER.LME = 1 and CR4.PAE = 0 (Vol. 3A 4.1.2)";
    case C::cr0_clears_wp_with_cet: return "MOV to CR0: clears WP while CR4.CET = 1 (Vol. 3A 2.5)";
    case C::cr3_reserved_bits_set: return "MOV to CR3: reserved bit 63:MAXPHYADDR set (Vol. 2B MOV, Vol. 3A 4.5)";
    case C::cr4_reserved_bits_set: return "MOV to CR4: reserved bit set (Vol. 2B MOV, Vol. 3A 2.5)";
    case C::cr4_clears_pae_in_ia32e_mode: return "MOV to CR4: clears PAE in IA-32e mode (Vol. 2B MOV, Vol. 3A 4.1.2)";
    case C::cr4_changes_la57_in_ia32e_mode: return "MOV to CR4: changes LA57 in IA-32e mode (Vol. 3A 2.5)";
    case C::cr4_sets_pcide_outside_ia32e_mode: return "MOV to CR4: sets PCIDE with EFER.LMA = 0 (Vol. 3A 4.10.1)";
    case C::cr4_sets_pcide_with_cr3_pcid: return "MOV to CR4: sets PCIDE while CR3[11:0] != 0 (Vol. 3A 4.10.1)";
    case C::cr4_sets_cet_without_wp: return "MOV to CR4: sets CET while CR0.WP = 0 (Vol. 3A 2.5)";
    case C::invpcid_type_above_3: return "INVPCID: type > 3 (Vol. 2B INVPCID)";
    case C::invpcid_descriptor_reserved: return "INVPCID: descriptor bits 63:12 set (Vol. 2B INVPCID)";
    case C::invpcid_pcid_without_pcide: return "INVPCID: PCID != 0 in type 0/1 with CR4.PCIDE = 0 (Vol. 2B INVPCID)";
    case C::invpcid_noncanonical_address: return "INVPCID: non-canonical address in type 0 (Vol. 2B INVPCID)";
    case C::invpcid_unsupported: return "INVPCID: CPUID.INVPCID = 0, #UD (Vol. 2B INVPCID)";
    case C::efer_reserved_bits_set: return "WRMSR IA32_EFER: reserved bit set (Vol. 2B WRMSR, Vol. 4)";
    case C::efer_nxe_without_nx: return "WRMSR IA32_EFER: NXE without CPUID NX (Vol. 4)";
    case C::efer_lme_changes_while_paging: return "WRMSR IA32_EFER: LME changes while CR0.PG = 1 (Vol. 3A 10.8.5)";
    case C::wrpkru_without_pke: return "WRPKRU: CR4.PKE = 0, #UD (Vol. 2B WRPKRU)";
  }
  return "?";
}

}  // namespace vtspec::spec
