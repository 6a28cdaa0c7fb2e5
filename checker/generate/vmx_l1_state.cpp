#include "checker/generate/vmx_l1_state.hpp"

#include <fmt/format.h>

#include "spec/vmx/vmx_controls.hpp"
#include "vectors/format/vmx_yaml.hpp"

namespace vtspec::generate {

spec::vmx::VmcsValues<spec::Concrete> entry_base_vmcs(const spec::vmx::VmxCapabilities& caps) {
  namespace v = spec::vmx;
  auto m = model::vmx::valid_vmcs(caps);
  m.values[*v::field_position(v::vmcs_field::pin_based_controls)] |= 1u << v::pin::preemption_timer;
  m.values[*v::field_position(v::vmcs_field::vmx_preemption_timer_value)] = 1u << 16;
  return m;
}

StateSketch vmx_l1_state(const model::vmx::VmxProfile& profile, const spec::vmx::VmcsValues<spec::Concrete>& vmcs,
                         const L1Start& start) {
  StateSketch s;
  s.features = {fmt::format("maxphyaddr: {}", profile.caps.maxphyaddr)};
  s.cr0 = {"PE", "ET", "NE", "WP", "PG"};
  s.cr4 = {"PAE", "VMXE"};
  const std::uint64_t revision = profile.caps.revision();
  for (std::uint64_t region : {kVmxonRegion, kVmcsRegion, kOtherRegion}) s.host_writes.emplace_back(region, revision);
  s.vmx = fmt::format("  profile: {}\n", profile.name);
  if (!start.capabilities.empty()) s.vmx += "  capabilities: " + start.capabilities + "\n";
  if (start.vmxon) s.vmx += fmt::format("  vmxon: {:#x}\n", kVmxonRegion);
  if (start.vmxon && start.current) {
    s.vmx += fmt::format("  current_vmcs: {:#x}\n", kVmcsRegion);
    if (std::any_of(vmcs.values.begin(), vmcs.values.end(), [](std::uint64_t x) { return x != 0; }))
      s.vmx += "  vmcs: " + vectors::render_vmcs_fields(vmcs, 4, "    ") + "\n";
  }
  return s;
}

}  // namespace vtspec::generate
