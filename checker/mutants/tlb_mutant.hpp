// A copy of spec::removes (spec/tlb_invalidation.hpp) with an injectable bug: INVLPG leaves
// paging-structure-cache entries in place (SDM 4.10.4.1 requires it to invalidate all of
// them for the current PCID). Mutation tests only.
#pragma once

#include "checker/mutants/mutation.hpp"
#include "spec/tlb_invalidation.hpp"

namespace vtspec::checker::mutants {

template <class D>
typename D::Bool removes(Mutation m, spec::InvalidationKind kind, const spec::InvalidationScope<D>& s,
                         const spec::EntryTags<D>& t) {
  const typename D::Bool r = spec::removes<D>(s, t);
  if (m == Mutation::invlpg_keeps_structure_caches && kind == spec::InvalidationKind::invlpg) return r && !t.structure;
  return r;
}

}  // namespace vtspec::checker::mutants
