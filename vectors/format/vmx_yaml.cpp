#include "vectors/format/vmx_yaml.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "vectors/format/load_error.hpp"
#include "vectors/format/state_file.hpp"

namespace vtspec::vectors {

namespace {

using namespace spec::vmx;

// The capability MSRs by name, in the order of SDM Vol. 3C Appendix A (A.1-A.11).
struct CapabilityName {
  const char* name;
  std::uint64_t VmxCapabilities::*member;
};
constexpr CapabilityName kCapabilityNames[] = {
    {"basic", &VmxCapabilities::basic},
    {"pinbased_ctls", &VmxCapabilities::pinbased},
    {"procbased_ctls", &VmxCapabilities::procbased},
    {"exit_ctls", &VmxCapabilities::exit},
    {"entry_ctls", &VmxCapabilities::entry},
    {"misc", &VmxCapabilities::misc},
    {"cr0_fixed0", &VmxCapabilities::cr0_fixed0},
    {"cr0_fixed1", &VmxCapabilities::cr0_fixed1},
    {"cr4_fixed0", &VmxCapabilities::cr4_fixed0},
    {"cr4_fixed1", &VmxCapabilities::cr4_fixed1},
    {"vmcs_enum", &VmxCapabilities::vmcs_enum},
    {"procbased_ctls2", &VmxCapabilities::procbased2},
    {"ept_vpid_cap", &VmxCapabilities::ept_vpid_cap},
    {"true_pinbased_ctls", &VmxCapabilities::true_pinbased},
    {"true_procbased_ctls", &VmxCapabilities::true_procbased},
    {"true_exit_ctls", &VmxCapabilities::true_exit},
    {"true_entry_ctls", &VmxCapabilities::true_entry},
    {"vmfunc", &VmxCapabilities::vmfunc},
    {"procbased_ctls3", &VmxCapabilities::procbased3},
};

}  // namespace

const model::vmx::VmxProfile& parse_vmx_profile(const YAML::Node& node, const std::string& file, const std::string& field) {
  if (!node.IsScalar()) throw LoadError(file, node, field, "expected a profile name");
  const auto* p = model::vmx::find_vmx_profile(node.Scalar());
  if (!p)
    throw LoadError(file, node, field,
                    fmt::format("unknown profile '{}' (known: {})", node.Scalar(), model::vmx::vmx_profile_names()));
  return *p;
}

void parse_vmx_capabilities(const YAML::Node& node, const std::string& file, const std::string& field, VmxCapabilities& caps) {
  if (!node.IsMap()) throw LoadError(file, node, field, "expected a mapping of capability MSRs");
  for (const auto& kv : node) {
    const auto name = kv.first.as<std::string>();
    const std::string where = field + "." + name;
    const auto value = parse_number(kv.second, file, where);
    if (name == "maxphyaddr" || name == "linear_address_bits") {
      const unsigned lo = name == "maxphyaddr" ? 36 : 48, hi = name == "maxphyaddr" ? 52 : 57;
      if (value < lo || value > hi) throw LoadError(file, kv.second, where, fmt::format("expected {}..{}", lo, hi));
      (name == "maxphyaddr" ? caps.maxphyaddr : caps.linear_address_bits) = static_cast<unsigned>(value);
      continue;
    }
    bool known = false;
    for (const auto& c : kCapabilityNames)
      if (name == c.name) {
        caps.*c.member = value;
        known = true;
      }
    if (!known)
      throw LoadError(file, kv.first, where,
                      fmt::format("unknown capability '{}' (the IA32_VMX_* MSR names in lower case without the prefix, "
                                  "e.g. misc, procbased_ctls2; or maxphyaddr, linear_address_bits)",
                                  name));
  }
}

void parse_vmcs_fields(const YAML::Node& node, const std::string& file, const std::string& field, const VmxCapabilities& caps,
                       const std::string& profile, VmcsValues<spec::Concrete>& vmcs) {
  if (!node.IsMap()) throw LoadError(file, node, field, "expected a mapping of VMCS field names to values");
  for (const auto& kv : node) {
    const auto name = kv.first.as<std::string>();
    const std::string where = field + "." + name;
    const auto pos = field_by_name(name);
    if (!pos)
      throw LoadError(file, kv.first, where,
                      fmt::format("unknown VMCS field '{}' (names as in spec/vmx/vmcs_fields.hpp, e.g. guest_cr0, "
                                  "vm_entry_controls)",
                                  name));
    const auto& info = kVmcsFieldTable[*pos];
    if (!caps.field_exists(info))
      throw LoadError(file, kv.first, where,
                      fmt::format("the field does not exist on profile {} (SDM Vol. 3C Appendix B: it needs a capability "
                                  "the profile lacks)",
                                  profile));
    const auto value = parse_number(kv.second, file, where);
    const auto width = field_width(info.encoding);
    if (value & ~width_mask(width))
      throw LoadError(file, kv.second, where, fmt::format("{:#x} does not fit the field's {} bits", value, width_bits(width)));
    vmcs.values[*pos] = value;
  }
}

std::string render_vmx_capabilities(const VmxCapabilities& caps) {
  std::string out;
  for (const auto& c : kCapabilityNames) out += fmt::format("{}{}: {:#x}", out.empty() ? "" : ", ", c.name, caps.*c.member);
  return out + fmt::format(", maxphyaddr: {}, linear_address_bits: {}", caps.maxphyaddr, caps.linear_address_bits);
}

std::string vmx_capabilities_difference(const VmxCapabilities& a, const VmxCapabilities& b) {
  for (const auto& c : kCapabilityNames)
    if (a.*c.member != b.*c.member) return fmt::format("IA32_VMX_{} {:#x} / {:#x}", c.name, a.*c.member, b.*c.member);
  if (a.maxphyaddr != b.maxphyaddr) return fmt::format("MAXPHYADDR {} / {}", a.maxphyaddr, b.maxphyaddr);
  if (a.linear_address_bits != b.linear_address_bits)
    return fmt::format("linear-address width {} / {}", a.linear_address_bits, b.linear_address_bits);
  return {};
}

std::string render_vmcs_fields(const VmcsValues<spec::Concrete>& vmcs, unsigned per_line, const std::string& indent) {
  std::string out = "{ ";
  unsigned on_line = 0;
  bool first = true;
  for (std::size_t f = 0; f < kVmcsFieldCount; ++f) {
    if (!vmcs.values[f]) continue;
    if (!first) out += on_line == per_line ? ",\n" + indent : ", ";
    if (on_line == per_line) on_line = 0;
    out += fmt::format("{}: {:#x}", kVmcsFieldTable[f].name, vmcs.values[f]);
    ++on_line;
    first = false;
  }
  return out + " }";
}

}  // namespace vtspec::vectors
