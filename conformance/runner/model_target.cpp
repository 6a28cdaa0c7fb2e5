#include "conformance/runner/model_target.hpp"

#include "vectors/format/model_evaluation.hpp"

namespace vtspec::conformance {

// The model's results depend on the model's code alone: its version identifies them
// (VTSPEC_VERSION: the project version, conformance/runner/CMakeLists.txt).
ModelTarget::ModelTarget() { capabilities_.identity = {name(), {{"vtspec", VTSPEC_VERSION}}}; }

ModelTarget::ModelTarget(std::shared_ptr<const model::RuleOverride> rules, const std::string& mutation)
    : rules_(std::move(rules)) {
  capabilities_.identity = {name(), {{"vtspec", VTSPEC_VERSION}, {"mutation", mutation}}};
}

VectorResult ModelTarget::run(const vectors::Vector& vector) {
  VectorResult result;
  vectors::Vector mutated;
  if (rules_) {
    mutated = vector;
    mutated.initial.rule_override = rules_;
  }
  for (auto& step : vectors::evaluate_on_model(rules_ ? mutated : vector, nullptr, vectors::StepTrace::omit)) {
    Observation obs;
    obs.ran = true;
    obs.event = step.expectation.outcomes.front().event;
    obs.entries_after = std::move(step.entries_after);
    result.observations.push_back(std::move(obs));
  }
  return result;
}

}  // namespace vtspec::conformance
