#include "conformance/runner/skip_decision.hpp"

#include <fmt/format.h>

namespace vtspec::conformance {

std::optional<std::string> skip_reason(const model::CpuNeeds& needs, const Capabilities& caps) {
  if (!caps.unavailable.empty()) return "target unavailable: " + caps.unavailable;
  if (needs.maxphyaddr < caps.min_maxphyaddr || needs.maxphyaddr > caps.max_maxphyaddr)
    return fmt::format("needs MAXPHYADDR {}; this target builds {}..{}{}", needs.maxphyaddr, caps.min_maxphyaddr,
                       caps.max_maxphyaddr, caps.maxphyaddr_limit.empty() ? "" : " (" + caps.maxphyaddr_limit + ")");
  for (const auto& [feature, present] : needs.features) {
    const FeatureSupport& s = caps[feature];
    if (present && !s.can_have) return fmt::format("needs {}: {}", model::to_string(feature), s.why_not_have);
    if (!present && !s.can_lack) return fmt::format("needs a CPU without {}: {}", model::to_string(feature), s.why_not_lack);
  }
  for (const auto& ability : needs.abilities)
    if (caps.abilities && !caps.abilities->count(ability)) {
      const auto why = caps.why_not_ability.find(ability);
      return fmt::format("cannot execute '{}'{}", ability, why == caps.why_not_ability.end() ? "" : ": " + why->second);
    }
  return std::nullopt;
}

}  // namespace vtspec::conformance
