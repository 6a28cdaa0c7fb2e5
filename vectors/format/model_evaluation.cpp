#include "vectors/format/model_evaluation.hpp"

#include <optional>

#include <fmt/format.h>

#include <algorithm>

#include "model/instruction_checks.hpp"
#include "model/tlb/tlb_machine.hpp"
#include "model/walk_trace.hpp"
#include "spec/paging_entry.hpp"

namespace vtspec::vectors {

namespace {

using model::MachineState;
using model::Operation;
using model::OperationKind;

constexpr std::uint64_t kAccessed = spec::bit_at(spec::pte::accessed), kDirty = spec::bit_at(spec::pte::dirty);

FlagExpectation flag_after(std::uint64_t before, std::uint64_t required, std::uint64_t permitted, std::uint64_t bit) {
  if ((before | required) & bit) return FlagExpectation::set;
  return (permitted & bit) ? FlagExpectation::either : FlagExpectation::clear;
}

// The A/D expectations of the vector's checked entries, given their values before the
// operation and the flag updates an outcome makes (required ones always, permitted ones maybe).
std::vector<EntryFlags> entry_flags(const Vector& v, const std::vector<std::uint64_t>& before,
                                    const model::Outcome* outcome) {
  std::vector<EntryFlags> out;
  for (std::size_t i = 0; i < v.entries.size(); ++i) {
    std::uint64_t required = 0, permitted = 0;
    if (outcome) {
      for (const auto& u : outcome->required)
        if (!u.ept && u.physical == v.entries[i].physical) required |= u.bits;
      for (const auto& u : outcome->permitted)
        if (!u.ept && u.physical == v.entries[i].physical) permitted |= u.bits;
    }
    out.push_back({v.entries[i].name, flag_after(before[i], required, permitted, kAccessed),
                   flag_after(before[i], required, permitted, kDirty)});
  }
  return out;
}

std::vector<std::uint64_t> entry_values(const Vector& v, const MachineState& s) {
  std::vector<std::uint64_t> values;
  for (const auto& e : v.entries) values.push_back(s.memory.read64(e.physical));
  return values;
}

// MOV to CR0/CR3/CR4 and INVPCID: the spec's checks (spec/control_register_checks.hpp)
// name the rule that failed; the exception it raises is a separate step.
std::optional<ExpectedOutcome> control_fault(const MachineState& s, const Operation& op) {
  const auto exception = spec::exception_for(model::instruction_check(s, op));
  if (!exception) return std::nullopt;
  ExpectedOutcome o;
  o.kind = ExpectedOutcome::Kind::exception;
  o.vector = exception->vector;
  o.error_code = exception->error_code;
  return o;
}

bool same_outcome(const ExpectedOutcome& a, const ExpectedOutcome& b) {
  ExpectedOutcome x = a;
  x.result = b.result;
  return x == b;
}

// An access: every outcome the TLB model allows (the fresh walk first, then each usable
// cached entry), deduplicated; the machine then follows the fresh walk's canonical outcome.
ModelStep run_access(const Vector& v, model::TlbMachine& m, const Operation& op) {
  ModelStep step;
  const MachineState& s = m.state();
  const auto before = entry_values(v, s);
  const auto allowed = m.allowed(op.access);
  step.trace = model::format_walk(s, op.access, model::translate(s, op.access));
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    const model::Outcome& o = allowed[i].outcome;
    ExpectedOutcome e;
    e.result = step.expectation.outcomes.empty() ? ExpectedOutcome::Result::valid : ExpectedOutcome::Result::acceptable;
    if (o.kind == model::OutcomeKind::page_fault) {
      e.kind = ExpectedOutcome::Kind::exception;
      e.vector = 14;
      e.error_code = o.error_code;
      e.cr2 = o.cr2;
    } else if (op.access.kind == spec::AccessKind::read) {
      e.has_value = true;
      e.value = s.memory.read(o.physical, op.size);
    }
    e.entries = entry_flags(v, before, &o);
    if (allowed[i].source != model::SourceKind::fresh_walk && !o.same_result(allowed.front().outcome))
      step.trace += fmt::format("also allowed, through a cached {}: {}\n", model::to_string(allowed[i].source), o.describe());
    if (std::none_of(step.expectation.outcomes.begin(), step.expectation.outcomes.end(),
                     [&](const ExpectedOutcome& x) { return same_outcome(x, e); }))
      step.expectation.outcomes.push_back(std::move(e));
  }
  if (allowed.empty()) return step;
  const model::Outcome canonical = allowed.front().outcome;
  m.apply(op, &allowed.front());
  if (canonical.kind == model::OutcomeKind::translated && op.access.kind == spec::AccessKind::write) {
    // The data store itself (the TLB model tracks translations, not data): an aligned
    // 8-byte read-modify-write of the bytes written.
    const std::uint64_t base = canonical.physical & ~std::uint64_t{7};
    const unsigned shift = 8 * static_cast<unsigned>(canonical.physical & 7);
    const std::uint64_t mask = op.size == 8 ? ~std::uint64_t{0} : ((std::uint64_t{1} << (8 * op.size)) - 1);
    Operation store;
    store.kind = OperationKind::store_entry;
    store.address = base;
    store.value = (m.state().memory.read64(base) & ~(mask << shift)) | ((op.value & mask) << shift);
    m.apply(store);
  }
  return step;
}

}  // namespace

std::vector<ModelStep> evaluate_on_model(const Vector& v) {
  model::TlbConfig config;
  config.capacity = 0;  // unbounded: allowed() is then the full architectural set
  model::TlbMachine m(v.initial, {}, config);
  std::vector<ModelStep> steps;
  for (const Operation& op : v.operations) {
    ModelStep step;
    if (op.kind == OperationKind::access) {
      step = run_access(v, m, op);
    } else {
      const std::optional<ExpectedOutcome> fault = control_fault(m.state(), op);
      if (!fault) m.apply(op);
      step.trace = describe_operation(op) + (fault ? ": #GP(0)" : "") + "\n";
      ExpectedOutcome e = fault ? *fault : ExpectedOutcome{};
      e.entries = entry_flags(v, entry_values(v, m.state()), nullptr);
      step.expectation.outcomes.push_back(std::move(e));
    }
    for (const auto& e : v.entries) step.entries_after.emplace_back(e.physical, m.state().memory.read64(e.physical));
    steps.push_back(std::move(step));
  }
  return steps;
}

}  // namespace vtspec::vectors
