#include "conformance/runner/vector_judgement.hpp"

#include <optional>

#include <fmt/format.h>

#include "conformance/runner/comparison.hpp"
#include "conformance/runner/divergence_class.hpp"
#include "vectors/format/model_evaluation.hpp"

namespace vtspec::conformance {

const Observation& observation_of(const VectorResult& result, std::size_t i) {
  static const Observation missing;
  return i < result.observations.size() ? result.observations[i] : missing;
}

namespace {

// The vector with the allowed sets of the path the target took, when it took an acceptable
// (not the valid) outcome somewhere before a divergence: nullopt when it did not.
std::optional<vectors::Vector> on_observed_path(const vectors::Vector& v, const VectorResult& result) {
  bool took_acceptable = false;
  std::vector<std::optional<model::Event>> path;
  for (std::size_t i = 0; i < v.operations.size(); ++i) {
    const Observation& o = observation_of(result, i);
    const int k = matching_outcome(v, i, o);
    if (k < 0) break;  // the first divergence: the path ends here
    took_acceptable = took_acceptable || k > 0;
    path.push_back(o.ran ? std::optional<model::Event>(o.event) : std::nullopt);
  }
  if (!took_acceptable) return std::nullopt;
  vectors::Vector along = v;
  const auto steps = vectors::evaluate_on_model(v, &path);
  for (std::size_t i = 0; i < steps.size() && i < along.expectations.size(); ++i) along.expectations[i] = steps[i].expectation;
  for (const auto& step : steps) along.notes.insert(step.notes.begin(), step.notes.end());
  return along;
}

}  // namespace

void judge(const vectors::Vector& given, const VectorResult& result, VectorRecord& record) {
  // SDM-allowed paths: an acceptable outcome changes what is allowed afterwards, so a
  // divergence after one is judged on the path the target took.
  std::optional<vectors::Vector> along;
  for (std::size_t i = 0; i < given.operations.size(); ++i)
    if (matching_outcome(given, i, observation_of(result, i)) < 0) {
      along = on_observed_path(given, result);
      break;
    }
  const vectors::Vector& v = along ? *along : given;
  for (std::size_t i = 0; i < v.operations.size(); ++i) {
    const Observation& o = observation_of(result, i);
    if (matching_outcome(v, i, o) >= 0) continue;
    ++record.divergences;
    const vectors::SourceLocation& where = i < v.operation_sources.size() ? v.operation_sources[i] : v.source;
    // After a first divergence the target's machine and the model's differ: what follows may
    // be its consequence (e.g. a value a write the model refused left in memory).
    const std::string after =
        record.divergent.empty() ? "" : fmt::format(" (after the divergence at operation {})", record.divergent.front().operation);
    // The allowed set against the observation, in full: what a CI page shows of a failure.
    std::vector<std::string> allowed;
    for (const auto& outcome : v.expectations[i].outcomes) allowed.push_back(vectors::describe_outcome(outcome));
    record.details += fmt::format("operation {} ({}:{}): {}: {}{}; allowed: {}; observed: {}\n", i, where.file, where.line,
                                  vectors::describe_operation(v.operations[i]),
                                  mismatch(v, v.expectations[i].outcomes.front(), o), after, fmt::join(allowed, " | "),
                                  describe_observation(v, o));
    record.divergent.push_back({i, divergence_class(v, i, o)});
  }
  if (record.divergences) record.status = VectorRecord::Status::fail;
}

}  // namespace vtspec::conformance
