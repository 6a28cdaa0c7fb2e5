// Does an observation of one operation (its event and the checked entries read back after
// it) match one of the allowed outcomes of a vector's expectation? The one comparison: the
// runner judges targets with it (conformance/runner/comparison.hpp adds "the target did not
// run the operation"), and checker/proofs' shadow-coherence exploration judges the reference
// shadow VMM with it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/event.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::vectors {

using EntryValues = std::vector<std::pair<std::uint64_t, std::uint64_t>>;  // (physical, value) read back

// The first way in which an observation differs from an allowed outcome: the event's first
// differing field (model::first_difference), or an entry's A/D bit after the operation
// (field "pte.A"). `text` says it in words.
struct OutcomeMismatch {
  model::EventDifference difference;
  std::string text;
};
std::optional<OutcomeMismatch> first_mismatch(const Vector& vector, const ExpectedOutcome& expected, const model::Event& event,
                                              const EntryValues& entries_after);

// Index of the first allowed outcome of `expectation` that matches, or -1.
int matching_outcome(const Vector& vector, const Expectation& expectation, const model::Event& event,
                     const EntryValues& entries_after);

}  // namespace vtspec::vectors
