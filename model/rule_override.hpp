// A replacement for part of the architectural rules, for mutation testing only. The model
// never carries one of its own: checker/mutants supplies a bugged re-decision of a finished
// guest walk (e.g. supervisor writes that ignore CR0.WP), and `vtspec fuzz --target model
// --mutation NAME` runs a model built with it as the target, to show that the fuzzer finds
// the bug (docs/fuzzing.md). A state without an override (every normal state) follows spec/.
#pragma once

#include <functional>

#include "spec/domain.hpp"
#include "spec/paging_control.hpp"
#include "spec/paging_walk.hpp"

namespace vtspec::model {

struct RuleOverride {
  // Called on every finished guest walk (without EPT), before its outcome is taken.
  std::function<void(const spec::PagingControl<spec::Concrete>&, const spec::Access<spec::Concrete>&,
                     spec::PagingWalk<spec::Concrete>&)>
      redecide_walk;
};

}  // namespace vtspec::model
