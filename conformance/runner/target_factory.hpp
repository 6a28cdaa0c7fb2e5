// Targets by name, for `vtspec run --target NAME`.
#pragma once

#include <memory>
#include <string>

#include "conformance/target.hpp"

namespace vtspec::conformance {

// "model" or "kvm"; nullptr for an unknown name. When the KVM target was not built, "kvm"
// gives a target whose capabilities().unavailable says so.
std::unique_ptr<Target> make_target(const std::string& name);

}  // namespace vtspec::conformance
