// A copy of spec::walk_ept's classification (spec/ept_walk.hpp, SDM 29.3.3.1) with an
// injectable bug: a write-only entry (bit 0 clear, bit 1 set) is taken for a not-present
// one, so it yields an EPT violation instead of a misconfiguration. Mutation tests only.
#pragma once

#include "checker/mutants/mutation.hpp"
#include "spec/ept_walk.hpp"

namespace vtspec::checker::mutants {

template <class D>
void apply_ept_mutation(Mutation m, spec::EptWalk<D>& w, unsigned levels) {
  if (m != Mutation::ept_write_only_violation) return;
  typename D::Bool write_only = D::truth(false);
  for (unsigned level = levels; level >= 1; --level)
    write_only = write_only || (w.read[level] && !D::bit(w.entry[level], 0) && D::bit(w.entry[level], 1));
  w.violation = w.violation || (w.misconfig && write_only);
  w.misconfig = w.misconfig && !write_only;
}

}  // namespace vtspec::checker::mutants
