#include "model/tlb/tlb_machine.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "model/tlb/cached_walk.hpp"
#include "spec/ept_violation_qualification.hpp"
#include "spec/two_dimensional_walk.hpp"

namespace vtspec::model {

using spec::Concrete;
using spec::bit_at;
using W = std::uint64_t;

namespace {

constexpr std::uint64_t kEp4taMask = spec::bit_range(51, 12);  // 29.4.1: EP4TA = EPTP[51:12]
// At most this many walks per exploration of cached guest-physical mappings (each run is
// one combination of mappings serving the walk's guest-physical addresses).
constexpr std::size_t kMaxExploredWalks = 256;

}  // namespace

std::string to_string(SourceKind kind) {
  switch (kind) {
    case SourceKind::fresh_walk: return "fresh walk";
    case SourceKind::guest_physical_entry: return "walk with cached guest-physical mappings";
    case SourceKind::tlb_entry: return "TLB entry";
    case SourceKind::structure_entry: return "paging-structure-cache entry";
  }
  return "?";
}

bool CachedEntry::same_content(const CachedEntry& o) const {
  const auto& a = tags;
  const auto& b = o.tags;
  return kind == o.kind && level == o.level && a.linear_tagged == b.linear_tagged && a.ept_tagged == b.ept_tagged &&
         a.structure == b.structure && a.global == b.global && a.vpid == b.vpid && a.pcid == b.pcid &&
         a.ep4ta == b.ep4ta && a.base == b.base && a.mask == b.mask && frame == o.frame &&
         rights.user == o.rights.user && rights.writable == o.rights.writable &&
         rights.exec_disabled == o.rights.exec_disabled && rights.protection_key == o.rights.protection_key &&
         dirty == o.dirty && leaf_entry_host == o.leaf_entry_host && guest_frame == o.guest_frame &&
         ept_rights == o.ept_rights && ept_dirty == o.ept_dirty && ept_leaf_host == o.ept_leaf_host &&
         next_table == o.next_table;
}

std::string CachedEntry::describe() const {
  std::string tag;
  if (tags.linear_tagged) tag += fmt::format("VPID {} PCID {:#x}", tags.vpid, tags.pcid);
  if (tags.ept_tagged) tag += fmt::format("{}EP4TA {:#x}", tag.empty() ? "" : " ", tags.ep4ta);
  if (tags.global && !tags.structure) tag += " global";
  const char* sizes[] = {"", "4K", "2M", "1G"};
  const std::string rights_text = fmt::format("{}{}{}", rights.user ? "U" : "S", rights.writable ? " RW" : " RO",
                                              rights.exec_disabled ? " XD" : "");
  const std::string ept_text = fmt::format("{}{}{}", ept_rights.read ? "R" : "-", ept_rights.write ? "W" : "-",
                                           ept_rights.execute ? "X" : "-");
  switch (kind) {
    case CacheKind::tlb:
      return fmt::format("TLB {} page {:#x} -> {:#x} [{}{}{}, PK={}] {}", level <= 3 ? sizes[level] : "?", tags.base,
                         frame, rights_text, dirty ? " D" : "",
                         tags.ept_tagged ? ", EPT " + ept_text + (ept_dirty ? " D" : "") : "", rights.protection_key, tag);
    case CacheKind::paging_structure:
      return fmt::format("{}-cache region {:#x}/{:#x} -> table {:#x} [{}] {}", spec::level_name(level), tags.base,
                         page_size(), next_table, rights_text, tag);
    case CacheKind::guest_physical:
      return fmt::format("guest-physical {} page {:#x} -> {:#x} [EPT {}{}] {}", level <= 3 ? sizes[level] : "?",
                         tags.base, frame, ept_text, ept_dirty ? " D" : "", tag);
    case CacheKind::ept_structure:
      return fmt::format("EPT {}-cache region {:#x}/{:#x} -> EPT table {:#x} [EPT {}] {}", spec::level_name(level),
                         tags.base, page_size(), next_table, ept_text, tag);
  }
  return "?";
}

TlbMachine::TlbMachine(MachineState state, VmxContext vmx, TlbConfig config)
    : state_(std::move(state)), vmx_(vmx), config_(config) {
  other_regs_ = vmx_.other_registers ? *vmx_.other_registers : state_.regs;
  if (state_.ept) {
    vmx_.non_root = true;  // a state with EPT describes a guest in VMX non-root operation
    ept_caps_ = state_.ept->caps;
  }
}

std::uint64_t TlbMachine::current_pcid() const {
  return (state_.regs.cr4 & cr4::pcide) ? (state_.regs.cr3 & 0xfff) : 0;  // 4.10.1
}
std::uint64_t TlbMachine::current_ep4ta() const { return state_.ept ? (state_.ept->eptp & kEp4taMask) : 0; }

spec::LookupContext<Concrete> TlbMachine::context() const {
  spec::LookupContext<Concrete> c;
  c.vpid = vmx_.non_root ? vmx_.vpid : 0;
  c.pcid = current_pcid();
  c.ep4ta = current_ep4ta();
  c.ept_active = state_.ept.has_value();
  return c;
}

// Does paging-structure-cache entry `e` agree with the current entries the fresh walk used
// at its level and above (same next table, same accumulated rights, accessed flags set)?
// Then continuing from it reads exactly what the fresh walk read below it. With EPT a
// combined entry also skips the EPT translation of the next table's address (29.4.1), so in
// addition the fresh walk must have found that table at the cached host address, with no
// EPT accessed/dirty update for the references the entry skips, and no cached
// guest-physical mapping may offer an alternative anywhere in the walk.
bool TlbMachine::matches_fresh_walk(const CachedEntry& e, const spec::PagingWalk<Concrete>& gw,
                                    const CachedWalk* root) const {
  const unsigned levels = state_.paging_levels();
  bool user = true, writable = true, exec_disabled = false;
  for (unsigned level = levels; level >= e.level; --level) {
    if (!gw.used[level] || gw.leaf_level == level || !Concrete::bit(gw.entry[level], spec::pte::accessed)) return false;
    user = user && Concrete::bit(gw.entry[level], spec::pte::user);
    writable = writable && Concrete::bit(gw.entry[level], spec::pte::writable);
    exec_disabled = exec_disabled || Concrete::bit(gw.entry[level], spec::pte::execute_disable);
    if (level == e.level) break;
  }
  if (user != e.rights.user || writable != e.rights.writable || exec_disabled != e.rights.exec_disabled) return false;
  if (!state_.ept) return (gw.entry[e.level] & spec::frame_mask(state_.features.maxphyaddr)) == e.next_table;
  if (!root || !gw.read[e.level - 1] || (root->entry_host[e.level - 1] & ~std::uint64_t{0xfff}) != e.next_table)
    return false;
  for (const auto& alternatives : root->alternatives)
    if (!alternatives.empty()) return false;
  for (const auto& step : root->steps) {
    if (step.guest_level < e.level - 1) continue;
    if (!step.walk.translated) return false;  // e.g. an A/D update faulting in EPT
    for (unsigned level = 1; level <= spec::kMaxLevels; ++level)
      if (step.walk.sets_accessed[level] || (step.walk.sets_dirty && step.walk.leaf_level == level) ||
          (step.walk.may_set_accessed[level] && !Concrete::bit(step.walk.entry[level], spec::epte::accessed)))
        return false;
  }
  return true;
}

namespace {

bool same_updates(const std::vector<FlagUpdate>& a, const std::vector<FlagUpdate>& b) {
  if (a.size() != b.size()) return false;
  return std::all_of(a.begin(), a.end(), [&](const FlagUpdate& u) { return std::find(b.begin(), b.end(), u) != b.end(); });
}

}  // namespace

void TlbMachine::explore(const AccessRequest& req, std::optional<std::size_t> start, bool with_fresh_root,
                         std::vector<AllowedOutcome>& out, CachedWalk* root) const {
  const auto ctx = context();
  const CachedWalkInput in{state_, ctx, entries_, req};
  const std::size_t first_new = out.size();
  const auto emit = [&](CachedWalk& w, bool dedupe) {
    if (dedupe) {
      for (std::size_t i = first_new; i < out.size(); ++i)
        if (out[i].outcome.same_result(w.outcome) && same_updates(out[i].outcome.required, w.outcome.required)) return;
    }
    AllowedOutcome a;
    // Moved from: a walk kept as the exploration root (below) is never emitted.
    a.outcome = std::move(w.outcome);
    a.source = start ? SourceKind::structure_entry : SourceKind::guest_physical_entry;
    a.entry = start ? *start : (w.guest_physical_used.empty() ? 0 : w.guest_physical_used.front());
    a.guest_physical_entries = std::move(w.guest_physical_used);
    a.dirtied_guest_physical = std::move(w.guest_physical_dirtied);
    a.fills = std::move(w.fills);
    out.push_back(std::move(a));
  };
  // Accessed-flag policies (spec/per_level.hpp): lazy, and eager at each level the walk
  // reads from memory whose entry is used with A = 0 (elsewhere eager changes nothing).
  std::vector<spec::AccessedFlagPolicy> policies{spec::AccessedFlagPolicy::lazy()};
  std::size_t runs = 0;
  for (std::size_t p = 0; p < policies.size(); ++p) {
    const bool lazy = p == 0;
    // Depth-first over scripts: a script fixes the source of the first guest-physical
    // translations; a run reports the alternatives of every later one, each a child.
    std::vector<std::vector<std::size_t>> pending{{}};
    while (!pending.empty()) {
      if (runs++ == kMaxExploredWalks) {
        ++truncated_;
        return;
      }
      const std::vector<std::size_t> script = std::move(pending.back());
      pending.pop_back();
      CachedWalk w = run_cached_walk(in, start, policies[p], script);
      const bool is_root = script.empty();
      if (lazy && is_root) {
        const unsigned top = start ? entries_[*start].level - 1 : state_.paging_levels();
        for (unsigned level = top; level >= 1; --level) {
          if (w.guest.used[level] && !Concrete::bit(w.guest.entry[level], spec::pte::accessed))
            policies.push_back(spec::AccessedFlagPolicy::eager_at(level));
          if (level == 1) break;
        }
      }
      if (!is_root || start || with_fresh_root) emit(w, !lazy);
      for (std::size_t k = script.size(); k < w.alternatives.size(); ++k) {
        for (std::size_t j = 1; j <= w.alternatives[k].size(); ++j) {
          std::vector<std::size_t> child = script;
          child.resize(k, 0);
          child.push_back(j);
          pending.push_back(std::move(child));
        }
      }
      if (lazy && is_root && root) *root = std::move(w);
    }
  }
}

std::vector<AllowedOutcome> TlbMachine::allowed(const AccessRequest& req) const {
  std::vector<AllowedOutcome> out;
  const auto ctx = context();
  // 1. A fresh walk of current memory: always allowed (any entry may have been dropped).
  const Translation t = translate(state_, req);
  std::vector<CachedEntry> fresh_fills;
  CachedWalk root;
  const bool any_translated = std::any_of(t.allowed.begin(), t.allowed.end(),
                                          [](const Outcome& o) { return o.kind == OutcomeKind::translated; });
  for (const auto& o : t.allowed) {
    AllowedOutcome a;
    a.outcome = o;
    out.push_back(std::move(a));
  }
  if (state_.ept) {
    // 2. With EPT: the same walk with guest-physical addresses translated by cached
    // guest-physical mappings (29.4.2). Its all-fresh run is the canonical walk above and
    // gives the fills.
    explore(req, std::nullopt, false, out, &root);
    fresh_fills = root.fills;
  } else if (any_translated) {
    std::array<std::uint64_t, 6> entry_host{};
    for (unsigned level = 1; level <= spec::kMaxLevels; ++level) entry_host[level] = t.guest_walk.entry_address[level];
    fresh_fills = fills_for({state_, ctx, entries_, req}, t.guest_walk, state_.paging_levels(), entry_host, {});
  }
  // The canonical (lazy) fresh walk is the explored root: its fills hold for out[0] whatever
  // its outcome (guest-physical mappings only, unless translated); other fresh outcomes
  // that translate create what a translation creates.
  const bool fresh_translates = !fresh_fills.empty() && fresh_fills.back().kind == CacheKind::tlb;
  for (std::size_t i = 0; i < t.allowed.size(); ++i)
    if (i == 0 || (t.allowed[i].kind == OutcomeKind::translated && fresh_translates)) out[i].fills = fresh_fills;
  // 3. Every cached entry whose tags match (spec::may_serve_linear).
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const CachedEntry& e = entries_[i];
    if (e.kind == CacheKind::guest_physical || e.kind == CacheKind::ept_structure) continue;  // used inside walks
    if (!spec::may_serve_linear<Concrete>(e.tags, ctx, req.linear)) continue;
    if (e.kind == CacheKind::tlb) {
      out.push_back(through_tlb(req, i));
    } else if (matches_fresh_walk(e, t.guest_walk, state_.ept ? &root : nullptr)) {
      // The cached entry holds what memory holds now, so continuing from it reads exactly
      // what the fresh walk read below it: the same outcome, without walking again.
      AllowedOutcome same = out.front();
      same.source = SourceKind::structure_entry;
      same.entry = i;
      out.push_back(std::move(same));
    } else {
      explore(req, i, true, out, nullptr);
    }
  }
  return out;
}

