// Targets by name, for `vtspec run --target NAME`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "conformance/target.hpp"

namespace vtspec::conformance {

// Every target's name: "model", the shadow-model targets (model/shadow/shadow_policy.hpp),
// "kvm".
std::vector<std::string> target_names();

// One of target_names(); nullptr for an unknown name. When the KVM target was not built, "kvm"
// gives a target whose capabilities().unavailable says so.
std::unique_ptr<Target> make_target(const std::string& name);

}  // namespace vtspec::conformance
