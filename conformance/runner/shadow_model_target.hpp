// The `shadow-model` targets: a vector's guest runs under the reference shadow-paging VMM
// (model/shadow/shadow_vmm.hpp) on the model's processor. Every outcome must be one the
// architectural TLB model allows for the same guest: `vtspec run --target shadow-model` on
// the corpus checks the VMM's coherence obligation on every vector, under each policy
// (`shadow-model` write-protects every guest table; `shadow-model-unsync` lets page tables
// go out of sync until the guest invalidates).
#pragma once

#include <string>

#include "conformance/target.hpp"
#include "model/shadow/shadow_vmm.hpp"

namespace vtspec::conformance {

class ShadowModelTarget final : public Target {
 public:
  // With `bug` (mutation testing only: model/shadow/shadow_bug.hpp), named for it.
  explicit ShadowModelTarget(model::shadow::SyncPolicy policy, model::shadow::ShadowBug bug = model::shadow::ShadowBug::none,
                             const std::string& bug_name = "");
  std::string name() const override { return name_; }
  const Capabilities& capabilities() override { return capabilities_; }
  VectorResult run(const vectors::Vector& vector) override;

 private:
  model::shadow::SyncPolicy policy_;
  model::shadow::ShadowBug bug_;
  std::string name_;
  Capabilities capabilities_;
};

}  // namespace vtspec::conformance
