// A copy of the last step of spec::walk_two_dimensional (spec/two_dimensional_walk.hpp)
// with an injectable bug: the final guest-physical address is used as host-physical, as if
// the EPT translation of the access itself were skipped. Used only by mutation tests.
#pragma once

#include "checker/mutants/mutation.hpp"
#include "spec/two_dimensional_walk.hpp"

namespace vtspec::checker::mutants {

template <class D>
void apply_two_dimensional_mutation(Mutation m, spec::TwoDimensionalWalk<D>& w) {
  if (m != Mutation::final_access_skips_ept) return;
  // Faults on paging-structure references still stand; the final access is not translated.
  const typename D::Bool reached = w.guest.translated;
  w.translated = reached;
  w.physical = w.guest.physical;
  w.ept_violation = w.ept_violation && !reached;
  w.ept_misconfig = w.ept_misconfig && !reached;
}

}  // namespace vtspec::checker::mutants
