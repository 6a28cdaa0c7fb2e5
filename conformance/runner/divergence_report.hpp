// The plain report's divergence section: per class, its key, how many operations and vectors
// show it, where (the first kInstancesListed instances), and one full example.
#pragma once

#include <cstddef>
#include <ostream>
#include <vector>

#include "conformance/runner/divergence_class.hpp"

namespace vtspec::conformance {

inline constexpr std::size_t kInstancesListed = 10;

void write_divergence_classes(std::ostream& out, const std::vector<DivergenceClass>& classes);

}  // namespace vtspec::conformance
