// The one place that decides whether a target can run a vector: the vector's needs
// (model/cpu_needs.hpp) against the target's capabilities (conformance/capabilities.hpp).
// The reason names what is missing and why the target lacks it, so that a skip summary can
// group vectors by reason.
#pragma once

#include <optional>
#include <string>

#include "conformance/capabilities.hpp"
#include "model/cpu_needs.hpp"

namespace vtspec::conformance {

// nullopt when the target can build the vector's virtual CPU and execute its operations.
std::optional<std::string> skip_reason(const model::CpuNeeds& needs, const Capabilities& capabilities);

}  // namespace vtspec::conformance