// An access through a TLB entry: the cached rights are checked against the current control
// bits (CR0.WP, SMEP, SMAP, PKRU are read at use, 4.6), the cached EPT rights for a combined
// mapping (29.4.2). No paging-structure entry is read.
AllowedOutcome TlbMachine::through_tlb(const AccessRequest& req, std::size_t index) const {
  const CachedEntry& e = entries_[index];
  AllowedOutcome a;
  a.source = SourceKind::tlb_entry;
  a.entry = index;
  Outcome& o = a.outcome;
  const auto ctl = state_.paging_control();
  const auto access = spec::Access<Concrete>::make(req.kind, req.cpl, req.implicit_supervisor);
  const auto decision = spec::decide_access<Concrete>(ctl, access, e.rights);
  const std::uint64_t offset = req.linear & ~e.tags.mask;
  if (!decision.allowed) {
    o.kind = OutcomeKind::page_fault;
    o.error_code = spec::page_fault_error_code<Concrete>(ctl, access, false, false, decision.protection_key_fault);
    o.cr2 = req.linear;
    return a;
  }
  const bool write = req.kind == spec::AccessKind::write;
  if (e.tags.ept_tagged) {
    // 29.4.2: a combined translation holds EPT rights and the EPT dirty state; the final
    // guest-physical access is decided from them as spec::compose_two_dimensional decides it
    // from a fresh EPT walk (same EptReference), including the qualification of a violation.
    const auto fa = spec::final_translation_reference<Concrete>(access, e.rights);
    const std::uint64_t gpa = e.guest_frame | offset;
    const auto w = ept_walk_from_cache(state_, gpa, fa.access, e.level, e.frame, e.ept_rights, e.ept_dirty, e.ept_leaf_host);
    if (!w.translated) {
      const auto q = spec::ept_violation_qualification<Concrete>(state_.ept->caps, w, fa.origin);
      o.kind = OutcomeKind::ept_violation;
      o.guest_physical = gpa;
      o.qualification = q.value;
      o.qualification_undefined = q.undefined;
      return a;
    }
    // 29.3.5: with EPTP[6] = 1 a write sets the EPT dirty flag of the leaf mapping the page;
    // a mapping filled with that flag clear must not be written through silently (the same
    // rule as the guest dirty flag, 4.8). If memory already has it set, nothing is visible.
    if (w.sets_dirty && !Concrete::bit(state_.memory.read64(e.ept_leaf_host), spec::epte::dirty))
      o.required.push_back({e.ept_leaf_host, bit_at(spec::epte::dirty), true, e.level});
  }
  o.kind = OutcomeKind::translated;
  o.physical = e.frame | offset;
  // 4.8: a write sets D in the leaf entry when it is clear; a TLB entry filled with D = 0
  // cannot be used for it silently (4.10.2.2, and 4.10.4.3: only an entry cached with D = 1
  // may skip the update), so the update goes to the leaf entry the entry came from.
  if (write && !e.dirty && !Concrete::bit(state_.memory.read64(e.leaf_entry_host), spec::pte::dirty))
    o.required.push_back({e.leaf_entry_host, bit_at(spec::pte::dirty), false, e.level});
  o.permitted = o.required;
  a.set_entry_dirty = write && (!e.dirty || (e.tags.ept_tagged && !e.ept_dirty));
  return a;
}

