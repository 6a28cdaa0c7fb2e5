#include "model/translation.hpp"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "spec/two_dimensional_walk.hpp"

namespace vtspec::model {

using spec::Concrete;

const char* to_string(OutcomeKind kind) {
  switch (kind) {
    case OutcomeKind::translated: return "translated";
    case OutcomeKind::page_fault: return "#PF";
    case OutcomeKind::ept_violation: return "EPT violation";
    case OutcomeKind::ept_misconfig: return "EPT misconfiguration";
    case OutcomeKind::nested_page_fault: return "#VMEXIT(NPF)";
  }
  return "?";
}

bool Outcome::same_result(const Outcome& o) const {
  if (kind != o.kind) return false;
  switch (kind) {
    case OutcomeKind::translated: return physical == o.physical;
    case OutcomeKind::page_fault: return error_code == o.error_code && cr2 == o.cr2;
    case OutcomeKind::ept_violation:
      return guest_physical == o.guest_physical &&
             ((qualification ^ o.qualification) & ~(qualification_undefined | o.qualification_undefined)) == 0;
    case OutcomeKind::ept_misconfig: return guest_physical == o.guest_physical;
    case OutcomeKind::nested_page_fault: return guest_physical == o.guest_physical && qualification == o.qualification;
  }
  return false;
}

std::string Outcome::describe() const {
  switch (kind) {
    case OutcomeKind::translated: return fmt::format("translated to {:#x}", physical);
    case OutcomeKind::page_fault: return fmt::format("#PF error code {:#x} CR2 {:#x}", error_code, cr2);
    case OutcomeKind::ept_violation:
      return qualification_undefined
                 ? fmt::format("EPT violation GPA {:#x} qualification {:#x} (bits {:#x} either way)", guest_physical,
                               qualification, qualification_undefined)
                 : fmt::format("EPT violation GPA {:#x} qualification {:#x}", guest_physical, qualification);
    case OutcomeKind::ept_misconfig: return fmt::format("EPT misconfiguration GPA {:#x}", guest_physical);
    case OutcomeKind::nested_page_fault:
      return fmt::format("#VMEXIT(NPF) EXITINFO1 {:#x} EXITINFO2 {:#x}", qualification, guest_physical);
  }
  return "?";
}

Event event_of(const Outcome& o, std::uint64_t linear) {
  constexpr unsigned kLinearValid = 7;  // Table 28-7: bit 7, the guest-linear-address field is valid
  switch (o.kind) {
    case OutcomeKind::translated: return Event::completed();
    case OutcomeKind::page_fault: return Event::exception(kPageFaultVector, o.error_code, o.cr2);
    case OutcomeKind::ept_violation: {
      Event e = Event::vm_exit(kExitEptViolation, o.qualification, o.guest_physical,
                               ((o.qualification >> kLinearValid) & 1) ? std::optional<std::uint64_t>(linear) : std::nullopt);
      e.qualification_undefined = o.qualification_undefined;
      return e;
    }
    case OutcomeKind::ept_misconfig: {
      // Vol. 3C 28.2.1 defines no exit qualification for EPT misconfigurations: any value.
      Event e = Event::vm_exit(kExitEptMisconfig, 0, o.guest_physical, std::nullopt);
      e.qualification_undefined = ~std::uint64_t{0};
      return e;
    }
    case OutcomeKind::nested_page_fault: return Event::svm_exit(kSvmExitNpf, o.qualification, o.guest_physical);
  }
  return Event::completed();
}

Outcome outcome_of_walk(const spec::PagingWalk<Concrete>& w, std::uint64_t linear) {
  Outcome o;
  o.kind = w.translated ? OutcomeKind::translated : OutcomeKind::page_fault;
  o.physical = w.translated ? w.physical : 0;
  if (w.page_fault) {
    o.error_code = w.error_code;
    o.cr2 = linear;
  }
  return o;
}

Outcome outcome_of_walk(const spec::TwoDimensionalWalk<Concrete>& w, std::uint64_t linear) {
  Outcome o = outcome_of_walk(w.guest, linear);
  o.kind = w.translated      ? OutcomeKind::translated
           : w.page_fault    ? OutcomeKind::page_fault
           : w.ept_misconfig ? OutcomeKind::ept_misconfig
                             : OutcomeKind::ept_violation;
  o.physical = w.translated ? w.physical : 0;
  if (w.ept_violation || w.ept_misconfig) {
    o.guest_physical = w.guest_physical;
    o.qualification = w.ept_violation ? w.qualification : 0;
    o.qualification_undefined = w.ept_violation ? w.qualification_undefined : 0;
  }
  return o;
}

Outcome outcome_of_walk(const spec::svm::NestedPagingWalk<Concrete>& w, std::uint64_t linear) {
  Outcome o = outcome_of_walk(w.guest, linear);
  o.kind = w.translated ? OutcomeKind::translated : w.page_fault ? OutcomeKind::page_fault : OutcomeKind::nested_page_fault;
  o.physical = w.translated ? w.physical : 0;
  if (w.nested_page_fault) {
    o.qualification = w.exit_info1;
    o.guest_physical = w.exit_info2;
  }
  return o;
}

namespace {

// Collects a walk's references, and the EPT walks of a two-dimensional one.
struct Collector {
  std::vector<spec::Reference> references;
  std::vector<spec::EptWalk<Concrete>> ept_walks;
  void on_reference(const spec::Reference& r) { references.push_back(r); }
  void on_ept_walk(const spec::EptWalk<Concrete>& w) { ept_walks.push_back(w); }
  std::vector<spec::PagingWalk<Concrete>> nested_walks;
  void on_nested_walk(const spec::PagingWalk<Concrete>& w) { nested_walks.push_back(w); }

