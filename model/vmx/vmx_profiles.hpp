// Named CPU profiles: the VMX capability MSRs (SDM Vol. 3C Appendix A) of a virtual CPU.
// Every VM-entry check and VMX instruction rule is parametric in them.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "spec/vmx/vmcs_fields.hpp"
#include "spec/vmx/vm_entry_check.hpp"
#include "spec/vmx/vmx_capabilities.hpp"

namespace vtspec::model::vmx {

struct VmxProfile {
  const char* name;
  const char* source;  // where the values come from
  spec::vmx::VmxCapabilities caps;
};

std::span<const VmxProfile> vmx_profiles();
const VmxProfile* find_vmx_profile(std::string_view name);
std::string vmx_profile_names();  // "bochs-skylake-x, server"

// A VMCS that passes every VM-entry check on `caps`: a 64-bit guest (IA-32e mode, flat
// segments, CPL 0) with EPT and VPID 1 where the profile has them, entered from a 64-bit
// host. Built from the capability MSRs (each control at its allowed-0 settings plus what
// the guest needs), not from the checks.
spec::vmx::VmcsValues<spec::Concrete> valid_vmcs(const spec::vmx::VmxCapabilities& caps);

}  // namespace vtspec::model::vmx
