// A copy of spec::removes (spec/tlb_invalidation.hpp) with injectable bugs (mutation tests
// only), each against SDM 4.10.4.1 / Vol. 3C 29.4.3.1:
//   invlpg-keeps-structure-caches       INVLPG leaves the current PCID's paging-structure-cache entries
//   mov-cr4-keeps-current-pcid          MOV to CR4 on a PAE change or SMEP 0 -> 1 leaves the current PCID's entries
//   invvpid-address-removes-structures  INVVPID type 0 removes every paging-structure-cache entry of the VPID
//                                       (more than required: the model would lose allowed stale outcomes)
//   tlb-control-ignored                 VMRUN's TLB_CONTROL flushes nothing (AMD64 APM Vol. 2 15.16.1)
//   vmx-transition-keeps-vpid0          a VM entry or exit with VPIDs disabled flushes nothing (29.4.3.1)
#pragma once

#include "checker/mutants/mutation.hpp"
#include "spec/tlb_invalidation.hpp"

namespace vtspec::checker::mutants {

template <class D>
typename D::Bool removes(Mutation m, spec::InvalidationKind kind, const spec::InvalidationScope<D>& s,
                         const spec::EntryTags<D>& t) {
  const typename D::Bool r = spec::removes<D>(s, t);
  if (m == Mutation::invlpg_keeps_structure_caches && kind == spec::InvalidationKind::invlpg) return r && !t.structure;
  if (m == Mutation::tlb_control_ignored && kind == spec::InvalidationKind::svm_tlb_control) return D::truth(false);
  if (m == Mutation::vmx_transition_keeps_vpid0 && kind == spec::InvalidationKind::vmx_transition) return D::truth(false);
  if (m == Mutation::mov_cr4_keeps_current_pcid && kind == spec::InvalidationKind::mov_cr4) return r && s.any_pcid;
  if (m == Mutation::invvpid_address_removes_structures && kind == spec::InvalidationKind::invvpid) {
    spec::InvalidationScope<D> wider = s;
    wider.structures_on_path_only = D::truth(false);
    return spec::removes<D>(wider, t);
  }
  return r;
}

}  // namespace vtspec::checker::mutants
