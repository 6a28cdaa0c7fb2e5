#include "vectors/format/operation_yaml.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "spec/canonical_address.hpp"

#include "model/operation_table.hpp"
#include "vectors/format/load_error.hpp"
#include "vectors/format/state_file.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::vectors {

namespace {

using model::Field;
using model::OperationRow;
using model::Presence;
using model::Syntax;

constexpr std::uint64_t kNoFlush = std::uint64_t{1} << 63;

// Linear addresses must be canonical for the paging mode (spec/canonical_address.hpp): an
// access to a non-canonical address is a #GP or #SS, not a paging question, so operations
// exclude it.

// Every key some row uses: a key outside it is unknown, one inside it but not in the row's
// fields is "not a field of" the operation.
const std::set<std::string>& all_keys() {
  static const std::set<std::string> keys = [] {
    std::set<std::string> k{"op"};
    for (const auto& row : model::operation_table())
      for (const auto& f : row.fields) {
        k.insert(f.key);
        if (f.alternative) k.insert(f.alternative);
      }
    return k;
  }();
  return keys;
}

struct FieldReader {
  const YAML::Node& item;
  const std::string& file;
  const std::string& field;
  const OperationContext& context;

  [[noreturn]] void fail(const YAML::Node& node, const std::string& key, const std::string& message) const {
    throw LoadError(file, node, key.empty() ? field : field + "." + key, message);
  }
  std::uint64_t number(const YAML::Node& node, const char* key) const { return parse_number(node, file, field + "." + key); }

  bool boolean(const YAML::Node& node, const char* key) const {
    const std::string s = node.IsScalar() ? node.Scalar() : "";
    if (s == "true" || s == "yes") return true;
    if (s == "false" || s == "no") return false;
    fail(node, key, "expected true or false");
  }

  std::uint64_t physical(const Field& f, const YAML::Node& node, const char* key) const {
    std::uint64_t gpa = 0;
    if (key == std::string(f.key)) {
      gpa = number(node, key);
    } else {
      const std::string name = node.IsScalar() ? node.Scalar() : "";
      const CheckedEntry* found = nullptr;
      if (context.entries)
        for (const auto& e : *context.entries)
          if (e.name == name) found = &e;
      if (!found) fail(node, key, fmt::format("no entry named '{}' under the vector's entries:", name));
      gpa = found->physical;
    }
    if (gpa & 7) fail(node, key, "paging-structure entries are 8-byte aligned");
    if (gpa >> context.maxphyaddr)
      fail(node, key, fmt::format("{:#x} is beyond MAXPHYADDR ({} bits)", gpa, context.maxphyaddr));
    return gpa;
  }

  std::uint64_t value_of(const Field& f, const YAML::Node& node, const char* key) const {
    switch (f.syntax) {
      case Syntax::number: {
        const std::uint64_t v = number(node, key);
        if (v > f.max) fail(node, key, f.range ? f.range : fmt::format("at most {:#x}", f.max));
        return v;
      }
      case Syntax::choice: {
        const std::uint64_t v = number(node, key);
        if (std::find(f.choices.begin(), f.choices.end(), v) == f.choices.end()) fail(node, key, f.range);
        return v;
      }
      case Syntax::boolean: return boolean(node, key);
      case Syntax::linear: {
        const std::uint64_t va = number(node, key);
        if (!spec::is_canonical(va, context.paging_levels)) fail(node, key, fmt::format("{:#x} is not canonical", va));
        return va;
      }
      case Syntax::physical: return physical(f, node, key);
      case Syntax::cr3: {
        const std::uint64_t v = number(node, key);
        if ((v & ~kNoFlush) >> context.maxphyaddr)
          fail(node, key, fmt::format("{:#x} is beyond MAXPHYADDR ({} bits)", v, context.maxphyaddr));
        return v;
      }
      case Syntax::reg:
        try {
          return parse_register_value(node, file, f.reg);
        } catch (const LoadError& e) {
          fail(node, key, e.message());
        }
    }
    fail(node, key, "unreadable field");
  }
};

}  // namespace

