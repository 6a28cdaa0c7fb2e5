#include "conformance/runner/comparison.hpp"

#include <fmt/format.h>

#include "spec/paging_entry.hpp"

namespace vtspec::conformance {

namespace {
constexpr unsigned kAccessedBit = spec::pte::accessed, kDirtyBit = spec::pte::dirty;
}  // namespace

std::string describe_observation(const vectors::Vector& v, const Observation& o) {
  if (!o.ran) return "not run";
  std::string s = model::describe(o.event);
  if (o.rip) s += fmt::format(" (RIP {:#x})", o.rip);
  for (const auto& [physical, value] : o.entries_after) {
    std::string name = fmt::format("{:#x}", physical);
    for (const auto& e : v.entries)
      if (e.physical == physical) name = e.name;
    s += fmt::format("; {} = {:#x} (A {}, D {})", name, value, (value >> kAccessedBit) & 1, (value >> kDirtyBit) & 1);
  }
  return s;
}

std::optional<Mismatch> first_mismatch(const vectors::Vector& v, const vectors::ExpectedOutcome& e, const Observation& o) {
  if (!o.ran) return Mismatch{{"run", "run", "not run"}, "the target did not run the operation"};
  return vectors::first_mismatch(v, e, o.event, o.entries_after);
}

std::string mismatch(const vectors::Vector& v, const vectors::ExpectedOutcome& e, const Observation& o) {
  const auto m = first_mismatch(v, e, o);
  return m ? m->text : std::string();
}

int matching_outcome(const vectors::Vector& v, std::size_t op, const Observation& o) {
  return o.ran ? vectors::matching_outcome(v, v.expectations[op], o.event, o.entries_after) : -1;
}

}  // namespace vtspec::conformance
