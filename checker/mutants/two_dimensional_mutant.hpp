// Injectable bugs in copies of the two-dimensional walk (spec/two_dimensional_walk.hpp,
// spec/ept_guest_reference.hpp). Used only by mutation tests.
//   * final-access-skips-ept: the final guest-physical address is used as host-physical.
//   * ept-ad-paging-reads-as-reads: with EPT A/D on, guest paging-entry reads are presented
//     to EPT as reads (29.3.3.2 says writes) - the walk faults less.
//   * ept-paging-violation-as-misconfig: an EPT violation on a guest paging-structure
//     reference is reported as a misconfiguration.
//   * ept-paging-violation-final-bit: such a violation reports qualification bit 8 (as if
//     it were the final translation; Table 28-7).
#pragma once

#include "checker/mutants/mutation.hpp"
#include "spec/two_dimensional_walk.hpp"

namespace vtspec::checker::mutants {

template <class D>
using PagingStructureClassifier = spec::EptReference<D> (*)(const typename D::Word& eptp, bool update);

template <class D>
spec::EptReference<D> paging_reads_as_reads(const typename D::Word& eptp, bool update) {
  spec::EptReference<D> r = spec::paging_structure_reference<D>(eptp, update);
  if (!update) r.access.write = D::truth(false);
  return r;
}

template <class D>
PagingStructureClassifier<D> paging_structure_classifier(Mutation m) {
  if (m == Mutation::ept_ad_paging_reads_as_reads) return &paging_reads_as_reads<D>;
  return &spec::paging_structure_reference<D>;
}

template <class D>
void apply_two_dimensional_mutation(Mutation m, spec::TwoDimensionalWalk<D>& w) {
  // A fault on a paging-structure reference is one where the guest walk did not finish.
  const typename D::Bool reached = w.guest.translated;
  if (m == Mutation::ept_paging_violation_as_misconfig) {
    w.ept_misconfig = w.ept_misconfig || (w.ept_violation && !reached);
    w.ept_violation = w.ept_violation && reached;
  }
  if (m == Mutation::ept_paging_violation_final_bit) {
    w.qualification = D::ite(w.ept_violation && !reached, w.qualification | D::word(0x100), w.qualification);
  }
  if (m != Mutation::final_access_skips_ept) return;
  // Faults on paging-structure references still stand; the final access is not translated.
  w.translated = reached;
  w.physical = w.guest.physical;
  w.ept_violation = w.ept_violation && !reached;
  w.ept_misconfig = w.ept_misconfig && !reached;
}

// spec::walk_two_dimensional with mutation `m` applied.
template <class D, class HostMemory>
spec::TwoDimensionalWalk<D> walk_two_dimensional_mutant(Mutation m, const spec::PagingShape& guest_shape,
                                                        const spec::EptShape& ept_shape, const spec::PagingControl<D>& ctl,
                                                        const typename D::Word& eptp, const typename D::Word& cr3,
                                                        const typename D::Word& linear, const spec::Access<D>& access,
                                                        HostMemory& memory) {
  spec::NoObserver none;
  spec::EptTranslatingPort<D, HostMemory> port{ept_shape, eptp, memory, none, {}, 0};
  port.classify = paging_structure_classifier<D>(m);
  spec::TwoDimensionalWalk<D> w = spec::compose_two_dimensional<D>(guest_shape, ctl, cr3, linear, access, port, port);
  apply_two_dimensional_mutation(m, w);
  return w;
}

}  // namespace vtspec::checker::mutants