spec::InvalidationRequest<Concrete> TlbMachine::invalidation_request(const Operation& op) const {
  spec::InvalidationRequest<Concrete> r;
  const auto ctx = context();
  r.current_vpid = ctx.vpid;
  r.current_pcid = ctx.pcid;
  r.current_ep4ta = ctx.ep4ta;
  r.pcide = (state_.regs.cr4 & cr4::pcide) != 0;
  r.type = op.type;
  r.linear = op.address;
  r.pcid = op.pcid;
  r.vpid = op.vpid;
  r.ep4ta = op.eptp & kEp4taMask;
  r.new_value = op.value;
  switch (op.kind) {
    case OperationKind::invlpg: r.kind = spec::InvalidationKind::invlpg; break;
    case OperationKind::mov_cr3: r.kind = spec::InvalidationKind::mov_cr3; break;
    case OperationKind::mov_cr4:
      r.kind = spec::InvalidationKind::mov_cr4;
      r.old_value = state_.regs.cr4;
      break;
    case OperationKind::mov_cr0:
      r.kind = spec::InvalidationKind::mov_cr0;
      r.old_value = state_.regs.cr0;
      break;
    case OperationKind::invpcid: r.kind = spec::InvalidationKind::invpcid; break;
    case OperationKind::invvpid: r.kind = spec::InvalidationKind::invvpid; break;
    case OperationKind::invept: r.kind = spec::InvalidationKind::invept; break;
    case OperationKind::vm_entry:
      r.kind = spec::InvalidationKind::vmx_transition;
      r.vpid_enabled = op.vpid != 0;
      break;
    case OperationKind::vm_exit:
      r.kind = spec::InvalidationKind::vmx_transition;
      r.vpid_enabled = vmx_.vpid != 0;
      break;
    case OperationKind::access:
    case OperationKind::store_entry: throw std::invalid_argument("operation invalidates nothing by itself");
  }
  return r;
}

