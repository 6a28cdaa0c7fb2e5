#include "vectors/format/vector.hpp"

#include <fmt/format.h>

namespace vtspec::vectors {

std::string describe_operation(const model::Operation& op) { return model::describe(op); }

namespace {
const char* flag_text(FlagExpectation f) {
  return f == FlagExpectation::set ? "set" : f == FlagExpectation::clear ? "clear" : "either";
}
}  // namespace

std::string describe_outcome(const ExpectedOutcome& o) {
  std::string s;
  if (o.kind == ExpectedOutcome::Kind::exception) {
    s = o.vector == 14 ? fmt::format("#PF error code {:#x} CR2 {:#x}", o.error_code, o.cr2)
                       : fmt::format("exception {} error code {:#x}", o.vector, o.error_code);
  } else {
    s = o.has_value ? fmt::format("completed, value {:#x}", o.value) : "completed";
  }
  for (const auto& e : o.entries) {
    s += fmt::format("; {}: A {}, D {}", e.name, flag_text(e.accessed), flag_text(e.dirty));
  }
  return s;
}

}  // namespace vtspec::vectors
