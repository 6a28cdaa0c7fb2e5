// The `model` target: runs a vector on the reference model itself (model/processor's Processor,
// following the canonical outcome of each operation). `vtspec run --target model` therefore
// checks that a corpus's expectations agree with the model as it is now.
#pragma once

#include <memory>
#include <string>

#include "conformance/target.hpp"
#include "model/rule_override.hpp"

namespace vtspec::conformance {

class ModelTarget final : public Target {
 public:
  ModelTarget();
  // A mutated model (mutation testing only: model/rule_override.hpp), named for its mutation.
  ModelTarget(std::shared_ptr<const model::RuleOverride> rules, const std::string& mutation);
  std::string name() const override { return "model"; }
  const Capabilities& capabilities() override { return capabilities_; }
  VectorResult run(const vectors::Vector& vector) override;

 private:
  Capabilities capabilities_ = unlimited_capabilities();
  std::shared_ptr<const model::RuleOverride> rules_;
};

}  // namespace vtspec::conformance