void TlbMachine::invalidate(const spec::InvalidationScope<Concrete>& scope, const std::string& what) {
  std::erase_if(entries_, [&](const CachedEntry& e) { return spec::removes<Concrete>(scope, e.tags); });
  if (config_.keep_log) log_.push_back({step_, what, scope});
}

void TlbMachine::fill(CachedEntry entry) {
  entry.filled_at = step_;
  // The same information again replaces the older fill: an invalidation reaches both or neither.
  std::erase_if(entries_, [&](const CachedEntry& e) { return e.same_content(entry); });
  if (config_.capacity && entries_.size() >= config_.capacity) {
    entries_.erase(entries_.begin());  // the oldest
    ++evictions_;
  }
  entries_.push_back(entry);
}

namespace {

// A guest store to a guest-physical address lands where the current EPT maps it (ignoring
// permissions: the store is the test's way of editing paging structures).
std::uint64_t store_address(const MachineState& s, std::uint64_t gpa) {
  if (!s.ept) return gpa;
  const unsigned m = s.features.maxphyaddr;
  std::uint64_t table = s.ept->eptp & spec::frame_mask(m);
  for (unsigned level = spec::ept_walk_length(s.ept->eptp); level >= 1; --level) {
    const std::uint64_t e = s.memory.read64(table + ((gpa >> spec::index_shift(level)) & 511) * 8);
    if ((e & 0x407) == 0) break;
    if (level == 1 || (level <= 3 && ((e >> 7) & 1))) {
      const std::uint64_t offset = (std::uint64_t{1} << spec::index_shift(level)) - 1;
      return (e & spec::frame_mask(m) & ~offset) | (gpa & offset);
    }
    table = e & spec::frame_mask(m);
  }
  throw std::invalid_argument(fmt::format("store_entry: guest-physical {:#x} is not mapped by the current EPT", gpa));
}

}  // namespace

