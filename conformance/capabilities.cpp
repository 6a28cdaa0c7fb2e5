#include "conformance/capabilities.hpp"

namespace vtspec::conformance {

std::string TargetIdentity::describe() const {
  if (details.empty()) return name;
  std::string out = name + " (";
  const char* separator = "";
  for (const auto& [key, value] : details) {
    out += separator + key + " " + value;
    separator = ", ";
  }
  return out + ")";
}

Capabilities unlimited_capabilities() {
  Capabilities c;
  c.real = false;
  for (auto& f : c.features) f.can_have = f.can_lack = true;
  c.iommu_profiles = std::nullopt;  // every remapping-unit profile
  c.ept_capabilities = std::nullopt;  // every EPT
  c.nested_paging = true;             // and every nested-paging guest
  c.vmx_l1 = std::nullopt;            // and every VMX L1
  return c;
}

}  // namespace vtspec::conformance
