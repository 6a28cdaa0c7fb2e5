#include "vectors/format/vmx_entry_file.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "vectors/format/input_file.hpp"
#include "vectors/format/load_error.hpp"
#include "vectors/format/state_file.hpp"
#include "vectors/format/yaml_document.hpp"

namespace vtspec::vectors {

namespace {

using namespace spec::vmx;

constexpr const char* kFormat = "vtspec/vmx-entry/1";

void only_keys(const std::string& file, const YAML::Node& map, const std::string& where,
               std::initializer_list<const char*> keys) {
  for (const auto& kv : map) {
    const auto key = kv.first.as<std::string>();
    bool known = false;
    for (const char* k : keys) known = known || key == k;
    if (!known) {
      std::string list;
      for (const char* k : keys) list += std::string(list.empty() ? "" : ", ") + k;
      throw LoadError(file, kv.first, where.empty() ? key : where + "." + key,
                      fmt::format("unknown key '{}' (expected {})", key, list));
    }
  }
}

std::uint64_t* capability_member(VmxCapabilities& c, const std::string& name) {
  if (name == "basic") return &c.basic;
  if (name == "pinbased_ctls") return &c.pinbased;
  if (name == "procbased_ctls") return &c.procbased;
  if (name == "exit_ctls") return &c.exit;
  if (name == "entry_ctls") return &c.entry;
  if (name == "misc") return &c.misc;
  if (name == "cr0_fixed0") return &c.cr0_fixed0;
  if (name == "cr0_fixed1") return &c.cr0_fixed1;
  if (name == "cr4_fixed0") return &c.cr4_fixed0;
  if (name == "cr4_fixed1") return &c.cr4_fixed1;
  if (name == "vmcs_enum") return &c.vmcs_enum;
  if (name == "procbased_ctls2") return &c.procbased2;
  if (name == "ept_vpid_cap") return &c.ept_vpid_cap;
  if (name == "true_pinbased_ctls") return &c.true_pinbased;
  if (name == "true_procbased_ctls") return &c.true_procbased;
  if (name == "true_exit_ctls") return &c.true_exit;
  if (name == "true_entry_ctls") return &c.true_entry;
  if (name == "vmfunc") return &c.vmfunc;
  if (name == "procbased_ctls3") return &c.procbased3;
  return nullptr;
}

}  // namespace

VmxEntryFile parse_vmx_entry_text(const std::string& text, const std::string& file) {
  const YAML::Node root = parse_yaml_document(text, file);
  if (!root.IsMap()) throw LoadError(file, root, "", "expected a mapping with format, profile and vmcs");
  only_keys(file, root, "", {"format", "profile", "capabilities", "base", "vmcs", "msr_load"});
  const auto format = root["format"];
  if (!format || !format.IsScalar() || format.Scalar() != kFormat)
    throw LoadError(file, format ? format : root, "format", fmt::format("expected format: {}", kFormat));
  VmxEntryFile out;
  const auto profile = root["profile"];
  if (!profile || !profile.IsScalar()) throw LoadError(file, profile ? profile : root, "profile", "expected a profile name");
  const auto* p = model::vmx::find_vmx_profile(profile.Scalar());
  if (!p)
    throw LoadError(file, profile, "profile",
                    fmt::format("unknown profile '{}' (known: {})", profile.Scalar(), model::vmx::vmx_profile_names()));
  out.profile = p->name;
  out.caps = p->caps;
  if (const auto caps = root["capabilities"]) {
    if (!caps.IsMap()) throw LoadError(file, caps, "capabilities", "expected a mapping of capability MSRs");
    for (const auto& kv : caps) {
      const auto name = kv.first.as<std::string>();
      const std::string field = "capabilities." + name;
      const auto value = parse_number(kv.second, file, field);
      if (name == "maxphyaddr" || name == "linear_address_bits") {
        const unsigned lo = name == "maxphyaddr" ? 36 : 48, hi = name == "maxphyaddr" ? 52 : 57;
        if (value < lo || value > hi) throw LoadError(file, kv.second, field, fmt::format("expected {}..{}", lo, hi));
        (name == "maxphyaddr" ? out.caps.maxphyaddr : out.caps.linear_address_bits) = static_cast<unsigned>(value);
      } else if (auto* m = capability_member(out.caps, name)) {
        *m = value;
      } else {
        throw LoadError(file, kv.first, field,
                        fmt::format("unknown capability '{}' (the IA32_VMX_* MSR names in lower case without the "
                                    "prefix, e.g. misc, procbased_ctls2; or maxphyaddr, linear_address_bits)",
                                    name));
      }
    }
  }
  if (const auto base = root["base"]) {
    if (!base.IsScalar() || (base.Scalar() != "valid" && base.Scalar() != "zero"))
      throw LoadError(file, base, "base", "expected valid (the profile's valid VMCS) or zero");
    if (base.Scalar() == "valid") out.vmcs = model::vmx::valid_vmcs(out.caps);
  }
  const auto vmcs = root["vmcs"];
  if (vmcs && !vmcs.IsMap()) throw LoadError(file, vmcs, "vmcs", "expected a mapping of VMCS field names to values");
  if (vmcs)
    for (const auto& kv : vmcs) {
      const auto name = kv.first.as<std::string>();
      const std::string field = "vmcs." + name;
      const auto pos = field_by_name(name);
      if (!pos)
        throw LoadError(file, kv.first, field,
                        fmt::format("unknown VMCS field '{}' (names as in spec/vmx/vmcs_fields.hpp, e.g. guest_cr0, "
                                    "vm_entry_controls)", name));
      const auto& info = kVmcsFieldTable[*pos];
      if (!out.caps.field_exists(info))
        throw LoadError(file, kv.first, field,
                        fmt::format("the field does not exist on profile {} (SDM Vol. 3C Appendix B: it needs a "
                                    "capability the profile lacks)", out.profile));
      const auto value = parse_number(kv.second, file, field);
      const auto width = field_width(info.encoding);
      if (value & ~width_mask(width))
        throw LoadError(file, kv.second, field,
                        fmt::format("{:#x} does not fit the field's {} bits", value, width_bits(width)));
      out.vmcs.values[*pos] = value;
    }
  if (const auto msrs = root["msr_load"]) {
    if (!msrs.IsSequence()) throw LoadError(file, msrs, "msr_load", "expected a list of { index, data }");
    for (std::size_t i = 0; i < msrs.size(); ++i) {
      const std::string where = fmt::format("msr_load[{}]", i);
      const auto e = msrs[i];
      if (!e.IsMap()) throw LoadError(file, e, where, "expected { index: N, data: N }");
      only_keys(file, e, where, {"index", "data"});
      if (!e["index"]) throw LoadError(file, e, where + ".index", "missing the MSR index");
      out.msr_area.push_back({parse_number(e["index"], file, where + ".index"),
                              e["data"] ? parse_number(e["data"], file, where + ".data") : 0});
    }
  }
  const auto count = out.vmcs.values[*field_position(vmcs_field::vm_entry_msr_load_count)];
  if (count > out.msr_area.size())
    throw LoadError(file, vmcs ? vmcs : root, "vmcs.vm_entry_msr_load_count",
                    fmt::format("the count {} exceeds the {} entries listed under msr_load", count, out.msr_area.size()));
  return out;
}

VmxEntryFile load_vmx_entry_file(const std::string& path) { return parse_vmx_entry_text(read_input_file(path), path); }

}  // namespace vtspec::vectors