void TlbMachine::apply_access(const Operation& op, const AllowedOutcome& chosen) {
  apply_flag_updates(state_, chosen.outcome);
  if (chosen.set_entry_dirty && chosen.entry < entries_.size()) {
    entries_[chosen.entry].dirty = true;
    entries_[chosen.entry].ept_dirty = true;
  }
  for (const std::size_t i : chosen.dirtied_guest_physical)
    if (i < entries_.size()) entries_[i].ept_dirty = true;
  Operation at_address;
  at_address.kind = OperationKind::invlpg;
  at_address.address = op.access.linear;
  const auto base = invalidation_request(at_address);
  // The walk's fills happen before the fault it ends in: an EPT violation then removes
  // those of them that would translate its guest-physical address (29.4.3.1), e.g. EPT
  // paging-structure-cache entries filled from the walk's guest paging-structure references.
  // (A #PF reaches no guest-physical mapping, the only fills a faulting walk makes.)
  for (const auto& e : chosen.fills) fill(e);
  if (chosen.outcome.kind == OutcomeKind::page_fault) {
    auto r = base;
    r.kind = spec::InvalidationKind::page_fault;
    invalidate(spec::required_invalidation<Concrete>(r), fmt::format("#PF at {:#x}", op.access.linear));
  } else if (chosen.outcome.kind == OutcomeKind::ept_violation) {
    auto r = base;
    r.kind = spec::InvalidationKind::ept_violation;
    r.guest_physical = chosen.outcome.guest_physical;
    r.linear_valid = (chosen.outcome.qualification >> spec::ept_qualification::final_translation) & 1u;
    invalidate(spec::required_invalidation<Concrete>(r),
               fmt::format("EPT violation at GPA {:#x}", chosen.outcome.guest_physical));
  }
}

