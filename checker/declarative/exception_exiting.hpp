// SDM Vol. 3C 25.6.3 and 26.2 on exceptions in VMX non-root operation, transcribed plainly
// for the obligation "exception-exiting": a table of the two cases the SDM names.
//   any vector but 14: exit exactly when its exception-bitmap bit is 1;
//   vector 14 (#PF):   with PFEC & PFEC_MASK = PFEC_MATCH, exit exactly when bit 14 is 1;
//                      otherwise exit exactly when bit 14 is 0.
#pragma once

#include "spec/domain.hpp"

namespace vtspec::checker::declarative {

template <class D>
typename D::Bool exception_exits(const typename D::Word& bitmap, const typename D::Word& vector,
                                 const typename D::Word& pfec, const typename D::Word& mask,
                                 const typename D::Word& match) {
  typename D::Bool exits = D::truth(false);
  for (unsigned v = 0; v < 32; ++v) {
    const auto selected = D::bit(bitmap, v);
    if (v != 14) {
      exits = exits || (vector == D::word(v) && selected);
      continue;
    }
    const auto low32 = [](const typename D::Word& w) { return D::field(w, 31, 0); };
    const auto equal = low32(pfec & mask) == low32(match);
    exits = exits || (vector == D::word(14) && ((equal && selected) || (!equal && !selected)));
  }
  return exits;
}

}  // namespace vtspec::checker::declarative
