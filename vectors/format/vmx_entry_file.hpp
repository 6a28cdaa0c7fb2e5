// The `vtspec/vmx-entry/1` file that `vtspec explain-entry` reads: a capability profile
// (model/vmx/vmx_profiles.hpp) with optional MSR overrides, a VMCS - either every field
// given or a named base (`valid`: the profile's valid VMCS; `zero`) with fields changed -
// and the VM-entry MSR-load area. Every error names file, line, column and field.
//
//   format: vtspec/vmx-entry/1
//   profile: bochs-skylake-x
//   capabilities: { misc: 0x7004c1e7 }       # optional: MSRs by name, maxphyaddr, linear_address_bits
//   base: valid                              # or zero (default)
//   vmcs: { guest_cr4: 0x2000 }              # field names of SDM Appendix B (spec/vmx/vmcs_fields.hpp)
//   msr_load: [ { index: 0xc0000100, data: 0 } ]   # the first vm_entry_msr_load_count are loaded
#pragma once

#include <string>
#include <vector>

#include "model/vmx/vmx_profiles.hpp"

namespace vtspec::vectors {

struct VmxEntryFile {
  std::string profile;
  spec::vmx::VmxCapabilities caps;
  spec::vmx::VmcsValues<spec::Concrete> vmcs = spec::vmx::zero_vmcs();
  std::vector<spec::vmx::MsrLoadEntry<spec::Concrete>> msr_area;
};

VmxEntryFile load_vmx_entry_file(const std::string& path);
VmxEntryFile parse_vmx_entry_text(const std::string& text, const std::string& file);

}  // namespace vtspec::vectors
