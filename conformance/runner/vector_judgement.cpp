#include "conformance/runner/vector_judgement.hpp"

#include <fmt/format.h>

#include "conformance/runner/comparison.hpp"
#include "conformance/runner/divergence_class.hpp"

namespace vtspec::conformance {

const Observation& observation_of(const VectorResult& result, std::size_t i) {
  static const Observation missing;
  return i < result.observations.size() ? result.observations[i] : missing;
}

void judge(const vectors::Vector& v, const VectorResult& result, VectorRecord& record) {
  for (std::size_t i = 0; i < v.operations.size(); ++i) {
    const Observation& o = observation_of(result, i);
    if (matching_outcome(v, i, o) >= 0) continue;
    ++record.divergences;
    const vectors::SourceLocation& where = i < v.operation_sources.size() ? v.operation_sources[i] : v.source;
    record.details += fmt::format("operation {} ({}:{}): {}: {}\n", i, where.file, where.line,
                                  vectors::describe_operation(v.operations[i]),
                                  mismatch(v, v.expectations[i].outcomes.front(), o));
    record.divergent.push_back({i, divergence_class(v, i, o)});
  }
  if (record.divergences) record.status = VectorRecord::Status::fail;
}

}  // namespace vtspec::conformance
