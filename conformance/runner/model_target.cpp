#include "conformance/runner/model_target.hpp"

#include "vectors/format/model_evaluation.hpp"

namespace vtspec::conformance {

VectorResult ModelTarget::run(const vectors::Vector& vector) {
  VectorResult result;
  for (auto& step : vectors::evaluate_on_model(vector)) {
    Observation obs;
    obs.ran = true;
    obs.event = step.expectation.outcomes.front().event;
    obs.entries_after = std::move(step.entries_after);
    result.observations.push_back(std::move(obs));
  }
  return result;
}

}  // namespace vtspec::conformance
