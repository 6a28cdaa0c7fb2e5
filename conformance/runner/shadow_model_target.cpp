#include "conformance/runner/shadow_model_target.hpp"

#include <fmt/format.h>

#include "model/operation_table.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::conformance {

ShadowModelTarget::ShadowModelTarget(const model::shadow::NamedShadowPolicy& policy, model::shadow::ShadowBug bug)
    : policy_(policy.policy), bug_(bug), name_(policy.target), capabilities_(unlimited_capabilities()) {
  capabilities_.identity = {name_, {{"vtspec", VTSPEC_VERSION}, {"policy", model::shadow::to_string(policy_)}}};
  if (bug != model::shadow::ShadowBug::none) capabilities_.identity.details["mutation"] = model::shadow::shadow_bug_name(bug);
  // Its guests run without VMX: the VMX operations are not its to run.
  capabilities_.abilities.emplace();
  for (const model::Operation& op : model::ability_examples()) {
    const std::string ability = model::ability(op);
    if (model::row_of(op).vmx)
      capabilities_.why_not_ability[ability] = "the shadow VMM's guest runs without VMX (model/shadow/shadow_vmm.hpp)";
    else
      capabilities_.abilities->insert(ability);
  }
  capabilities_.ept_capabilities.emplace();  // none: the shadow VMM is the guest's only second stage
  capabilities_.why_no_ept = "the shadow VMM's guest runs without VMX (model/shadow/shadow_vmm.hpp)";
}

VectorResult ShadowModelTarget::run(const vectors::Vector& vector) {
  VectorResult result;
  try {
    model::shadow::ShadowVmm vmm(vector.initial, policy_, bug_);
    for (const model::Operation& op : vector.operations) {
      Observation obs;
      obs.ran = true;
      obs.event = vmm.run(op);
      for (const auto& entry : vector.entries) obs.entries_after.emplace_back(entry.physical, vmm.guest().memory.read64(entry.physical));
      result.observations.push_back(std::move(obs));
    }
  } catch (const std::exception& e) {
    result.status = VectorResult::Status::target_error;
    result.reason = fmt::format("the shadow VMM: {}", e.what());
  }
  return result;
}

}  // namespace vtspec::conformance
