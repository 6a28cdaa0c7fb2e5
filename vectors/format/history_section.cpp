#include "vectors/format/history_section.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "vectors/format/load_error.hpp"
#include "vectors/format/state_file.hpp"

namespace vtspec::vectors {

namespace {

using model::Operation;
using model::OperationKind;

// The fields each operation takes (required first, then optional).
struct Shape {
  OperationKind kind;
  std::vector<const char*> required;
  std::vector<const char*> optional;
};

const std::map<std::string, Shape>& shapes() {
  static const std::map<std::string, Shape> table = {
      {"access", {OperationKind::access, {"va"}, {"access", "cpl", "implicit"}}},
      {"store_entry", {OperationKind::store_entry, {"gpa", "value"}, {}}},
      {"invlpg", {OperationKind::invlpg, {"va"}, {}}},
      {"mov_cr3", {OperationKind::mov_cr3, {"value"}, {}}},
      {"mov_cr4", {OperationKind::mov_cr4, {"value"}, {}}},
      {"mov_cr0", {OperationKind::mov_cr0, {"value"}, {}}},
      {"invpcid", {OperationKind::invpcid, {"type"}, {"pcid", "va"}}},
      {"invvpid", {OperationKind::invvpid, {"type"}, {"vpid", "va"}}},
      {"invept", {OperationKind::invept, {"type"}, {"eptp"}}},
      {"vm_entry", {OperationKind::vm_entry, {}, {"vpid", "eptp"}}},
      {"vm_exit", {OperationKind::vm_exit, {}, {}}},
  };
  return table;
}

Operation parse_operation(const YAML::Node& item, const std::string& file, const std::string& field) {
  if (!item.IsMap()) throw LoadError(file, item, field, "expected a mapping such as {op: invlpg, va: 0x400000}");
  if (!item["op"]) throw LoadError(file, item, field + ".op", "missing");
  const std::string name = item["op"].Scalar();
  const auto it = shapes().find(name);
  if (it == shapes().end())
    throw LoadError(file, item["op"], field + ".op",
                    fmt::format("unknown operation '{}' (access, store_entry, invlpg, mov_cr3, mov_cr4, mov_cr0, "
                                "invpcid, invvpid, invept, vm_entry, vm_exit)", name));
  const Shape& shape = it->second;
  for (const auto& kv : item) {
    const std::string key = kv.first.Scalar();
    if (key == "op") continue;
    const auto known = [&](const std::vector<const char*>& list) {
      return std::any_of(list.begin(), list.end(), [&](const char* k) { return key == k; });
    };
    if (!known(shape.required) && !known(shape.optional))
      throw LoadError(file, kv.first, field + "." + key, fmt::format("not a field of {}", name));
  }
  for (const char* key : shape.required)
    if (!item[key]) throw LoadError(file, item, field + "." + key, "missing");
  auto number = [&](const char* key, std::uint64_t fallback = 0) {
    return item[key] ? parse_number(item[key], file, field + "." + key) : fallback;
  };
  Operation op;
  op.kind = shape.kind;
  switch (op.kind) {
    case OperationKind::access: {
      op.access.linear = number("va");
      const std::string kind = item["access"] ? item["access"].Scalar() : "read";
      static const std::map<std::string, spec::AccessKind> kinds = {
          {"read", spec::AccessKind::read}, {"write", spec::AccessKind::write}, {"fetch", spec::AccessKind::fetch}};
      if (!kinds.count(kind)) throw LoadError(file, item["access"], field + ".access", "expected read, write or fetch");
      op.access.kind = kinds.at(kind);
      op.access.cpl = static_cast<unsigned>(number("cpl"));
      if (op.access.cpl > 3) throw LoadError(file, item["cpl"], field + ".cpl", "CPL is 0..3");
      if (item["implicit"]) {
        const std::string v = item["implicit"].Scalar();
        if (v != "true" && v != "false") throw LoadError(file, item["implicit"], field + ".implicit", "expected true or false");
        op.access.implicit_supervisor = v == "true";
      }
      break;
    }
    case OperationKind::store_entry:
      op.address = number("gpa");
      op.value = number("value");
      if (op.address & 7) throw LoadError(file, item["gpa"], field + ".gpa", "a paging-structure entry is 8-byte aligned");
      break;
    case OperationKind::invlpg: op.address = number("va"); break;
    case OperationKind::mov_cr3:
    case OperationKind::mov_cr4:
    case OperationKind::mov_cr0: op.value = number("value"); break;
    case OperationKind::invpcid:
    case OperationKind::invvpid:
    case OperationKind::invept: {
      op.type = static_cast<unsigned>(number("type"));
      const bool ok = op.kind == OperationKind::invept ? (op.type == 1 || op.type == 2) : op.type <= 3;
      if (!ok)
        throw LoadError(file, item["type"], field + ".type",
                        op.kind == OperationKind::invept ? "INVEPT type is 1 or 2" : "type is 0..3");
      op.pcid = number("pcid");
      if (op.pcid > 0xfff) throw LoadError(file, item["pcid"], field + ".pcid", "a PCID is 12 bits");
      op.vpid = number("vpid");
      if (op.vpid > 0xffff) throw LoadError(file, item["vpid"], field + ".vpid", "a VPID is 16 bits");
      op.eptp = number("eptp");
      op.address = number("va");
      break;
    }
    case OperationKind::vm_entry:
      op.vpid = number("vpid");
      if (op.vpid > 0xffff) throw LoadError(file, item["vpid"], field + ".vpid", "a VPID is 16 bits");
      op.eptp = number("eptp");
      break;
    case OperationKind::vm_exit: break;
  }
  return op;
}

}  // namespace

std::vector<model::Operation> load_history(const YAML::Node& doc, const std::string& file) {
  std::vector<model::Operation> out;
  if (!doc.IsMap() || !doc["history"]) return out;
  const YAML::Node list = doc["history"];
  if (!list.IsSequence()) throw LoadError(file, list, "history", "expected a list of operations");
  std::size_t i = 0;
  for (const auto& item : list) out.push_back(parse_operation(item, file, fmt::format("history[{}]", i++)));
  return out;
}

std::vector<model::Operation> load_history_file(const std::string& path) {
  return load_history(load_yaml_file(path), path);
}

}  // namespace vtspec::vectors
