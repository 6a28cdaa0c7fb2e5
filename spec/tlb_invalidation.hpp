// Exactly which cached entries each operation is REQUIRED to invalidate: SDM Vol. 3A
// 4.10.4.1 ("Operations that Invalidate TLBs and Paging-Structure Caches"), and Vol. 3C
// 29.4.3.1 (VPIDs, EPT: linear, combined and guest-physical mappings), plus the INVLPG,
// INVPCID, INVVPID and INVEPT pages of Vol. 2; for AMD-V, VMRUN's TLB_CONTROL and INVLPGA
// (AMD64 APM Vol. 2 15.16.1-15.16.2 and the INVLPGA page of Vol. 3). The processor may always invalidate more
// (4.10.4.1, last paragraph); what is modelled here is the minimum, because that minimum
// decides which stale entries an access may still use.
//
// Two steps, both domain-generic:
//   required_invalidation(request) -> InvalidationScope   (the SDM rule for one operation)
//   removes(scope, entry tags)     -> Bool                 (is this entry within the reach)
// removes() is the conjunction of named clauses (reach_clauses), so the clause that spares
// an entry can be reported without restating the rule.
// The operation kind and INVxxx type are concrete (they select the rule); operands, the
// current context and register values are domain values, so a proof can quantify over them.
#pragma once

#include <array>
#include <optional>

#include "spec/control_registers.hpp"
#include "spec/tlb_tags.hpp"

