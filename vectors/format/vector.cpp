#include "vectors/format/vector.hpp"

#include <fmt/format.h>

namespace vtspec::vectors {

const char* schema_of(const Vector& v) {
  return v.initial.vmx ? kVectorSchemaV4 : v.initial.npt ? kVectorSchemaV3 : v.initial.ept ? kVectorSchemaV2 : kVectorSchema;
}

model::CpuNeeds needs_of(const Vector& v) {
  model::CpuNeeds needs = model::cpu_needs(v.initial, v.operations);
  for (const auto& name : v.requires_features)
    if (const auto feature = model::feature_named(name)) needs.features[*feature] = true;
  // A VMX L1's instruction may raise #UD or #GP(0) in root operation (31.3): observing that
  // takes an L1 with exception handlers.
  if (v.initial.vmx)
    for (const auto& e : v.expectations)
      for (const auto& o : e.outcomes)
        if (o.event.kind == model::EventKind::exception) needs.abilities.insert(kVmxRootException);
  return needs;
}

std::string describe_operation(const model::Operation& op) { return model::describe(op); }

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
