// The judgement of one vector's run: which operations diverge from every allowed outcome,
// with the difference in words and the divergence class of each. Shared by `vtspec run`
// (runner.cpp) and `vtspec fuzz` (conformance/fuzz), so both judge alike.
#pragma once

#include "conformance/runner/vector_record.hpp"
#include "conformance/target.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::conformance {

// The observation of operation i, or a "did not run" one past the end of what the target recorded.
const Observation& observation_of(const VectorResult& result, std::size_t i);

// Compares the observations with the vector's expectations; fills `record`: one details
// line and one divergence class per divergent operation, status fail when there is any.
void judge(const vectors::Vector& vector, const VectorResult& result, VectorRecord& record);

}  // namespace vtspec::conformance
