#include "vectors/format/vector.hpp"

#include <fmt/format.h>

namespace vtspec::vectors {

const char* schema_of(const Vector& v) {
  return v.initial.npt ? kVectorSchemaV3 : v.initial.ept ? kVectorSchemaV2 : kVectorSchema;
}

model::CpuNeeds needs_of(const Vector& v) {
  model::CpuNeeds needs = model::cpu_needs(v.initial, v.operations);
  for (const auto& name : v.requires_features)
    if (const auto feature = model::feature_named(name)) needs.features[*feature] = true;
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