void TlbMachine::apply(const Operation& op, const AllowedOutcome* chosen) {
  switch (op.kind) {
    case OperationKind::access: {
      if (chosen) {
        apply_access(op, *chosen);
      } else {
        const auto set = allowed(op.access);
        apply_access(op, set.front());
      }
      break;
    }
    case OperationKind::store_entry:
      state_.memory.write64(store_address(state_, op.address), op.value);
      break;
    case OperationKind::invpcid:
      if (op.type > 3) throw std::invalid_argument("INVPCID type must be 0-3");
      invalidate(spec::required_invalidation<Concrete>(invalidation_request(op)), describe(op));
      break;
    case OperationKind::invvpid:
      if (op.type > 3) throw std::invalid_argument("INVVPID type must be 0-3");
      // INVVPID fails (VMfailValid) without invalidating for VPID 0 unless all-context.
      if (op.type != 2 && op.vpid == 0) break;
      invalidate(spec::required_invalidation<Concrete>(invalidation_request(op)), describe(op));
      break;
    case OperationKind::invept:
      if (op.type != 1 && op.type != 2) throw std::invalid_argument("INVEPT type must be 1 or 2");
      invalidate(spec::required_invalidation<Concrete>(invalidation_request(op)), describe(op));
      break;
    case OperationKind::invlpg:
      invalidate(spec::required_invalidation<Concrete>(invalidation_request(op)), describe(op));
      break;
    case OperationKind::mov_cr3:
      invalidate(spec::required_invalidation<Concrete>(invalidation_request(op)), describe(op));
      state_.regs.cr3 = op.value & ~spec::cr3::no_flush;  // bit 63 is not stored
      break;
    case OperationKind::mov_cr4:
      invalidate(spec::required_invalidation<Concrete>(invalidation_request(op)), describe(op));
      state_.regs.cr4 = op.value;
      break;
    case OperationKind::mov_cr0:
      invalidate(spec::required_invalidation<Concrete>(invalidation_request(op)), describe(op));
      state_.regs.cr0 = op.value;
      break;
    case OperationKind::vm_entry:
      invalidate(spec::required_invalidation<Concrete>(invalidation_request(op)), describe(op));
      if (!vmx_.non_root) switch_registers();
      vmx_.non_root = true;
      vmx_.vpid = static_cast<std::uint16_t>(op.vpid);
      if (op.eptp) {
        const auto check = spec::check_ept_pointer(op.eptp, ept_caps_);
        if (!check.valid) throw std::invalid_argument(fmt::format("vm_entry: {}", check.reason));
        state_.ept = EptSettings{op.eptp, ept_caps_};
      } else {
        state_.ept.reset();
      }
      break;
    case OperationKind::vm_exit:
      invalidate(spec::required_invalidation<Concrete>(invalidation_request(op)), describe(op));
      if (vmx_.non_root) switch_registers();
      vmx_.non_root = false;
      state_.ept.reset();  // the host runs without EPT
      break;
  }
  ++step_;
}

