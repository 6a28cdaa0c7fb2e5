#include "conformance/runner/skip_decision.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "vectors/format/vmx_yaml.hpp"

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
  if (!needs.iommu_profile.empty() && caps.iommu_profiles && !caps.iommu_profiles->count(needs.iommu_profile))
    return fmt::format("needs the IOMMU {}: {}", needs.iommu_profile,
                       caps.iommu_profiles->empty() ? caps.why_no_iommu : "this target builds " + fmt::format("{}", fmt::join(*caps.iommu_profiles, ", ")));
  if (needs.ept && caps.ept_capabilities &&
      std::find(caps.ept_capabilities->begin(), caps.ept_capabilities->end(), *needs.ept) == caps.ept_capabilities->end())
    return caps.ept_capabilities->empty() ? "needs VMX non-root operation under the vector's EPT: " + caps.why_no_ept
                                          : "needs EPT capabilities this target does not build (" + caps.why_no_ept + ")";
  if (needs.vmx && caps.vmx_l1 && std::find(caps.vmx_l1->begin(), caps.vmx_l1->end(), *needs.vmx) == caps.vmx_l1->end())
    return caps.vmx_l1->empty() ? "needs a VMX L1 (VMX instructions in root operation): " + caps.why_no_vmx_l1
                                : fmt::format("needs the vector's VMX capability MSRs; {} (vector / target: {})", caps.why_no_vmx_l1,
                                              vectors::vmx_capabilities_difference(*needs.vmx, caps.vmx_l1->front()));
  if (!needs.nested_paging && !needs.ept && !needs.vmx && needs.iommu_profile.empty() && !caps.native_guest)
    return "needs a guest without nested paging: " + caps.why_no_native_guest;
  if (needs.nested_paging && !caps.nested_paging) return "needs an AMD-V guest under nested paging: " + caps.why_no_nested_paging;
  if (needs.nested_paging && !caps.nested_host_nxe.count(needs.nested_host_nxe))
    return fmt::format("needs a host EFER.NXE = {} at VMRUN; this target's L1 runs with {}", needs.nested_host_nxe ? 1 : 0,
                       needs.nested_host_nxe ? 0 : 1);
  if (!needs.iommu_profile.empty() && caps.memory_window && needs.memory_end > needs.memory_begin &&
      (needs.memory_begin < caps.memory_window->first || needs.memory_end > caps.memory_window->second))
    return fmt::format("its memory spans [{:#x}, {:#x}); this target places memory in [{:#x}, {:#x}) ({})", needs.memory_begin,
                       needs.memory_end, caps.memory_window->first, caps.memory_window->second, caps.memory_window_reason);
  return std::nullopt;
}

}  // namespace vtspec::conformance