model::Operation parse_operation(const YAML::Node& item, const std::string& file, const std::string& field,
                                 const OperationContext& context) {
  if (!item.IsMap()) throw LoadError(file, item, field, "expected a mapping such as {op: invlpg, va: 0x400000}");
  const FieldReader r{item, file, field, context};
  if (!item["op"]) r.fail(item, "op", "missing");
  const std::string name = item["op"].IsScalar() ? item["op"].Scalar() : "";
  const OperationRow* row = model::find_operation(name);
  if (!row)
    r.fail(item["op"], "op", fmt::format("unknown operation '{}' ({})", name, model::operation_names(!context.vmx_refused)));
  if (row->vmx && context.vmx_refused) r.fail(item["op"], "op", fmt::format("{}: {}", name, context.vmx_refused));
  if (row->iommu && context.iommu_refused) r.fail(item["op"], "op", fmt::format("{}: {}", name, context.iommu_refused));
  if (row->svm && context.svm_refused) r.fail(item["op"], "op", fmt::format("{}: {}", name, context.svm_refused));

  const auto is_field = [&](const std::string& key) {
    return std::any_of(row->fields.begin(), row->fields.end(), [&](const Field& f) {
      return key == f.key || (f.alternative && key == f.alternative);
    });
  };
  for (const auto& kv : item) {
    const std::string key = kv.first.Scalar();
    if (key == "op" || is_field(key)) continue;
    const auto& other = context.other_keys;
    if (std::find(other.begin(), other.end(), key) != other.end()) continue;
    r.fail(kv.first, key, all_keys().count(key) ? fmt::format("not a field of {}", name) : "unknown field");
  }

  model::Operation op = model::make_operation(*row);
  for (const Field& f : row->fields) {
    const char* key = f.key;
    if (f.alternative && item[f.alternative]) {
      if (item[f.key]) r.fail(item, "", fmt::format("give {} or {}, not both", f.key, f.alternative));
      key = f.alternative;
    }
    const YAML::Node node = item[key];
    const bool individual = f.presence == Presence::individual_address || f.presence == Presence::page_selective;
    const unsigned one_address_type = f.presence == Presence::page_selective ? 3 : 0;
    const bool wanted = f.presence == Presence::required || (individual && op.type == one_address_type);
    if (!node) {
      if (wanted)
        r.fail(item, key,
               f.alternative ? fmt::format("missing (give {} or {})", f.key, f.alternative)
               : individual  ? (one_address_type ? "missing (granularity 3 invalidates an address range)"
                                                 : "missing (type 0 invalidates one address)")
                             : "missing");
      continue;
    }
    if (individual && !wanted)
      r.fail(node, key, one_address_type ? "only granularity 3 (page-selective) takes iova" : "only type 0 (individual address) takes va");
    const std::string error = model::set_member(op, f.member, r.value_of(f, node, key));
    if (!error.empty()) r.fail(node, key, error);
  }
  if (row->check) {
    std::string key;
    const std::string error = row->check(op, key);
    if (!error.empty()) r.fail(item[key] ? item[key] : item, key, error);
  }
  return op;
}

std::vector<std::string> render_operation_fields(const model::Operation& op) {
  const OperationRow& row = model::row_of(op);
  std::vector<std::string> parts{std::string("op: ") + row.name};
  for (const Field& f : row.fields) {
    const std::uint64_t v = model::get_member(op, f.member);
    if (f.render == model::Render::never || (f.render == model::Render::unless_fallback && v == f.fallback)) continue;
    if (f.presence == Presence::individual_address && op.type != 0) continue;
    if (f.presence == Presence::page_selective && op.type != 3) continue;
    switch (f.syntax) {
      case Syntax::boolean: parts.push_back(fmt::format("{}: {}", f.key, v ? "true" : "false")); break;
      case Syntax::choice: parts.push_back(fmt::format("{}: {}", f.key, v)); break;
      case Syntax::cr3: parts.push_back(fmt::format("{}: {:#x}", f.key, v & ~kNoFlush)); break;
      default: parts.push_back(fmt::format("{}: {:#x}", f.key, v)); break;
    }
  }
  return parts;
}

}  // namespace vtspec::vectors
