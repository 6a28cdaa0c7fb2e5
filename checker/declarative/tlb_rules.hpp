// An independent transcription of the TLB tagging and invalidation rules, for comparison
// with spec/tlb_tags.hpp and spec/tlb_invalidation.hpp by the obligation
// "tlb-isolation-and-flush". Sources: SDM Vol. 3A 4.10.1 (PCIDs), 4.10.2.4 (global pages),
// 4.10.4.1 (INVLPG, INVPCID, MOV to CR3); Vol. 3C 29.4.1-29.4.3 (VPIDs, EP4TAs, INVVPID,
// INVEPT); AMD64 APM Vol. 2 15.16 (ASIDs), 15.16.1 (TLB_CONTROL) and the INVLPGA page.
// The entry-tag record of spec/tlb_tags.hpp is used as plain data.
#pragma once

#include "spec/tlb_tags.hpp"

namespace vtspec::checker::declarative {

// 4.10.1, 4.10.2.4, 29.4.2: a cached translation may be used for a linear address only in the
// VPID it was filled in; only in its PCID unless it is a global *TLB* entry; as a linear
// mapping only while EPT is off and as a combined mapping only while EPT is on with the
// same EP4TA; and only for addresses it covers.
template <class D>
typename D::Bool tags_allow_use(const spec::EntryTags<D>& t, const spec::LookupContext<D>& c, const typename D::Word& linear) {
  const auto same_vpid = t.vpid == c.vpid && t.asid == c.asid;  // APM 15.16: ASID-tagged, like VPIDs
  const auto pcid_ok = D::ite(t.global && !t.structure, D::truth(true), t.pcid == c.pcid);
  const auto mapping_kind_ok =
      D::ite(c.ept_active, t.linear_tagged && t.ept_tagged && t.ep4ta == c.ep4ta, t.linear_tagged && !t.ept_tagged);
  return same_vpid && pcid_ok && mapping_kind_ok && (linear & t.mask) == t.base;
}

// Which pre-existing entries an operation MUST invalidate, operation by operation. The
// processor is free to invalidate more (4.10.4.1, last paragraph), but a model that did would
// forbid the stale outcomes the SDM allows: the obligation checks both directions.
struct TlbOperation {
  // vmx_transition: a VM entry or VM exit of a VM with "enable VPID" = type (0 or 1).
  enum Kind { invlpg, mov_cr3, mov_cr4, mov_cr0, invpcid, invvpid, invept, tlb_control, invlpga, vmx_transition } kind;
  unsigned type = 0;
  const char* name;
};

template <class D>
struct TlbOperands {
  typename D::Word linear, pcid, vpid, ep4ta, cr3;
  typename D::Bool pcide;
  typename D::Word current_vpid, current_pcid;
  typename D::Word old_cr, new_cr;  // MOV to CR4 / CR0: the register before and the value written
  typename D::Word asid;            // INVLPGA's ECX; TLB_CONTROL: the VMCB's guest ASID
  typename D::Word current_asid;    // the ASID a guest instruction runs in (0: the host)
};

template <class D>
typename D::Bool must_invalidate(const TlbOperation& op, const TlbOperands<D>& o, const spec::EntryTags<D>& t) {
  using B = typename D::Bool;
  const B linear_or_combined = t.linear_tagged;
  const B covers = (o.linear & t.mask) == t.base;
  const B global_tlb = t.global && !t.structure;
  // Guest instructions act in the current VPID (29.4.3.1) and the current ASID (APM 15.16).
  const B current_vpid = t.vpid == o.current_vpid && t.asid == o.current_asid;
  switch (op.kind) {
    case TlbOperation::invlpg:
      // 4.10.4.1: TLB entries for the page of the current PCID, global ones of any PCID; all
      // paging-structure-cache entries of the current PCID, whatever address. 29.4.3.1: of
      // the current VPID; linear and combined mappings (all EP4TAs).
      return linear_or_combined && current_vpid &&
             D::ite(t.structure, t.pcid == o.current_pcid, covers && (t.pcid == o.current_pcid || global_tlb));
    case TlbOperation::mov_cr3: {
      // 4.10.4.1: PCIDE=0: all but global TLB entries, PCID 000H. PCIDE=1: those of the new
      // PCID (CR3[11:0]) unless bit 63 of the source is 1.
      const B flush = !(o.pcide && D::bit(o.cr3, 63));
      const typename D::Word pcid = D::ite(o.pcide, o.cr3 & D::word(0xfff), D::word(0));
      return flush && linear_or_combined && current_vpid && !global_tlb && t.pcid == pcid;
    }
    case TlbOperation::mov_cr4: {
      // 4.10.4.1: all TLB entries, globals included, and all paging-structure-cache entries of
      // every PCID when it changes CR4.PGE (bit 7) or changes CR4.PCIDE (bit 17) from 1 to 0;
      // all TLB and paging-structure-cache entries of the current PCID when it changes CR4.PAE
      // (bit 5) or changes CR4.SMEP (bit 20) from 0 to 1. Current VPID (29.4.3.1).
      const B pge_changes = D::bit(o.old_cr, 7) != D::bit(o.new_cr, 7);
      const B pcide_off = D::bit(o.old_cr, 17) && !D::bit(o.new_cr, 17);
      const B pae_changes = D::bit(o.old_cr, 5) != D::bit(o.new_cr, 5);
      const B smep_on = !D::bit(o.old_cr, 20) && D::bit(o.new_cr, 20);
      return linear_or_combined && current_vpid &&
             (pge_changes || pcide_off || ((pae_changes || smep_on) && t.pcid == o.current_pcid));
    }
    case TlbOperation::mov_cr0:
      // 4.10.4.1: all TLB entries, globals included, and all paging-structure-cache entries of
      // every PCID when it changes CR0.PG (bit 31) from 1 to 0. Current VPID.
      return linear_or_combined && current_vpid && D::bit(o.old_cr, 31) && !D::bit(o.new_cr, 31);
    case TlbOperation::invpcid:
      // INVPCID (Vol. 2, 4.10.4.1): type 0 one address of a PCID, no globals; type 1 one PCID,
      // no globals; type 2 everything; type 3 everything but globals. Current VPID.
      if (op.type == 0) return linear_or_combined && current_vpid && t.pcid == o.pcid && !global_tlb && covers;
      if (op.type == 1) return linear_or_combined && current_vpid && t.pcid == o.pcid && !global_tlb;
      if (op.type == 2) return linear_or_combined && current_vpid;
      return linear_or_combined && current_vpid && !global_tlb;
    case TlbOperation::invvpid:
      // INVVPID (Vol. 3C 29.4.3.1 and Vol. 2): type 0 one address of a VPID (globals too);
      // type 1 one VPID; type 2 every VPID but 0000H; type 3 one VPID but its globals.
      if (op.type == 0) return linear_or_combined && t.vpid == o.vpid && covers;
      if (op.type == 1) return linear_or_combined && t.vpid == o.vpid;
      if (op.type == 2) return linear_or_combined && t.vpid != D::word(0);
      return linear_or_combined && t.vpid == o.vpid && !global_tlb;
    case TlbOperation::invept:
      // INVEPT: type 1 guest-physical and combined mappings of one EP4TA; type 2 of all.
      if (op.type == 1) return t.ept_tagged && t.ep4ta == o.ep4ta;
      return t.ept_tagged;
    case TlbOperation::tlb_control:
      // APM 15.16.1: 1 flushes the whole TLB, every ASID; 3 every entry of the guest's ASID;
      // 7 the guest ASID's non-global entries. (0 flushes nothing.)
      if (op.type == 1) return D::truth(true);
      if (op.type == 3) return linear_or_combined && t.asid == o.asid;
      if (op.type == 7) return linear_or_combined && t.asid == o.asid && !global_tlb;
      return D::truth(false);
    case TlbOperation::invlpga:
      // INVLPGA: the mapping of the page in rAX for the ASID in ECX - its TLB entries of
      // every PCID, global ones too - and that ASID's page-walk cache entries.
      return linear_or_combined && t.vpid == o.current_vpid && t.asid == o.asid && (t.structure || covers);
    case TlbOperation::vmx_transition:
      // SDM Vol. 3C 29.4.3.1: "If the 'enable VPID' VM-execution control is 0, VM entries and
      // VM exits invalidate linear mappings and combined mappings associated with VPID 0000H"
      // (for every PCID, global translations too); with it 1, they invalidate nothing.
      if (op.type == 0) return linear_or_combined && t.vpid == D::word(0);
      return D::truth(false);
  }
  return D::truth(false);
}

}  // namespace vtspec::checker::declarative
