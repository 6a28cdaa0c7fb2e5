// `--mutation NAME` on `vtspec fuzz` and `vtspec run`: a target with a planted bug, to show
// that the fuzzer finds it and that a counterexample replays. With --target model: the
// model with one of checker/mutants' access-rights bugs (`vtspec prove --list`); with
// --target shadow-model[-unsync]: the reference shadow VMM with one of its planted bugs
// (model/shadow/shadow_bug.hpp).
#pragma once

#include <memory>
#include <string>

#include "conformance/target.hpp"

namespace vtspec::cli {

// Null with `error` set when the mutation is unknown or not one of this target's.
std::unique_ptr<conformance::Target> make_mutated_target(const std::string& target, const std::string& mutation,
                                                          std::string& error);

}  // namespace vtspec::cli
