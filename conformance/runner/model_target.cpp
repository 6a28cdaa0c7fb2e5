#include "conformance/runner/model_target.hpp"

#include "vectors/format/model_evaluation.hpp"

namespace vtspec::conformance {

VectorResult ModelTarget::run(const vectors::Vector& vector) {
  VectorResult result;
  for (auto& step : vectors::evaluate_on_model(vector)) {
    const vectors::ExpectedOutcome& o = step.expectation.outcomes.front();
    Observation obs;
    obs.kind = o.kind == vectors::ExpectedOutcome::Kind::exception ? Observation::Kind::exception : Observation::Kind::completed;
    obs.value = o.value;
    obs.vector = o.vector;
    obs.error_code = o.error_code;
    obs.cr2 = o.cr2;
    obs.entries_after = std::move(step.entries_after);
    result.observations.push_back(std::move(obs));
  }
  return result;
}

}  // namespace vtspec::conformance
