// What a cached translation is tagged with, and when a cached entry may serve a lookup:
// SDM Vol. 3A 4.10.1 (PCIDs), 4.10.2.4 (global pages), 4.10.3 (paging-structure caches) and
// Vol. 3C 29.4.1-29.4.2 (linear, guest-physical and combined mappings; VPIDs and EP4TAs); and,
// for AMD-V, ASIDs (AMD64 APM Vol. 2 15.16: "the TLB is tagged with the ASID").
//
// Written over a value domain (spec/domain.hpp) so that a proof can ask, over a bounded
// symbolic TLB, whether an entry of one context can ever serve another.
#pragma once

#include "spec/domain.hpp"

namespace vtspec::spec {

// The tags of one cached entry. The SDM's three kinds of mapping are told apart by which
// tags an entry carries (29.4.1):
//   linear mapping          linear_tagged && !ept_tagged  (VPID, PCID)
//   guest-physical mapping  !linear_tagged && ept_tagged  (EP4TA)
//   combined mapping        linear_tagged && ept_tagged   (VPID, PCID, EP4TA)
template <class D>
struct EntryTags {
  using W = typename D::Word;
  using B = typename D::Bool;
  B linear_tagged = D::truth(true);
  B ept_tagged = D::truth(false);
  B structure = D::truth(false);  // a paging-structure-cache entry (else a TLB entry)
  B global = D::truth(false);     // a TLB entry filled from a leaf with G = 1 while CR4.PGE = 1
  W vpid = D::word(0);
  W asid = D::word(0);            // AMD-V: the ASID the entry was filled in (0: the host)
  W pcid = D::word(0);
  W ep4ta = D::word(0);           // EPTP bits 51:12 (29.4.1: "EP4TA")
  // The region the entry covers: an address A is in it when (A & mask) == base. Linear for
  // linear-tagged entries, guest-physical for guest-physical mappings.
  W base = D::word(0);
  W mask = D::word(0);
};

// The context a lookup happens in.
template <class D>
struct LookupContext {
  using W = typename D::Word;
  using B = typename D::Bool;
  W vpid = D::word(0);   // 0 outside VMX non-root operation and when VPIDs are disabled
  W asid = D::word(0);   // 0 outside an SVM guest (the host's ASID), else the VMCB's guest ASID
  W pcid = D::word(0);   // CR3[11:0] when CR4.PCIDE = 1, else 0 (4.10.1)
  W ep4ta = D::word(0);
  B ept_active = D::truth(false);
};

template <class D>
typename D::Bool in_region(const EntryTags<D>& t, const typename D::Word& address) {
  return (address & t.mask) == t.base;
}

// May `t` be used to translate linear address `linear` in context `c`?
// - 29.4.2: while EPT is not in use only linear mappings are used; while it is in use only
//   combined mappings (and guest-physical ones, for guest-physical addresses).
// - 4.10.1 / 29.4.2: the entry must be associated with the current VPID and PCID, and with
//   the current EP4TA for a combined mapping; APM Vol. 2 15.16: and with the current ASID.
// - 4.10.2.4: a global TLB entry may be used whatever PCID it is associated with.
//   Paging-structure-cache entries are never global.
template <class D>
typename D::Bool may_serve_linear(const EntryTags<D>& t, const LookupContext<D>& c, const typename D::Word& linear) {
  const auto kind_ok = t.linear_tagged && D::ite(c.ept_active, t.ept_tagged && t.ep4ta == c.ep4ta, !t.ept_tagged);
  const auto pcid_ok = t.pcid == c.pcid || (t.global && !t.structure);
  return kind_ok && t.vpid == c.vpid && t.asid == c.asid && pcid_ok && in_region(t, linear);
}

// May guest-physical mapping `t` translate guest-physical address `gpa` (29.4.2)?
template <class D>
typename D::Bool may_serve_guest_physical(const EntryTags<D>& t, const LookupContext<D>& c,
                                          const typename D::Word& gpa) {
  return c.ept_active && !t.linear_tagged && t.ept_tagged && t.ep4ta == c.ep4ta && in_region(t, gpa);
}

}  // namespace vtspec::spec
