// Does what a target observed for one operation match one of the vector's allowed outcomes?
#pragma once

#include <optional>
#include <string>

#include "conformance/target.hpp"
#include "vectors/format/outcome_match.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::conformance {

// The first way in which an observation differs from an allowed outcome: vectors'
// comparison (vectors/format/outcome_match.hpp), or field "run" when the target did not run
// the operation. `text` says it in words.
using Mismatch = vectors::OutcomeMismatch;
std::optional<Mismatch> first_mismatch(const vectors::Vector& vector, const vectors::ExpectedOutcome& expected,
                                       const Observation& observed);

// Empty when `observed` matches `expected`; otherwise the first difference, in words.
std::string mismatch(const vectors::Vector& vector, const vectors::ExpectedOutcome& expected, const Observation& observed);

// Index of the first allowed outcome that matches, or -1.
int matching_outcome(const vectors::Vector& vector, std::size_t operation, const Observation& observed);

std::string describe_observation(const vectors::Vector& vector, const Observation& observed);

}  // namespace vtspec::conformance
