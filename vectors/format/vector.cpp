#include "vectors/format/vector.hpp"

#include <fmt/format.h>

namespace vtspec::vectors {

model::CpuNeeds needs_of(const Vector& v) {
  model::CpuNeeds needs = model::cpu_needs(v.initial, v.operations);
  for (const auto& name : v.requires_features)
    if (const auto feature = model::feature_named(name)) needs.features[*feature] = true;
  return needs;
}

std::string describe_operation(const model::Operation& op) {
  using model::OperationKind;
  switch (op.kind) {
    case OperationKind::access: {
      const auto& a = op.access;
      if (a.kind == spec::AccessKind::fetch) return fmt::format("fetch at {:#x}, CPL {}", a.linear, a.cpl);
      if (a.kind == spec::AccessKind::write)
        return fmt::format("write {} bytes {:#x} at {:#x}, CPL {}", op.size, op.value, a.linear, a.cpl);
      return fmt::format("read {} bytes at {:#x}, CPL {}", op.size, a.linear, a.cpl);
    }
    case OperationKind::store_entry: return fmt::format("store {:#x} to the entry at {:#x}", op.value, op.address);
    case OperationKind::invlpg: return fmt::format("INVLPG {:#x}", op.address);
    case OperationKind::mov_cr3:
      return fmt::format("MOV CR3 <- {:#x}{}", op.value, (op.value >> 63) ? " (no-flush)" : "");
    case OperationKind::mov_cr4: return fmt::format("MOV CR4 <- {:#x}", op.value);
    case OperationKind::mov_cr0: return fmt::format("MOV CR0 <- {:#x}", op.value);
    case OperationKind::invpcid:
      return op.type == 0 ? fmt::format("INVPCID type 0, PCID {:#x}, address {:#x}", op.pcid, op.address)
                          : fmt::format("INVPCID type {}, PCID {:#x}", op.type, op.pcid);
    default: return fmt::format("{}", model::to_string(op.kind));
  }
}

namespace {
const char* flag_text(FlagExpectation f) {
  return f == FlagExpectation::set ? "set" : f == FlagExpectation::clear ? "clear" : "either";
}
}  // namespace

std::string describe_outcome(const ExpectedOutcome& o) {
  std::string s = model::describe(o.event);
  for (const auto& e : o.entries) {
    s += fmt::format("; {}: A {}, D {}", e.name, flag_text(e.accessed), flag_text(e.dirty));
  }
  if (!o.flags.empty()) s += fmt::format(" [{}]", fmt::join(o.flags, ", "));
  return s;
}

}  // namespace vtspec::vectors
