#include "conformance/runner/comparison.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "spec/paging_entry.hpp"

namespace vtspec::conformance {

namespace {

using vectors::ExpectedOutcome;
using vectors::FlagExpectation;

constexpr unsigned kAccessedBit = spec::pte::accessed, kDirtyBit = spec::pte::dirty;

bool flag_matches(FlagExpectation want, std::uint64_t entry, unsigned bit) {
  const bool set = (entry >> bit) & 1;
  return want == FlagExpectation::either || (want == FlagExpectation::set) == set;
}

const char* kind_name(Observation::Kind k) {
  switch (k) {
    case Observation::Kind::completed: return "completed";
    case Observation::Kind::exception: return "exception";
    case Observation::Kind::ept_violation: return "EPT violation";
    case Observation::Kind::ept_misconfig: return "EPT misconfiguration";
    case Observation::Kind::not_run: return "not run";
  }
  return "?";
}

}  // namespace

std::string describe_observation(const vectors::Vector& v, const Observation& o) {
  std::string s;
  switch (o.kind) {
    case Observation::Kind::completed: s = fmt::format("completed, value {:#x}", o.value); break;
    case Observation::Kind::exception:
      s = o.vector == 14 ? fmt::format("#PF error code {:#x} CR2 {:#x}", o.error_code, o.cr2)
                         : fmt::format("exception {} error code {:#x}", o.vector, o.error_code);
      break;
    default: s = kind_name(o.kind); break;
  }
  if (o.rip) s += fmt::format(" (RIP {:#x})", o.rip);
  for (const auto& [physical, value] : o.entries_after) {
    std::string name = fmt::format("{:#x}", physical);
    for (const auto& e : v.entries)
      if (e.physical == physical) name = e.name;
    s += fmt::format("; {} = {:#x} (A {}, D {})", name, value, (value >> kAccessedBit) & 1, (value >> kDirtyBit) & 1);
  }
  return s;
}

std::string mismatch(const vectors::Vector& v, std::size_t op, const ExpectedOutcome& e, const Observation& o) {
  if (o.kind == Observation::Kind::not_run) return "the target did not run the operation";
  if (e.kind == ExpectedOutcome::Kind::completed) {
    if (o.kind != Observation::Kind::completed) return fmt::format("expected completion, observed {}", kind_name(o.kind));
    if (e.has_value) {
      const unsigned size = v.operations[op].size;
      const std::uint64_t mask = size >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * size)) - 1;
      if ((o.value & mask) != e.value) return fmt::format("value {:#x}, expected {:#x}", o.value & mask, e.value);
    }
  } else {
    if (o.kind != Observation::Kind::exception) return fmt::format("expected exception {}, observed {}", e.vector, kind_name(o.kind));
    if (o.vector != e.vector) return fmt::format("exception {}, expected {}", o.vector, e.vector);
    if (o.error_code != e.error_code) return fmt::format("error code {:#x}, expected {:#x}", o.error_code, e.error_code);
    if (e.vector == 14 && o.cr2 != e.cr2) return fmt::format("CR2 {:#x}, expected {:#x}", o.cr2, e.cr2);
  }
  for (const auto& flags : e.entries) {
    std::uint64_t physical = 0;
    for (const auto& c : v.entries)
      if (c.name == flags.name) physical = c.physical;
    const auto it = std::find_if(o.entries_after.begin(), o.entries_after.end(), [&](const auto& p) { return p.first == physical; });
    if (it == o.entries_after.end()) return fmt::format("entry {} was not read back", flags.name);
    if (!flag_matches(flags.accessed, it->second, kAccessedBit))
      return fmt::format("{}.A is {}, expected {}", flags.name, (it->second >> kAccessedBit) & 1,
                         flags.accessed == FlagExpectation::set ? 1 : 0);
    if (!flag_matches(flags.dirty, it->second, kDirtyBit))
      return fmt::format("{}.D is {}, expected {}", flags.name, (it->second >> kDirtyBit) & 1,
                         flags.dirty == FlagExpectation::set ? 1 : 0);
  }
  return {};
}

int matching_outcome(const vectors::Vector& v, std::size_t op, const Observation& o) {
  const auto& outcomes = v.expectations[op].outcomes;
  for (std::size_t i = 0; i < outcomes.size(); ++i)
    if (mismatch(v, op, outcomes[i], o).empty()) return static_cast<int>(i);
  return -1;
}

}  // namespace vtspec::conformance
