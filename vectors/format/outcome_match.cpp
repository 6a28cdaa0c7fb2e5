#include "vectors/format/outcome_match.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "spec/paging_entry.hpp"

namespace vtspec::vectors {

namespace {

constexpr unsigned kAccessedBit = spec::pte::accessed, kDirtyBit = spec::pte::dirty;

bool flag_matches(FlagExpectation want, std::uint64_t entry, unsigned bit) {
  const bool set = (entry >> bit) & 1;
  return want == FlagExpectation::either || (want == FlagExpectation::set) == set;
}

// The first checked entry whose A/D bits differ from the expectation. Expectations, the
// vector's checked entries and the read-back values usually come in the same order (the
// generator and the targets keep it): that position is looked at first, names being unique.
std::optional<OutcomeMismatch> entries_mismatch(const Vector& v, const ExpectedOutcome& e, const EntryValues& after) {
  for (std::size_t k = 0; k < e.entries.size(); ++k) {
    const auto& flags = e.entries[k];
    std::uint64_t physical = 0;
    if (k < v.entries.size() && v.entries[k].name == flags.name)
      physical = v.entries[k].physical;
    else
      for (const auto& c : v.entries)
        if (c.name == flags.name) physical = c.physical;
    auto it = k < after.size() && after[k].first == physical ? after.begin() + k : after.end();
    if (it == after.end()) it = std::find_if(after.begin(), after.end(), [&](const auto& p) { return p.first == physical; });
    if (it == after.end())
      return OutcomeMismatch{{flags.name, "read back", "not read back"}, fmt::format("entry {} was not read back", flags.name)};
    for (const auto& [bit, want, letter] : {std::tuple{kAccessedBit, flags.accessed, "A"}, std::tuple{kDirtyBit, flags.dirty, "D"}})
      if (!flag_matches(want, it->second, bit)) {
        const unsigned observed = (it->second >> bit) & 1, expected = want == FlagExpectation::set ? 1 : 0;
        return OutcomeMismatch{{fmt::format("{}.{}", flags.name, letter), std::to_string(expected), std::to_string(observed)},
                               fmt::format("{}.{} is {}, expected {}", flags.name, letter, observed, expected)};
      }
  }
  return std::nullopt;
}

}  // namespace

std::optional<OutcomeMismatch> first_mismatch(const Vector& v, const ExpectedOutcome& e, const model::Event& event,
                                              const EntryValues& entries_after) {
  if (auto d = model::first_difference(e.event, event)) return OutcomeMismatch{*d, model::difference(e.event, event)};
  return entries_mismatch(v, e, entries_after);
}

int matching_outcome(const Vector& v, const Expectation& expectation, const model::Event& event, const EntryValues& entries_after) {
  const auto& outcomes = expectation.outcomes;
  for (std::size_t i = 0; i < outcomes.size(); ++i)
    if (!first_mismatch(v, outcomes[i], event, entries_after)) return static_cast<int>(i);
  return -1;
}

}  // namespace vtspec::vectors
