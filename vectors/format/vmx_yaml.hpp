// The YAML of a VMX virtual CPU and a VMCS, one grammar for the files that have them: the
// `vtspec/vmx-entry/1` file of `vtspec explain-entry` and a vector state's `vmx:` section
// (vtspec/vector/4). A profile by name (model/vmx/vmx_profiles.hpp), capability MSRs by
// their IA32_VMX_* names in lower case without the prefix, VMCS fields by their SDM Appendix
// B names (spec/vmx/vmcs_fields.hpp). Every error names file, line, column and field.
#pragma once

#include <string>

#include "model/vmx/vmx_profiles.hpp"

namespace YAML { class Node; }

namespace vtspec::vectors {

const model::vmx::VmxProfile& parse_vmx_profile(const YAML::Node& node, const std::string& file, const std::string& field);
// Overrides `caps` with the MSRs (and maxphyaddr, linear_address_bits) the mapping gives.
void parse_vmx_capabilities(const YAML::Node& node, const std::string& file, const std::string& field,
                            spec::vmx::VmxCapabilities& caps);
// Sets the fields the mapping gives; each must exist on `caps` (Appendix B) and fit its width.
void parse_vmcs_fields(const YAML::Node& node, const std::string& file, const std::string& field,
                       const spec::vmx::VmxCapabilities& caps, const std::string& profile,
                       spec::vmx::VmcsValues<spec::Concrete>& vmcs);
// The capability MSRs as the mapping parse_vmx_capabilities reads ("basic: 0x..., ..."),
// every one, in the order of SDM Vol. 3C Appendix A.
std::string render_vmx_capabilities(const spec::vmx::VmxCapabilities& caps);
// The first capability in which `a` and `b` differ, in words ("misc 0x... / 0x..."); empty
// when they are equal.
std::string vmx_capabilities_difference(const spec::vmx::VmxCapabilities& a, const spec::vmx::VmxCapabilities& b);
// The non-zero fields of `vmcs` as a YAML flow mapping, `per_line` fields a line, each line
// after the first indented by `indent`.
std::string render_vmcs_fields(const spec::vmx::VmcsValues<spec::Concrete>& vmcs, unsigned per_line, const std::string& indent);

}  // namespace vtspec::vectors
