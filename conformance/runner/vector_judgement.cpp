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
// (not the valid) outcome somewhere before a divergence: nullopt when it did not. Following
// the path changes the allowed sets after it, which may match more of the observation, so the
// path is extended until it reaches the first operation no allowed outcome matches.
std::optional<vectors::Vector> on_observed_path(const vectors::Vector& v, const VectorResult& result) {
  std::optional<vectors::Vector> along;
  std::size_t followed = 0;
  for (;;) {
    const vectors::Vector& current = along ? *along : v;
    bool took_acceptable = false;
    std::vector<std::optional<vectors::ObservedStep>> path;
    for (std::size_t i = 0; i < current.operations.size(); ++i) {
      const Observation& o = observation_of(result, i);
      const int k = matching_outcome(current, i, o);
      if (k < 0) break;  // the first divergence: the path ends here
      took_acceptable = took_acceptable || k > 0;
      path.push_back(o.ran ? std::optional<vectors::ObservedStep>({o.event, o.entries_after}) : std::nullopt);
    }
    if (!took_acceptable || path.size() == current.operations.size() || path.size() <= followed) return along;
    followed = path.size();
    vectors::Vector next = v;
    const auto steps = vectors::evaluate_on_model(v, &path);
    for (std::size_t i = 0; i < steps.size() && i < next.expectations.size(); ++i) next.expectations[i] = steps[i].expectation;
    for (const auto& step : steps) next.notes.insert(step.notes.begin(), step.notes.end());
    along = std::move(next);
  }
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
