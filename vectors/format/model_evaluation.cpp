#include "vectors/format/model_evaluation.hpp"

#include "model/operation_table.hpp"

#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "model/instruction_checks.hpp"
#include "model/processor/processor.hpp"
#include "model/walk_trace.hpp"
#include "spec/paging_entry.hpp"

namespace vtspec::vectors {

namespace {

using model::MachineState;
using model::Operation;
using model::OperationKind;

constexpr std::uint64_t kAccessed = spec::bit_at(spec::pte::accessed), kDirty = spec::bit_at(spec::pte::dirty);


// Why an outcome other than the fresh walk's is allowed: one flag per way an outcome comes
// about (model::SourceKind), with the SDM reason; the vector file's notes: carry the text.
struct FlagNote {
  const char* flag;
  const char* note;
};
FlagNote source_flag(model::SourceKind source, bool nested_paging) {
  switch (source) {
    case model::SourceKind::tlb_entry:
      if (nested_paging)  // AMD-V: the TLB entry is the guest's, tagged with its ASID
        return {"CachedTranslation",
                "A TLB entry of the ASID the guest runs in, filled by an earlier access, may still translate this "
                "address: no INVLPG, INVLPGA or VMRUN TLB_CONTROL has removed it since the entry changed (AMD64 APM "
                "Vol. 2 15.16, 15.16.1, 15.16.2; a VMRUN with the ASID clean bit may keep the cached ASID, 15.15.3)."};
      return {"CachedTranslation",
              "A TLB entry filled by an earlier access may still translate this address: no invalidation has removed it "
              "since the paging-structure entry changed (SDM Vol. 3A 4.10.2, 4.10.4.3: until software invalidates, "
              "either the old or the new translation may be used)."};
    case model::SourceKind::structure_entry:
      return {"CachedPagingStructureEntry",
              "A paging-structure-cache entry from an earlier walk may still supply the upper levels of this walk "
              "(SDM Vol. 3A 4.10.3, 4.10.4.3)."};
    case model::SourceKind::guest_physical_entry:
      return {"CachedGuestPhysicalMapping",
              "A cached guest-physical mapping may still translate a guest-physical address of this walk "
              "(SDM Vol. 3C 29.4.2, 29.4.3)."};
    case model::SourceKind::fresh_walk: break;
  }
  return {nullptr, nullptr};
}
constexpr FlagNote kEarlyAccessedFlag = {
    "EarlyAccessedFlag",
    "Accessed flags marked 'either' belong to entries a walk used before it knew the access would fault; the SDM "
    "requires A = 1 only in entries used by a translation and leaves the earlier marking open (SDM Vol. 3A 4.8; "
    "docs/allowed-outcomes.md W1)."};

constexpr FlagNote kWalkAlternative = {
    "WalkAlternative",
    "The SDM leaves open the order of accessed-flag updates and of the EPT checks within one walk; each order it "
    "allows gives one outcome (docs/allowed-outcomes.md W1-W6; SDM Vol. 3A 4.8, Vol. 3C 29.3.3)."};

void add_flag(ModelStep& step, ExpectedOutcome& o, const FlagNote& f) {
  if (std::find(o.flags.begin(), o.flags.end(), f.flag) == o.flags.end()) o.flags.push_back(f.flag);
  step.notes[f.flag] = f.note;
}

FlagExpectation flag_after(std::uint64_t before, std::uint64_t required, std::uint64_t permitted, std::uint64_t bit) {
  if ((before | required) & bit) return FlagExpectation::set;
  return (permitted & bit) ? FlagExpectation::either : FlagExpectation::clear;
}

// The A/D bits of one checked entry that an outcome sets (`required`) or may set (`permitted`).
std::uint64_t updates_of(const std::vector<model::FlagUpdate>& updates, std::uint64_t physical) {
  std::uint64_t bits = 0;
  for (const auto& u : updates)
    if (!u.ept && u.physical == physical) bits |= u.bits;
  return bits;
}

// The A/D expectations of the vector's checked entries, given their values before the
// operation, the flag updates an outcome makes (required ones always, permitted ones maybe)
// and the bits an earlier operation may have set although the canonical path did not
// (`open`: e.g. an A flag set early on a walk that faulted, SDM Vol. 3A 4.8), which stay
// either until an operation sets them.
std::vector<EntryFlags> entry_flags(const Vector& v, const std::vector<std::uint64_t>& before,
                                    const std::vector<std::uint64_t>& open, const model::Outcome* outcome) {
  std::vector<EntryFlags> out;
  out.reserve(v.entries.size());
  for (std::size_t i = 0; i < v.entries.size(); ++i) {
    std::uint64_t required = 0, permitted = open[i];
    if (outcome) {
      required = updates_of(outcome->required, v.entries[i].physical);
      permitted |= updates_of(outcome->permitted, v.entries[i].physical);
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

// MOV to CR0/CR3/CR4, INVPCID, WRMSR to IA32_EFER, WRPKRU: the spec's checks
// (spec/control_register_checks.hpp) name the rule that failed; the exception it raises is a
// separate step.
std::optional<ExpectedOutcome> control_fault(const MachineState& s, const Operation& op) {
  if (op.kind == OperationKind::vmrun) {  // AMD64 APM Vol. 2 15.5.1
    if (!model::failed_vmrun_check(s, op)) return std::nullopt;
    ExpectedOutcome o;
    o.event = model::Event::svm_invalid();
    return o;
  }
  const auto exception = spec::exception_for(model::instruction_check(s, op));
  if (!exception) return std::nullopt;
  ExpectedOutcome o;
  o.event = model::Event::exception(exception->vector, exception->error_code);
  return o;
}

// The same event and entry expectations (how it is marked and why it is allowed aside).
bool same_outcome(const ExpectedOutcome& a, const ExpectedOutcome& b) { return a.event == b.event && a.entries == b.entries; }

// A write whose data lands on a checked entry's A/D byte (bits 7:0: A is bit 5, D bit 6,
// SDM Vol. 3A Tables 4-14..4-20) leaves those flags as the data says: the store comes after
// the translation's own flag updates (4.8), so the entry read back afterwards holds the data.
void overwrite_flags(const Vector& v, std::vector<EntryFlags>& flags, std::uint64_t physical, unsigned size,
                     std::uint64_t data) {
  for (std::size_t i = 0; i < v.entries.size() && i < flags.size(); ++i) {
    const std::uint64_t low_byte = v.entries[i].physical;
    if (low_byte < physical || low_byte >= physical + size) continue;
    const std::uint64_t byte = (data >> (8 * (low_byte - physical))) & 0xff;
    flags[i].accessed = (byte & kAccessed) ? FlagExpectation::set : FlagExpectation::clear;
    flags[i].dirty = (byte & kDirty) ? FlagExpectation::set : FlagExpectation::clear;
  }
}

// What a read of `size` bytes at `physical` returns after the outcome's A/D updates, which
// the translation makes before the data access (SDM Vol. 3A 4.8): a read of a paging-
// structure entry through a mapping of its own table sees the flag its walk set. With
// `permitted`, the updates the outcome may also make are included.
std::uint64_t read_after_updates(const model::PhysicalMemory& memory, const model::Outcome& o, std::uint64_t physical,
                                 unsigned size, bool permitted) {
  std::uint64_t value = memory.read(physical, size);
  auto overlay = [&](const model::FlagUpdate& u) {
    for (unsigned b = 0; b < size; ++b) {
      const std::uint64_t at = physical + b;
      if (at >= u.physical && at < u.physical + 8) value |= ((u.bits >> (8 * (at - u.physical))) & 0xff) << (8 * b);
    }
  };
  for (const auto& u : o.required) overlay(u);
  if (permitted)
    for (const auto& u : o.permitted) overlay(u);
  return value;
}

// An access: every outcome the TLB model allows (the fresh walk first, then each usable
// cached entry), deduplicated; the machine then follows the fresh walk's canonical outcome.
// A vtspec/vector/2 guest's round trip to its VMM: the guest's VM exit, the VMM's `vmm`
// operation if any (INVVPID, INVEPT), and the VM entry back - with the VPID and EPTP the
// guest had, or the `vm_entry` operation's own. Each transition has its TLB effects (SDM Vol.
// 3C 29.4.3.1: with VPID 0 they invalidate the linear and combined mappings; guest-physical
// mappings stay).
void vmm_round_trip(model::Processor& m, const Operation* vmm) {
  Operation exit, entry;
  exit.kind = OperationKind::vm_exit;
  entry.kind = OperationKind::vm_entry;
  entry.vpid = m.vmx().vpid;
  entry.eptp = m.state().ept->eptp;
  m.apply(exit);
  if (vmm) m.apply(*vmm);
  if (!vmm || vmm->kind != OperationKind::vm_entry) m.apply(entry);
}

ModelStep run_access(const Vector& v, model::Processor& m, const Operation& op, const ObservedStep* observed,
                     StepTrace trace, std::vector<std::uint64_t>& open) {
  ModelStep step;
  const MachineState& s = m.state();
  const auto before = entry_values(v, s);
  const auto allowed = m.allowed(op.access);
  if (trace == StepTrace::include) {
    const model::Translation walk = model::translate(s, op.access);
    step.trace = model::format_walk(s, op.access, walk);
    step.walk = model::trace_rows(s, walk);
    step.two_dimensional = walk.two_dimensional;
  }
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    const model::Outcome& o = allowed[i].outcome;
    ExpectedOutcome e;
    e.result = step.expectation.outcomes.empty() ? ExpectedOutcome::Result::valid : ExpectedOutcome::Result::acceptable;
    e.event = model::event_of(o, op.access.linear);
    std::optional<std::uint64_t> with_permitted;  // the value if the permitted updates are made too
    if (o.kind == model::OutcomeKind::translated && op.access.kind == spec::AccessKind::read) {
      e.event.value = read_after_updates(s.memory, o, o.physical, op.size, false);
      if (const auto v = read_after_updates(s.memory, o, o.physical, op.size, true); v != *e.event.value) with_permitted = v;
    }
    e.entries = entry_flags(v, before, open, &o);
    if (o.kind == model::OutcomeKind::translated && op.access.kind == spec::AccessKind::write)
      overwrite_flags(v, e.entries, o.physical, op.size, op.value);
    if (const FlagNote f = source_flag(allowed[i].source, s.npt.has_value()); f.flag && !o.same_result(allowed.front().outcome))
      add_flag(step, e, f);
    if (std::any_of(e.entries.begin(), e.entries.end(), [](const EntryFlags& f) { return f.accessed == FlagExpectation::either; }))
      add_flag(step, e, kEarlyAccessedFlag);
    // Every acceptable outcome says why it is allowed: one of a fresh walk's alternatives
    // (model::translate) that none of the flags above explains is the walk's open order.
    if (e.result == ExpectedOutcome::Result::acceptable && e.flags.empty()) add_flag(step, e, kWalkAlternative);
    if (trace == StepTrace::include && allowed[i].source != model::SourceKind::fresh_walk &&
        !o.same_result(allowed.front().outcome))
      step.trace += fmt::format("also allowed, through a cached {}: {}\n", model::to_string(allowed[i].source), o.describe());
    std::vector<ExpectedOutcome> variants{e};
    if (with_permitted) {
      // The read sees an accessed flag the walk may set early (4.8): also allowed.
      ExpectedOutcome early = e;
      early.result = ExpectedOutcome::Result::acceptable;
      early.event.value = *with_permitted;
      add_flag(step, early, kEarlyAccessedFlag);
      variants.push_back(std::move(early));
    }
    for (auto& variant : variants) {
      auto& outcomes = step.expectation.outcomes;
      const auto same =
          std::find_if(outcomes.begin(), outcomes.end(), [&](const ExpectedOutcome& x) { return same_outcome(x, variant); });
      if (same == outcomes.end()) {
        outcomes.push_back(std::move(variant));
      } else if (same->result == ExpectedOutcome::Result::acceptable) {
        for (const auto& flag : variant.flags)  // one more reason the same outcome is allowed
          if (std::find(same->flags.begin(), same->flags.end(), flag) == same->flags.end()) same->flags.push_back(flag);
      }
    }
  }
  if (allowed.empty()) return step;
  // The machine follows the fresh walk's outcome, or, on the path a target took, the allowed
  // outcome it observed (e.g. a read through a cached translation: that entry stays cached).
  std::size_t chosen = 0;
  if (observed) {
    // The observed A/D bits of a checked entry agree with an outcome that sets `required`
    // and may set `permitted` (or what an earlier operation may have set, `open`).
    auto entries_agree = [&](const model::Outcome& o) {
      for (std::size_t j = 0; j < v.entries.size() && j < before.size(); ++j) {
        const std::uint64_t physical = v.entries[j].physical;
        const auto seen = std::find_if(observed->entries_after.begin(), observed->entries_after.end(),
                                       [&](const auto& e) { return e.first == physical; });
        if (seen == observed->entries_after.end()) continue;
        const std::uint64_t ad = kAccessed | kDirty, got = seen->second & ad;
        const std::uint64_t least = (before[j] | updates_of(o.required, physical)) & ad;
        const std::uint64_t most = least | ((updates_of(o.permitted, physical) | open[j]) & ad);
        if ((got & least) != least || (got & ~most) != 0) return false;
      }
      return true;
    };
    std::optional<std::size_t> same_event;
    for (std::size_t i = 0; i < allowed.size(); ++i) {
      model::Event e = model::event_of(allowed[i].outcome, op.access.linear);
      if (allowed[i].outcome.kind == model::OutcomeKind::translated && op.access.kind == spec::AccessKind::read)
        e.value = read_after_updates(s.memory, allowed[i].outcome, allowed[i].outcome.physical, op.size, false);
      if (!model::difference(e, observed->event).empty()) continue;
      if (!same_event) same_event = i;
      if (entries_agree(allowed[i].outcome)) {
        same_event = i;
        break;
      }
    }
    if (same_event) chosen = *same_event;
  }
  const model::Outcome canonical = allowed[chosen].outcome;
  // What any allowed outcome may set and the one followed does not stays open.
  for (std::size_t i = 0; i < v.entries.size(); ++i)
    for (const auto& a : allowed) open[i] |= updates_of(a.outcome.permitted, v.entries[i].physical);
  m.apply(op, &allowed[chosen]);
  // A vtspec/vector/2 guest's access ended in a VM exit; its VMM (the L1 harness) records it
  // and resumes the guest at the next operation.
  if (canonical.kind == model::OutcomeKind::ept_violation || canonical.kind == model::OutcomeKind::ept_misconfig)
    vmm_round_trip(m, nullptr);
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
    if (m.state().ept || m.state().npt) {
      m.device_memory().write64(base, store.value);  // host-physical: a store_entry would go through EPT / nested paging
      m.data_stored(base);
    } else
      m.apply(store);
    // The data gives a checked entry's A/D byte a definite value (overwrite_flags).
    for (std::size_t i = 0; i < v.entries.size(); ++i)
      if (v.entries[i].physical >= canonical.physical && v.entries[i].physical < canonical.physical + op.size) open[i] = 0;
  }
  return step;
}

}  // namespace

namespace {
model::TlbConfig unbounded_tlb() {
  model::TlbConfig config;
  config.capacity = 0;  // unbounded: allowed() is then the full architectural set
  return config;
}
}  // namespace

ModelEvaluation::ModelEvaluation(const Vector& v)
    : vector_(&v), machine_(v.initial, {}, unbounded_tlb()), open_(v.entries.size(), 0) {
  if (const auto& settings = v.initial.iommu) {
    iommu_.emplace(model::iommu::profile(settings->profile));
    iommu_->set_root_table(settings->root_table);
    iommu_->enable_translation(settings->translation);
  }
}

namespace {
spec::iommu::CacheInvalidationRequest<spec::Concrete> invalidation_of(const Operation& op) {
  spec::iommu::CacheInvalidationRequest<spec::Concrete> r;
  r.cache = op.kind == OperationKind::invalidate_context_cache ? spec::iommu::InvalidatedCache::context
                                                               : spec::iommu::InvalidatedCache::iotlb;
  r.granularity = static_cast<spec::iommu::InvalidationGranularity>(op.type);
  r.domain_id = op.domain_id;
  r.source_id = op.source_id;
  r.address = op.address;
  r.address_mask = op.address_mask;
  r.hint = op.hint;
  return r;
}
}  // namespace

// A DMA: every outcome the remapping unit allows (the fresh walk first, then each cached
// entry that may serve it, VT-d 6.2); the unit then follows the fresh walk, or on a target's
// path the first allowed outcome with the event it observed. Two writes that differ only in
// where they land have the same event; the path then follows the fresh walk's (a later
// read tells them apart, and generated vectors read back what they write).
ModelStep ModelEvaluation::run_iommu(const Operation& op, const ObservedStep* observed) {
  const Vector& v = *vector_;
  ModelStep step;
  if (!iommu_) throw std::invalid_argument(describe_operation(op) + ": the vector has no iommu: section");
  step.trace = describe_operation(op);
  if (op.kind == OperationKind::invalidate_context_cache || op.kind == OperationKind::invalidate_iotlb) {
    iommu_->invalidate(invalidation_of(op));
    step.trace += "\n";
    ExpectedOutcome e;
    e.entries = entry_flags(v, entry_values(v, machine_.state()), open_, nullptr);
    step.expectation.outcomes.push_back(std::move(e));
    return step;
  }
  const model::iommu::DmaRequest request{op.source_id, op.address, op.size, op.kind == OperationKind::dma_write, op.value};
  const auto outcomes = iommu_->dma_outcomes(machine_.state().memory, request);
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    ExpectedOutcome e;
    e.result = i == 0 ? ExpectedOutcome::Result::valid : ExpectedOutcome::Result::acceptable;
    e.event = outcomes[i].event;
    for (const auto& flag : outcomes[i].flags) {
      e.flags.push_back(flag);
      step.notes[flag] = model::iommu::cached_flag_note(flag);
    }
    e.entries = entry_flags(v, entry_values(v, machine_.state()), open_, nullptr);
    step.trace += fmt::format("{}: {}{}", i == 0 ? "" : "\n  also allowed", model::describe(e.event),
                              outcomes[i].physical ? fmt::format(" at host-physical {:#x}", *outcomes[i].physical) : "");
    if (!outcomes[i].flags.empty()) step.trace += fmt::format(" ({})", fmt::join(outcomes[i].flags, ", "));
    step.expectation.outcomes.push_back(std::move(e));
  }
  step.trace += "\n";
  std::size_t chosen = 0;
  if (observed)
    for (std::size_t i = 0; i < outcomes.size(); ++i)
      if (model::difference(outcomes[i].event, observed->event).empty()) {
        chosen = i;
        break;
      }
  iommu_->commit(machine_.device_memory(), request, outcomes[chosen]);
  return step;
}

ModelStep ModelEvaluation::step(const Operation& op, const ObservedStep* observed, StepTrace trace) {
  const Vector& v = *vector_;
  model::Processor& m = machine_;
  ModelStep step;
  if (op.kind == OperationKind::access) {
    step = run_access(v, m, op, observed, trace, open_);
  } else if (model::row_of(op).iommu) {
    step = run_iommu(op, observed);
  } else if (m.state().vmx) {
    step = run_vmx_instruction(op);
  } else if (m.state().ept && model::row_of(op).vmx) {
    // The VMM of a vtspec/vector/2 guest, between two of its operations (the guest's VMCALL).
    vmm_round_trip(m, &op);
    step.trace = describe_operation(op) + "\n";
    ExpectedOutcome e;
    e.entries = entry_flags(v, entry_values(v, m.state()), open_, nullptr);
    step.expectation.outcomes.push_back(std::move(e));
  } else {
    const std::optional<ExpectedOutcome> fault = control_fault(m.state(), op);
    if (!fault) m.apply(op);
    step.trace = describe_operation(op) + (fault ? ": " + model::describe(fault->event) : "") + "\n";
    if (op.kind == OperationKind::vmrun)
      if (const auto failed = model::failed_vmrun_check(m.state(), op)) step.trace += "  fails " + *failed + "\n";
    ExpectedOutcome e = fault ? *fault : ExpectedOutcome{};
    // A store to a checked entry gives it a definite value.
    if (op.kind == OperationKind::store_entry)
      for (std::size_t i = 0; i < v.entries.size(); ++i)
        if (v.entries[i].physical == op.address) open_[i] = 0;
    e.entries = entry_flags(v, entry_values(v, m.state()), open_, nullptr);
    step.expectation.outcomes.push_back(std::move(e));
  }
  for (std::size_t i = 0; i < v.entries.size(); ++i) {
    const std::uint64_t value = m.state().memory.read64(v.entries[i].physical);
    open_[i] &= ~value;  // set now on the canonical path: determined
    step.entries_after.emplace_back(v.entries[i].physical, value);
  }
  step.exact = m.tlb().exact();
  step.sound = m.tlb().sound();
  return step;
}

// A VMX L1's instruction (vtspec/vector/4): every outcome the SDM allows, the first the
// processor's. The alternatives are the VM-entry checks the SDM leaves unordered (27.2: the
// control and host-state checks "may be performed in any order"; 27.3.1 orders none of the
// guest-state checks), so each is flagged with that reason. A VM entry that succeeds runs the
// guest the VMCS describes until a VM exit gives the processor back to the L1: the vector's
// next operation is the L1's again (which exit, and the guest state it saves, are not the
// vector's: its VMCS arms the VMX-preemption timer).
ModelStep ModelEvaluation::run_vmx_instruction(const Operation& op) {
  model::Processor& m = machine_;
  ModelStep step;
  m.apply(op);
  const auto& allowed = m.last_allowed();
  step.trace = describe_operation(op) + ": " + model::describe(allowed.front()) + "\n";
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    ExpectedOutcome e;
    e.result = i == 0 ? ExpectedOutcome::Result::valid : ExpectedOutcome::Result::acceptable;
    e.event = allowed[i];
    if (i > 0) {
      e.flags.push_back(kUnorderedEntryChecks);
      step.notes[kUnorderedEntryChecks] = kUnorderedEntryChecksNote;
      step.trace += "  also allowed: " + model::describe(allowed[i]) + "\n";
    }
    step.expectation.outcomes.push_back(std::move(e));
  }
  if (m.vmx().non_root) {
    Operation exit;
    exit.kind = OperationKind::vm_exit;
    m.apply(exit);
    step.trace += "  the guest runs until a VM exit returns to the L1\n";
  }
  return step;
}

std::vector<ModelStep> evaluate_on_model(const Vector& v, const std::vector<std::optional<ObservedStep>>* path,
                                         StepTrace trace) {
  ModelEvaluation evaluation(v);
  std::vector<ModelStep> steps;
  for (const Operation& op : v.operations) {
    const std::size_t i = steps.size();
    steps.push_back(evaluation.step(op, path && i < path->size() && (*path)[i] ? &*(*path)[i] : nullptr, trace));
  }
  return steps;
}

}  // namespace vtspec::vectors