  std::uint64_t host_address_of_guest_entry(std::uint64_t gpa) const {
    for (const auto& r : references)
      if (r.kind == spec::ReferenceKind::guest_entry && r.guest_physical == gpa) return r.physical;
    return gpa;
  }
};

void add_unique(std::vector<FlagUpdate>& list, const FlagUpdate& u) {
  for (auto& existing : list) {
    if (existing.physical == u.physical && existing.ept == u.ept) {
      existing.bits |= u.bits;
      return;
    }
  }
  list.push_back(u);
}

// Guest-entry flag updates of one walk: those the walk requires (success), and the eager
// accessed-flag update of the policy's level when it happened.
void guest_updates(const spec::PagingWalk<Concrete>& w, unsigned levels, spec::AccessedFlagPolicy policy,
                   const Collector& c, bool eager_faulted_at_entry, std::vector<FlagUpdate>& out) {
  for (unsigned level = levels; level >= 1; --level) {
    std::uint64_t bits = 0;
    if (w.sets_accessed[level]) bits |= spec::bit_at(spec::pte::accessed);
    if (w.sets_dirty && w.leaf_level == level && w.used[level]) bits |= spec::bit_at(spec::pte::dirty);
    const bool eager_done = policy.eager(level) && w.used[level] && !spec::Concrete::bit(w.entry[level], spec::pte::accessed) &&
                            !eager_faulted_at_entry;
    if (eager_done) bits |= spec::bit_at(spec::pte::accessed);
    if (bits) add_unique(out, {c.host_address_of_guest_entry(w.entry_address[level]), bits, false, level});
    if (level == 1) break;
  }
}

void ept_updates(const Collector& c, unsigned levels, std::vector<FlagUpdate>& required, std::vector<FlagUpdate>& permitted) {
  for (const auto& w : c.ept_walks) {
    for (unsigned level = levels; level >= 1; --level) {
      std::uint64_t bits = 0;
      if (w.sets_accessed[level]) bits |= spec::bit_at(spec::epte::accessed);
      if (w.sets_dirty && w.leaf_level == level) bits |= spec::bit_at(spec::epte::dirty);
      if (bits) add_unique(required, {w.entry_address[level], bits, true, level});
      if (w.may_set_accessed[level] && !Concrete::bit(w.entry[level], spec::epte::accessed))
        add_unique(permitted, {w.entry_address[level], spec::bit_at(spec::epte::accessed), true, level});
      if (level == 1) break;
    }
  }
}

// Nested-entry flag updates (AMD64 APM Vol. 2 15.25.5: the nested walk is an ordinary
// long-mode walk, so it sets A in every entry a successful reference used and D in the leaf
// of a write - every guest page-table reference is one); a nested walk that faulted may have
// set A in the entries it used before the fault (as for guest walks, SDM Vol. 3A 4.8).
void nested_updates(const Collector& c, unsigned levels, std::vector<FlagUpdate>& required, std::vector<FlagUpdate>& permitted) {
  for (const auto& w : c.nested_walks) {
    for (unsigned level = levels; level >= 1; --level) {
      std::uint64_t bits = 0;
      if (w.sets_accessed[level]) bits |= spec::bit_at(spec::pte::accessed);
      if (w.sets_dirty && w.leaf_level == level && w.used[level]) bits |= spec::bit_at(spec::pte::dirty);
      if (bits) add_unique(required, {w.entry_address[level], bits, true, level});
      if (w.may_set_accessed[level] && !Concrete::bit(w.entry[level], spec::pte::accessed))
        add_unique(permitted, {w.entry_address[level], spec::bit_at(spec::pte::accessed), true, level});
      if (level == 1) break;
    }
  }
}

struct PolicyRun {
  Outcome outcome;
  Collector collector;
  spec::PagingWalk<Concrete> guest;
  spec::PagingWalk<Concrete> nested_final;  // nested paging: the final address's nested walk
  unsigned references = 0;
};

PolicyRun run_policy(const MachineState& state, const AccessRequest& req, spec::AccessedFlagPolicy policy) {
  PolicyRun run;
  const auto access = spec::Access<Concrete>::make(req.kind, req.cpl, req.implicit_supervisor);
  const auto ctl = state.paging_control();
  const auto shape = state.paging_shape();
  Outcome& o = run.outcome;
  if (state.npt) {
    auto w = spec::svm::walk_nested_paging<Concrete>(shape, state.nested_mode(), ctl, state.npt->ncr3, state.regs.cr3,
                                                     req.linear, access, state.memory, run.collector, policy);
    run.guest = w.guest;
    run.nested_final = w.final_access;
    o = outcome_of_walk(w, req.linear);
    run.references = w.references;
  } else if (!state.ept) {
    spec::DirectPort<Concrete, const PhysicalMemory, Collector> port{state.memory, run.collector};
    run.guest = spec::walk_paging<Concrete>(shape, ctl, state.regs.cr3, req.linear, access, port, policy);
    if (state.rule_override && state.rule_override->redecide_walk) state.rule_override->redecide_walk(ctl, access, run.guest);
    o = outcome_of_walk(run.guest, req.linear);
    run.references = static_cast<unsigned>(run.collector.references.size());
  } else {
    const auto ept_shape = state.ept_shape();
    auto w = spec::walk_two_dimensional<Concrete>(shape, ept_shape, ctl, state.ept->eptp, state.regs.cr3, req.linear,
                                                  access, state.memory, run.collector, policy);
    run.guest = w.guest;
    o = outcome_of_walk(w, req.linear);
    run.references = w.references;
  }
  // Did an eager update fault on the entry it was updating? Then it did not happen.
  bool eager_faulted = false;
  if (o.kind == OutcomeKind::ept_violation || o.kind == OutcomeKind::ept_misconfig || o.kind == OutcomeKind::nested_page_fault) {
    for (unsigned level = 1; level <= shape.levels; ++level)
      if (policy.eager(level) && run.guest.entry_address[level] == o.guest_physical) eager_faulted = true;
  }
  guest_updates(run.guest, shape.levels, policy, run.collector, eager_faulted, o.required);
  if (state.ept) ept_updates(run.collector, state.ept_shape().levels, o.required, o.permitted);
  if (state.npt) nested_updates(run.collector, state.nested_mode().levels, o.required, o.permitted);
  for (const auto& u : o.required) add_unique(o.permitted, u);
  return run;
}

bool contains(const std::vector<FlagUpdate>& list, const FlagUpdate& u) {
  return std::any_of(list.begin(), list.end(), [&](const FlagUpdate& e) {
    return e.physical == u.physical && e.ept == u.ept && (u.bits & ~e.bits) == 0;
  });
}

// Merge two runs with the same result: the set of allowed flag updates widens.
void merge(Outcome& into, const Outcome& other) {
  std::vector<FlagUpdate> common;
  for (const auto& u : into.required) {
    for (const auto& v : other.required) {
      if (u.physical == v.physical && u.ept == v.ept && (u.bits & v.bits)) common.push_back({u.physical, u.bits & v.bits, u.ept, u.level});
    }
  }
  into.required = common;
  for (const auto& u : other.permitted) add_unique(into.permitted, u);
  into.qualification_undefined |= other.qualification_undefined;
}

}  // namespace

Translation translate(const MachineState& state, const AccessRequest& request) {
  Translation t;
  t.two_dimensional = state.ept.has_value() || state.npt.has_value();
  PolicyRun canonical = run_policy(state, request, spec::AccessedFlagPolicy::lazy());
  t.trace = canonical.collector.references;
  t.guest_walk = canonical.guest;
  if (state.npt) {
    t.nested_final = canonical.nested_final;
    for (unsigned level = 1; level <= spec::kMaxLevels; ++level)
      if (canonical.guest.read[level])
        t.guest_entry_host[level] = canonical.collector.host_address_of_guest_entry(canonical.guest.entry_address[level]);
  }
  t.references = canonical.references;
  t.allowed.push_back(canonical.outcome);
  for (unsigned level = 1; level <= state.paging_levels(); ++level) {
    if (!canonical.guest.used[level]) continue;
    // An eager update of an entry whose accessed flag is already set changes nothing: the
    // run would repeat the canonical outcome (and merging it would be a no-op).
    if (Concrete::bit(canonical.guest.entry[level], spec::pte::accessed)) continue;
    PolicyRun run = run_policy(state, request, spec::AccessedFlagPolicy::eager_at(level));
    auto same = std::find_if(t.allowed.begin(), t.allowed.end(),
                             [&](const Outcome& o) { return o.same_result(run.outcome); });
    if (same != t.allowed.end()) merge(*same, run.outcome);
    else t.allowed.push_back(run.outcome);
  }
  return t;
}

void apply_flag_updates(MachineState& state, const Outcome& outcome) {
  for (const auto& u : outcome.required) state.memory.set_bits64(u.physical, u.bits);
}

bool outcome_allowed(const std::vector<Outcome>& allowed, const Outcome& observed) {
  return std::any_of(allowed.begin(), allowed.end(), [&](const Outcome& o) {
    if (!o.same_result(observed)) return false;
    for (const auto& u : o.required)
      if (!contains(observed.required, u)) return false;
    for (const auto& u : observed.required)
      if (!contains(o.permitted, u)) return false;
    return true;
  });
}

}  // namespace vtspec::model