// VM entry loads the guest's control registers (from the VMCS guest-state area, SDM Vol. 3C
// 27.3.2.1) and VM exit the host's (host-state area, 28.5.1); the side left keeps its values
// for the next transition. Paging in VMX non-root operation uses the guest's CR0/CR3/CR4
// (with EPT under it), in root operation the host's.
void TlbMachine::switch_registers() { std::swap(state_.regs, other_regs_); }

namespace {

// The first clause of spec::removes that keeps `t` out of reach of `s`, in words.
std::string why_kept(const spec::InvalidationScope<Concrete>& s, const spec::EntryTags<Concrete>& t) {
  const bool is_linear = t.linear_tagged && !t.ept_tagged;
  const bool is_combined = t.linear_tagged && t.ept_tagged;
  if (is_linear && !s.linear) return "does not reach linear mappings";
  if (is_combined && !s.combined) return "does not reach combined mappings";
  if (!t.linear_tagged && !s.guest_physical) return "does not reach guest-physical mappings";
  if (t.linear_tagged) {
    if (!s.any_vpid && t.vpid != s.vpid) return fmt::format("reaches VPID {} only", s.vpid);
    if (s.spare_vpid0 && t.vpid == 0) return "spares VPID 0";
    if (s.keep_global && t.global && !t.structure) return "keeps global entries";
    if (!s.any_pcid && t.pcid != s.pcid) return fmt::format("reaches PCID {:#x} only", s.pcid);
    if (s.one_linear) return fmt::format("reaches the page of {:#x} only", s.linear_address);
  }
  if (t.ept_tagged && !s.any_ep4ta && t.ep4ta != s.ep4ta) return fmt::format("reaches EP4TA {:#x} only", s.ep4ta);
  if (s.one_guest_physical) return fmt::format("reaches guest-physical {:#x} only", s.guest_physical_address);
  return "?";
}

}  // namespace

std::vector<std::string> TlbMachine::explain(std::size_t index) const {
  std::vector<std::string> lines;
  const CachedEntry& e = entries_.at(index);
  lines.push_back(fmt::format("filled by the walk of step {}", e.filled_at));
  for (const auto& l : log_) {
    if (l.step <= e.filled_at) continue;
    lines.push_back(fmt::format("survived step {} ({}): {}", l.step, l.what, why_kept(l.scope, e.tags)));
  }
  return lines;
}

std::string describe(const Operation& op) {
  switch (op.kind) {
    case OperationKind::access: {
      const char* k = op.access.kind == spec::AccessKind::write ? "write" : op.access.kind == spec::AccessKind::fetch ? "fetch" : "read";
      return fmt::format("access {} {:#x} CPL {}", k, op.access.linear, op.access.cpl);
    }
    case OperationKind::store_entry: return fmt::format("store_entry GPA {:#x} = {:#x}", op.address, op.value);
    case OperationKind::invlpg: return fmt::format("invlpg {:#x}", op.address);
    case OperationKind::mov_cr3: return fmt::format("mov_cr3 {:#x}", op.value);
    case OperationKind::mov_cr4: return fmt::format("mov_cr4 {:#x}", op.value);
    case OperationKind::mov_cr0: return fmt::format("mov_cr0 {:#x}", op.value);
    case OperationKind::invpcid: return fmt::format("invpcid type {} PCID {:#x} address {:#x}", op.type, op.pcid, op.address);
    case OperationKind::invvpid: return fmt::format("invvpid type {} VPID {} address {:#x}", op.type, op.vpid, op.address);
    case OperationKind::invept: return fmt::format("invept type {} EPTP {:#x}", op.type, op.eptp);
    case OperationKind::vm_entry: return fmt::format("vm_entry VPID {} EPTP {:#x}", op.vpid, op.eptp);
    case OperationKind::vm_exit: return "vm_exit";
  }
  return "?";
}

}  // namespace vtspec::model
