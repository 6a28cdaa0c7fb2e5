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

// The first checked entry whose A/D bits differ from the expectation. Expectations, the
// vector's checked entries and the read-back values usually come in the same order (the
// generator and the targets keep it): that position is looked at first, names being unique.
std::optional<Mismatch> entries_mismatch(const vectors::Vector& v, const ExpectedOutcome& e, const Observation& o) {
  for (std::size_t k = 0; k < e.entries.size(); ++k) {
    const auto& flags = e.entries[k];
    std::uint64_t physical = 0;
    if (k < v.entries.size() && v.entries[k].name == flags.name)
      physical = v.entries[k].physical;
    else
      for (const auto& c : v.entries)
        if (c.name == flags.name) physical = c.physical;
    auto it = k < o.entries_after.size() && o.entries_after[k].first == physical ? o.entries_after.begin() + k
                                                                                  : o.entries_after.end();
    if (it == o.entries_after.end())
      it = std::find_if(o.entries_after.begin(), o.entries_after.end(), [&](const auto& p) { return p.first == physical; });
    if (it == o.entries_after.end())
      return Mismatch{{flags.name, "read back", "not read back"}, fmt::format("entry {} was not read back", flags.name)};
    for (const auto& [bit, want, letter] : {std::tuple{kAccessedBit, flags.accessed, "A"}, std::tuple{kDirtyBit, flags.dirty, "D"}})
      if (!flag_matches(want, it->second, bit)) {
        const unsigned observed = (it->second >> bit) & 1, expected = want == FlagExpectation::set ? 1 : 0;
        return Mismatch{{fmt::format("{}.{}", flags.name, letter), std::to_string(expected), std::to_string(observed)},
                        fmt::format("{}.{} is {}, expected {}", flags.name, letter, observed, expected)};
      }
  }
  return std::nullopt;
}

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

std::optional<Mismatch> first_mismatch(const vectors::Vector& v, const ExpectedOutcome& e, const Observation& o) {
  if (!o.ran) return Mismatch{{"run", "run", "not run"}, "the target did not run the operation"};
  if (auto d = model::first_difference(e.event, o.event)) return Mismatch{*d, model::difference(e.event, o.event)};
  return entries_mismatch(v, e, o);
}

std::string mismatch(const vectors::Vector& v, const ExpectedOutcome& e, const Observation& o) {
  const auto m = first_mismatch(v, e, o);
  return m ? m->text : std::string();
}

int matching_outcome(const vectors::Vector& v, std::size_t op, const Observation& o) {
  const auto& outcomes = v.expectations[op].outcomes;
  for (std::size_t i = 0; i < outcomes.size(); ++i)
    if (mismatch(v, outcomes[i], o).empty()) return static_cast<int>(i);
  return -1;
}

}  // namespace vtspec::conformance