namespace vtspec::spec {

enum class InvalidationKind : std::uint8_t {
  invlpg,          // INVLPG linear
  mov_cr3,         // MOV to CR3 new_value (bit 63 = no-flush when CR4.PCIDE = 1)
  mov_cr4,         // MOV to CR4 old_value -> new_value
  mov_cr0,         // MOV to CR0 old_value -> new_value
  invpcid,         // INVPCID type 0-3 with pcid / linear
  invvpid,         // INVVPID type 0-3 with vpid / linear
  invept,          // INVEPT type 1-2 with ep4ta
  vmx_transition,  // VM entry or VM exit of a VM whose "enable VPID" is vpid_enabled
  page_fault,      // a #PF on linear (4.10.4.1, "page-fault exceptions")
  ept_violation,   // an EPT violation on guest_physical, of linear when linear_valid (29.4.3.1)
  svm_tlb_control, // VMRUN with TLB_CONTROL = type for the guest ASID asid (APM Vol. 2 15.16.1)
  invlpga,         // INVLPGA linear (rAX), asid (ECX) (APM Vol. 2 15.16.2)
};

// The reach of one invalidation.
template <class D>
struct InvalidationScope {
  using W = typename D::Word;
  using B = typename D::Bool;
  // Which kinds of mapping are reached at all.
  B linear = D::truth(false);
  B combined = D::truth(false);
  B guest_physical = D::truth(false);
  // Linear-tagged entries: which VPIDs and PCIDs.
  B any_vpid = D::truth(false);
  W vpid = D::word(0);
  B spare_vpid0 = D::truth(false);         // INVVPID all-context leaves VPID 0000H alone
  B any_asid = D::truth(true);             // linear-tagged entries of every ASID, or only `asid`
  W asid = D::word(0);
  B any_pcid = D::truth(false);
  W pcid = D::word(0);
  B globals_of_page_any_pcid = D::truth(false);  // INVLPG: global entries for the page, any PCID
  B keep_global = D::truth(false);         // global TLB entries survive
  // EPT-tagged entries: which EP4TAs.
  B any_ep4ta = D::truth(true);
  W ep4ta = D::word(0);
  // Address restriction for linear-tagged entries: TLB entries for the page of `linear`;
  // paging-structure-cache entries either all (in the tags above) or only those on the path.
  B one_linear = D::truth(false);
  W linear_address = D::word(0);
  B structures_on_path_only = D::truth(false);
  // Address restriction for guest-physical mappings.
  B one_guest_physical = D::truth(false);
  W guest_physical_address = D::word(0);
};

template <class D>
struct InvalidationRequest {
  using W = typename D::Word;
  using B = typename D::Bool;
  InvalidationKind kind = InvalidationKind::invlpg;
  unsigned type = 0;                 // INVPCID / INVVPID / INVEPT type
  W linear = D::word(0);
  W guest_physical = D::word(0);
  W pcid = D::word(0);               // INVPCID operand
  W vpid = D::word(0);               // INVVPID operand
  W ep4ta = D::word(0);              // INVEPT operand (EPTP bits 51:12)
  W asid = D::word(0);               // INVLPGA operand (ECX); TLB_CONTROL: the VMCB's guest ASID
  W old_value = D::word(0);          // MOV to CR4/CR0: the register before
  W new_value = D::word(0);          // MOV to CR3/CR4/CR0: the source operand
  B linear_valid = D::truth(true);   // EPT violation: the GPA was the translation of `linear`
  B vpid_enabled = D::truth(false);  // VMX transition: the VM's "enable VPID" control
  // The context the operation runs in.
  W current_vpid = D::word(0);
  W current_asid = D::word(0);       // AMD-V: the ASID the operation runs in (0: the host)
  W current_pcid = D::word(0);
  W current_ep4ta = D::word(0);
  B pcide = D::truth(false);         // CR4.PCIDE when the operation executes
};

template <class D>
InvalidationScope<D> required_invalidation(const InvalidationRequest<D>& r) {
  using B = typename D::Bool;
  InvalidationScope<D> s;
  const B yes = D::truth(true);
  // 29.4.3.1: operations that architecturally invalidate TLB entries (INVLPG, INVPCID, MOV
  // to CR3/CR4/CR0, #PF) reach linear and combined mappings of the current VPID only, the
  // combined ones for every EP4TA; APM Vol. 2 15.16: in an SVM guest they act on the
  // current ASID's entries only.
  auto guest_instruction = [&](const B& applies) {
    s.linear = applies;
    s.combined = applies;
    s.vpid = r.current_vpid;
    s.any_asid = D::truth(false);
    s.asid = r.current_asid;
    s.pcid = r.current_pcid;
  };
  switch (r.kind) {
    case InvalidationKind::invlpg:
      // 4.10.4.1: TLB entries for the page and the current PCID, global entries for the page
      // of any PCID, and every paging-structure-cache entry of the current PCID.
      guest_instruction(yes);
      s.globals_of_page_any_pcid = yes;
      s.one_linear = yes;
      s.linear_address = r.linear;
      break;
    case InvalidationKind::mov_cr3: {
      // 4.10.4.1: PCIDE = 0 - everything of PCID 000H except global pages. PCIDE = 1 - the
      // PCID in bits 11:0 of the *new* value, except global pages, unless bit 63 is set.
      const B no_flush = r.pcide && D::any(r.new_value, cr3::no_flush);
      guest_instruction(!no_flush);
      s.pcid = D::ite(r.pcide, r.new_value & D::word(0xfff), D::word(0));
      s.keep_global = yes;
      break;
    }
    case InvalidationKind::mov_cr4: {
      // 4.10.4.1: all PCIDs and globals when PGE changes or PCIDE goes 1 -> 0; the current
      // PCID (globals included) when PAE changes or SMEP goes 0 -> 1. SMAP, PKE, PKS, WP
      // need nothing: rights are checked at use against the current control bits.
      const auto bit = [](const typename D::Word& w, std::uint64_t mask) { return D::any(w, mask); };
      const B all = (bit(r.old_value, cr4::pge) != bit(r.new_value, cr4::pge)) ||
                    (bit(r.old_value, cr4::pcide) && !bit(r.new_value, cr4::pcide));
      const B current = (bit(r.old_value, cr4::pae) != bit(r.new_value, cr4::pae)) ||
                        (!bit(r.old_value, cr4::smep) && bit(r.new_value, cr4::smep));
      guest_instruction(all || current);
      s.any_pcid = all;
      break;
    }
    case InvalidationKind::mov_cr0: {
      // 4.10.4.1: everything, all PCIDs and globals, when CR0.PG goes 1 -> 0.
      const B paging_off = D::any(r.old_value, cr0::pg) && !D::any(r.new_value, cr0::pg);
      guest_instruction(paging_off);
      s.any_pcid = yes;
      break;
    }
    case InvalidationKind::invpcid:
      // INVPCID (Vol. 2; 4.10.4.1): 0 individual address (on-path structure entries, no
      // globals), 1 single context (no globals), 2 all contexts with globals, 3 all contexts
      // without globals.
      guest_instruction(yes);
      s.pcid = r.pcid;
      s.any_pcid = D::truth(r.type == 2 || r.type == 3);
      s.keep_global = D::truth(r.type != 2);
      s.one_linear = D::truth(r.type == 0);
      s.linear_address = r.linear;
      s.structures_on_path_only = D::truth(r.type == 0);
      break;
    case InvalidationKind::invvpid:
      // INVVPID (Vol. 3C 29.4.3.1 and the instruction page): linear and combined mappings,
      // all PCIDs, all EP4TAs. 0 individual address (globals too), 1 single context, 2 all
      // contexts except VPID 0000H, 3 single context retaining globals.
      s.linear = yes;
      s.combined = yes;
      s.vpid = r.vpid;
      s.any_vpid = D::truth(r.type == 2);
      s.spare_vpid0 = D::truth(r.type == 2);
      s.any_pcid = yes;
      s.keep_global = D::truth(r.type == 3);
      s.one_linear = D::truth(r.type == 0);
      s.linear_address = r.linear;
      s.structures_on_path_only = D::truth(r.type == 0);
      break;
    case InvalidationKind::invept:
      // INVEPT: guest-physical and combined mappings, all VPIDs and PCIDs; 1 single
      // context (the operand's EP4TA), 2 global (all EP4TAs).
      s.guest_physical = yes;
      s.combined = yes;
      s.any_vpid = yes;
      s.any_pcid = yes;
      s.any_ep4ta = D::truth(r.type == 2);
      s.ep4ta = r.ep4ta;
      break;
    case InvalidationKind::vmx_transition:
      // 29.4.3.1: with "enable VPID" = 0, VM entries and VM exits invalidate linear and
      // combined mappings of VPID 0000H, all PCIDs, all EP4TAs, globals included.
      s.linear = !r.vpid_enabled;
      s.combined = !r.vpid_enabled;
      s.vpid = D::word(0);
      s.any_pcid = yes;
      break;
    case InvalidationKind::page_fault:
      // 4.10.4.1: TLB entries for the faulting page and paging-structure-cache entries that
      // would be used for the address, associated with the current PCID (and VPID).
      guest_instruction(yes);
      s.one_linear = yes;
      s.linear_address = r.linear;
      s.structures_on_path_only = yes;
      break;
    case InvalidationKind::ept_violation:
      // 29.4.3.1: guest-physical mappings of the current EP4TA for the GPA, and, when the GPA
      // was the translation of a linear address, combined mappings for that linear address of
      // the current VPID, PCID and EP4TA.
      s.guest_physical = yes;
      s.combined = r.linear_valid;
      s.vpid = r.current_vpid;
      s.pcid = r.current_pcid;
      s.any_ep4ta = D::truth(false);
      s.ep4ta = r.current_ep4ta;
      s.one_linear = yes;
      s.linear_address = r.linear;
      s.structures_on_path_only = yes;
      s.one_guest_physical = yes;
      s.guest_physical_address = r.guest_physical;
      break;
    case InvalidationKind::svm_tlb_control:
      // APM Vol. 2 15.16.1, TLB_CONTROL: 00h nothing; 01h every entry of every ASID, globals
      // included; 03h every entry of the guest's ASID, globals included; 07h the guest
      // ASID's entries except global ones. All PCIDs and all mapping kinds in each case.
      // Other values are reserved; they are refused by the operation table, not flushed.
      s.linear = D::truth(r.type == 1 || r.type == 3 || r.type == 7);
      s.combined = s.linear;
      s.guest_physical = D::truth(r.type == 1);  // guest-physical-only entries carry no ASID
      s.any_vpid = yes;
      s.any_asid = D::truth(r.type == 1);
      s.asid = r.asid;
      s.any_pcid = yes;
      s.keep_global = D::truth(r.type == 7);
      break;
    case InvalidationKind::invlpga:
      // APM Vol. 2 15.16.2 and the INVLPGA page: the TLB mapping of the page of rAX in the
      // ASID of ECX. Global entries of that page are included (the instruction makes no
      // exception for them, like INVLPG), and every PCID of that ASID (INVLPGA names no
      // PCID). Paging-structure-cache entries of that ASID that could translate the address
      // go with it, as for INVLPG (the APM's TLB includes the page-walk caches).
      s.linear = yes;
      s.combined = yes;
      s.vpid = r.current_vpid;
      s.any_asid = D::truth(false);
      s.asid = r.asid;
      s.any_pcid = yes;
      s.one_linear = yes;
      s.linear_address = r.linear;
      break;
  }
  return s;
}

// The clauses of removes(): an invalidation with reach `s` removes the entry tagged `t` when
// every clause holds. Each clause is one restriction the SDM places on an operation's reach;
// the first that fails for an entry is why that entry survived (see reach_citation).
enum class ReachClause : std::uint8_t {
  mapping_kind,            // which of linear, combined and guest-physical mappings are reached
  vpid,                    // linear-tagged entries of which VPIDs
  vpid0_spared,            // INVVPID all-context leaves VPID 0000H alone
  asid,                    // linear-tagged entries of which ASIDs (AMD-V)
  global,                  // global TLB entries survive
  pcid,                    // linear-tagged entries of which PCIDs
  linear_address,          // TLB entries of one page; paging-structure-cache entries on its path
  ep4ta,                   // EPT-tagged entries of which EP4TAs
  guest_physical_address,  // guest-physical mappings of one guest-physical address
};
inline constexpr unsigned kReachClauses = 9;

// Where the SDM states each restriction.
constexpr const char* reach_citation(ReachClause c) {
  switch (c) {
    case ReachClause::mapping_kind: return "SDM Vol. 3C 29.4.3.1";
    case ReachClause::vpid: return "SDM Vol. 3C 29.4.3.1";
    case ReachClause::vpid0_spared: return "SDM Vol. 3C 29.4.3.1, INVVPID";
    case ReachClause::asid: return "AMD64 APM Vol. 2 15.16";
    case ReachClause::global: return "SDM Vol. 3A 4.10.2.4, 4.10.4.1";
    case ReachClause::pcid: return "SDM Vol. 3A 4.10.1, 4.10.4.1";
    case ReachClause::linear_address: return "SDM Vol. 3A 4.10.4.1";
    case ReachClause::ep4ta: return "SDM Vol. 3C 29.4.3.1, INVEPT";
    case ReachClause::guest_physical_address: return "SDM Vol. 3C 29.4.3.1";
  }
  return "SDM";
}

// Each clause of removes(), indexed by ReachClause. The linear-tagged clauses hold
// vacuously for guest-physical mappings, the EPT-tagged ones for linear mappings.
template <class D>
std::array<typename D::Bool, kReachClauses> reach_clauses(const InvalidationScope<D>& s, const EntryTags<D>& t) {
  using B = typename D::Bool;
  const B is_linear = t.linear_tagged && !t.ept_tagged;
  const B is_combined = t.linear_tagged && t.ept_tagged;
  const B is_guest_physical = !t.linear_tagged && t.ept_tagged;
  const B global_tlb = t.global && !t.structure;
  const B on_page = in_region(t, s.linear_address);
  const B not_linear = !t.linear_tagged;
  const B not_ept = !t.ept_tagged;

  std::array<B, kReachClauses> c{D::truth(true), D::truth(true), D::truth(true), D::truth(true), D::truth(true),
                                 D::truth(true), D::truth(true), D::truth(true), D::truth(true)};
  const auto at = [&](ReachClause k) -> B& { return c[static_cast<unsigned>(k)]; };
  at(ReachClause::mapping_kind) =
      (is_linear && s.linear) || (is_combined && s.combined) || (is_guest_physical && s.guest_physical);
  at(ReachClause::vpid) = not_linear || s.any_vpid || t.vpid == s.vpid;
  at(ReachClause::vpid0_spared) = not_linear || !(s.spare_vpid0 && t.vpid == D::word(0));
  at(ReachClause::asid) = not_linear || s.any_asid || t.asid == s.asid;
  at(ReachClause::global) = not_linear || !(s.keep_global && global_tlb);
  at(ReachClause::pcid) =
      not_linear || s.any_pcid || t.pcid == s.pcid || (s.globals_of_page_any_pcid && global_tlb && on_page);
  at(ReachClause::linear_address) = not_linear || !s.one_linear ||
                                    (on_page && (!t.structure || s.structures_on_path_only)) ||
                                    (t.structure && !s.structures_on_path_only);
  at(ReachClause::ep4ta) = not_ept || s.any_ep4ta || t.ep4ta == s.ep4ta;
  at(ReachClause::guest_physical_address) =
      not_ept || t.linear_tagged || !s.one_guest_physical || in_region(t, s.guest_physical_address);
  return c;
}

// Does an invalidation with reach `s` remove the entry tagged `t`?
template <class D>
typename D::Bool removes(const InvalidationScope<D>& s, const EntryTags<D>& t) {
  const auto clauses = reach_clauses<D>(s, t);
  typename D::Bool all = clauses[0];
  for (unsigned i = 1; i < kReachClauses; ++i) all = all && clauses[i];
  return all;
}

// Concrete only: the first clause that keeps `t` out of the reach of `s`, or none when `s`
// removes it.
inline std::optional<ReachClause> sparing_clause(const InvalidationScope<Concrete>& s, const EntryTags<Concrete>& t) {
  const auto clauses = reach_clauses<Concrete>(s, t);
  for (unsigned i = 0; i < kReachClauses; ++i)
    if (!clauses[i]) return static_cast<ReachClause>(i);
  return std::nullopt;
}

}  // namespace vtspec::spec
