// Writes vector files (schema `vtspec/vector/1`, `/2` when a vector's guest runs under EPT) as YAML text with a fixed layout: one line per
// operation, numbers in hex, so generated files diff well and the drift check can compare
// them byte for byte. The state block is passed as YAML text (the generator writes it with
// readable mappings); everything else comes from the Vector.
#pragma once

#include <string>
#include <vector>

#include "vectors/format/vector.hpp"

namespace vtspec::vectors {

struct VectorText {
  const Vector* vector;
  std::string state_yaml;  // a vtspec/state/1 document without its schema key, unindented
};

std::string render_vector_file(const std::string& description, const std::vector<VectorText>& vectors);

// One operation with its expectation as a YAML flow mapping (also used in reports).
std::string render_operation(const model::Operation& operation, const Expectation* expectation);
std::string render_outcome(const ExpectedOutcome& outcome);

}  // namespace vtspec::vectors
