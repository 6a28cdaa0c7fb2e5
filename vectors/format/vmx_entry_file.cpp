#include "vectors/format/vmx_entry_file.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "vectors/format/input_file.hpp"
#include "vectors/format/load_error.hpp"
#include "vectors/format/state_file.hpp"
#include "vectors/format/vmx_yaml.hpp"
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

}  // namespace

VmxEntryFile parse_vmx_entry_text(const std::string& text, const std::string& file) {
  const YAML::Node root = parse_yaml_document(text, file);
  if (!root.IsMap()) throw LoadError(file, root, "", "expected a mapping with format, profile and vmcs");
  only_keys(file, root, "", {"format", "profile", "capabilities", "base", "vmcs", "msr_load"});
  const auto format = root["format"];
  if (!format || !format.IsScalar() || format.Scalar() != kFormat)
    throw LoadError(file, format ? format : root, "format", fmt::format("expected format: {}", kFormat));
  VmxEntryFile out;
  const auto& p = parse_vmx_profile(root["profile"] ? root["profile"] : root, file, "profile");
  out.profile = p.name;
  out.caps = p.caps;
  if (const auto caps = root["capabilities"]) parse_vmx_capabilities(caps, file, "capabilities", out.caps);
  if (const auto base = root["base"]) {
    if (!base.IsScalar() || (base.Scalar() != "valid" && base.Scalar() != "zero"))
      throw LoadError(file, base, "base", "expected valid (the profile's valid VMCS) or zero");
    if (base.Scalar() == "valid") out.vmcs = model::vmx::valid_vmcs(out.caps);
  }
  const auto vmcs = root["vmcs"];
  if (vmcs) parse_vmcs_fields(vmcs, file, "vmcs", out.caps, out.profile, out.vmcs);
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
