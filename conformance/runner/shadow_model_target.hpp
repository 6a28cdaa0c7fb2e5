// The `shadow-model` targets: a vector's guest runs under the reference shadow-paging VMM
// (model/shadow/shadow_vmm.hpp) on the model's processor. Every outcome must be one the
// architectural TLB model allows for the same guest: `vtspec run --target shadow-model` on
// the corpus checks the VMM's coherence obligation on every vector, under each named policy
// (model/shadow/shadow_policy.hpp: `shadow-model` write-protects every guest table;
// `shadow-model-unsync` lets page tables go out of sync until the guest invalidates; the
// `-wp0` ones run CR0.WP = 0 supervisor writes through writable supervisor-only shadows).
#pragma once

#include <string>

#include "conformance/target.hpp"
#include "model/shadow/shadow_vmm.hpp"

namespace vtspec::conformance {

class ShadowModelTarget final : public Target {
 public:
  // With `bug` (mutation testing only: model/shadow/shadow_bug.hpp), named for it.
  explicit ShadowModelTarget(const model::shadow::NamedShadowPolicy& policy,
                             model::shadow::ShadowBug bug = model::shadow::ShadowBug::none);
  std::string name() const override { return name_; }
  const Capabilities& capabilities() override { return capabilities_; }
  VectorResult run(const vectors::Vector& vector) override;

 private:
  model::shadow::ShadowPolicy policy_;
  model::shadow::ShadowBug bug_;
  std::string name_;
  Capabilities capabilities_;
};

}  // namespace vtspec::conformance
