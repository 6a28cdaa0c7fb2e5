// The state every VMX vector (vtspec/vector/4) starts from: a VMX L1 on a CPU profile, with
// CR0 and CR4 as VMX operation needs them (SDM Vol. 3C 24.8), its VMXON region and VMCS
// region below 1 GiB (the L1 targets keep their own memory above it), and the revision
// identifier in each region (25.2, 25.11.5).
#pragma once

#include <optional>
#include <string>

#include "checker/generate/draft.hpp"
#include "model/vmx/vmx_profiles.hpp"

namespace vtspec::generate {

// The profile the VMX vectors that Bochs runs use: its measured capability MSRs.
inline constexpr const char* kBochsProfile = "bochs-2.7";
inline constexpr std::uint64_t kVmxonRegion = 0x200000, kVmcsRegion = 0x201000, kOtherRegion = 0x202000,
                               kMsrLoadArea = 0x300000;

// model::vmx::valid_vmcs on `caps`, with the VMX-preemption timer armed (SDM Vol. 3C 25.5.1),
// so that the guest a successful entry starts comes back to the L1.
spec::vmx::VmcsValues<spec::Concrete> entry_base_vmcs(const spec::vmx::VmxCapabilities& caps);

struct L1Start {
  bool vmxon = true;        // in VMX root operation after VMXON of kVmxonRegion
  bool current = true;      // with kVmcsRegion current (and `vmcs` in it)
  std::string capabilities; // vmx.capabilities overrides, a YAML flow mapping (empty: the profile's)
};

// The sketch of a VMX L1 on `profile` holding `vmcs` in its current VMCS. kOtherRegion holds
// the revision identifier too (a second VMCS).
StateSketch vmx_l1_state(const model::vmx::VmxProfile& profile, const spec::vmx::VmcsValues<spec::Concrete>& vmcs,
                         const L1Start& start = {});

}  // namespace vtspec::generate
