#include "model/tlb/tlb.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace vtspec::model {

using spec::Concrete;
using spec::bit_at;

namespace {

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

// Does paging-structure-cache entry `e` agree with the current entries the fresh walk used
// at its level and above (same next table, same accumulated rights, accessed flags set)?
// Then continuing from it reads exactly what the fresh walk read below it. With EPT a
// combined entry also skips the EPT translation of the next table's address (29.4.1), so in
// addition the fresh walk must have found that table at the cached host address, with no
// EPT accessed/dirty update for the references the entry skips, and no cached
// guest-physical mapping may offer an alternative anywhere in the walk.
bool Tlb::matches_fresh_walk(const MachineState& state, const CachedEntry& e, const spec::PagingWalk<Concrete>& gw,
                             const CachedWalk* root) const {
  const unsigned levels = state.paging_levels();
  bool user = true, writable = true, exec_disabled = false;
  for (unsigned level = levels; level >= e.level; --level) {
    if (!gw.used[level] || gw.leaf_level == level || !Concrete::bit(gw.entry[level], spec::pte::accessed)) return false;
    user = user && Concrete::bit(gw.entry[level], spec::pte::user);
    writable = writable && Concrete::bit(gw.entry[level], spec::pte::writable);
    exec_disabled = exec_disabled || Concrete::bit(gw.entry[level], spec::pte::execute_disable);
    if (level == e.level) break;
  }
  if (user != e.rights.user || writable != e.rights.writable || exec_disabled != e.rights.exec_disabled) return false;
  if (!state.ept) return (gw.entry[e.level] & spec::frame_mask(state.features.maxphyaddr)) == e.next_table;
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

void Tlb::explore(const CachedWalkInput& in, std::optional<std::size_t> start, bool with_fresh_root,
                  std::vector<AllowedOutcome>& out, CachedWalk* root) const {
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
        const unsigned top = start ? entries_[*start].level - 1 : in.state.paging_levels();
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

std::vector<AllowedOutcome> Tlb::allowed(const MachineState& state, const spec::LookupContext<Concrete>& ctx,
                                         const AccessRequest& req) const {
  std::vector<AllowedOutcome> out;
  const CachedWalkInput in{state, ctx, entries_, req};
  // 1. A fresh walk of current memory: always allowed (any entry may have been dropped).
  const Translation t = translate(state, req);
  std::vector<CachedEntry> fresh_fills;
  CachedWalk root;
  const bool any_translated = std::any_of(t.allowed.begin(), t.allowed.end(),
                                          [](const Outcome& o) { return o.kind == OutcomeKind::translated; });
  for (const auto& o : t.allowed) {
    AllowedOutcome a;
    a.outcome = o;
    out.push_back(std::move(a));
  }
  if (state.npt) {
    // AMD nested paging: a translation may create one combined TLB entry tagged with the
    // guest's ASID (APM Vol. 2 15.16); see exact() for the caches not modelled.
    if (t.allowed.front().kind == OutcomeKind::translated) fresh_fills.push_back(nested_tlb_fill(in, t));
    // The structures such caches could hold: nested entries, and guest entries above the
    // leaf (a PTE is always a leaf: no paging-structure cache holds one, found or not).
    const unsigned cacheable_above = std::max<unsigned>(1, static_cast<unsigned>(t.guest_walk.leaf_level));
    for (const auto& r : t.trace)
      if (r.kind == spec::ReferenceKind::nested_entry ||
          (r.kind == spec::ReferenceKind::guest_entry && r.guest_level > cacheable_above))
        out.front().unmodelled_structures.push_back(r.physical);
  } else if (state.ept) {
    // 2. With EPT: the same walk with guest-physical addresses translated by cached
    // guest-physical mappings (29.4.2). Its all-fresh run is the canonical walk above and
    // gives the fills.
    explore(in, std::nullopt, false, out, &root);
    fresh_fills = root.fills;
  } else if (any_translated) {
    std::array<std::uint64_t, 6> entry_host{};
    for (unsigned level = 1; level <= spec::kMaxLevels; ++level) entry_host[level] = t.guest_walk.entry_address[level];
    fresh_fills = fills_for(in, t.guest_walk, state.paging_levels(), entry_host, {});
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
      out.push_back(through_tlb(in, i));
    } else if (matches_fresh_walk(state, e, t.guest_walk, state.ept ? &root : nullptr)) {
      // The cached entry holds what memory holds now, so continuing from it reads exactly
      // what the fresh walk read below it: the same outcome, without walking again.
      AllowedOutcome same = out.front();
      same.source = SourceKind::structure_entry;
      same.entry = i;
      out.push_back(std::move(same));
    } else {
      explore(in, i, true, out, nullptr);
    }
  }
  return out;
}

// An access through a TLB entry: the cached rights are checked against the current control
// bits (CR0.WP, SMEP, SMAP, PKRU are read at use, 4.6), the cached EPT rights for a combined
// mapping (29.4.2). No paging-structure entry is read.
AllowedOutcome Tlb::through_tlb(const CachedWalkInput& in, std::size_t index) const {
  const MachineState& state = in.state;
  const AccessRequest& req = in.request;
  const CachedEntry& e = entries_[index];
  AllowedOutcome a;
  a.source = SourceKind::tlb_entry;
  a.entry = index;
  Outcome& o = a.outcome;
  const auto ctl = state.paging_control();
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
    // from a fresh EPT walk (same EptAccess), including the qualification of a violation.
    const auto fa = spec::final_translation_reference<Concrete>(access, e.rights);
    const std::uint64_t gpa = e.guest_frame | offset;
    const auto w = ept_walk_from_cache(state, gpa, fa.access, e.level, e.frame, e.ept_rights, e.ept_dirty, e.ept_leaf_host);
    if (!w.translated) {
      const auto q = spec::ept_violation_qualification<Concrete>(state.ept->caps, w, fa.origin);
      o.kind = OutcomeKind::ept_violation;
      o.guest_physical = gpa;
      o.qualification = q.value;
      o.qualification_undefined = q.undefined;
      return a;
    }
    // 29.3.5: with EPTP[6] = 1 a write sets the EPT dirty flag of the leaf mapping the page;
    // a mapping filled with that flag clear must not be written through silently (the same
    // rule as the guest dirty flag, 4.8). If memory already has it set, nothing is visible.
    if (w.sets_dirty && !Concrete::bit(state.memory.read64(e.ept_leaf_host), spec::epte::dirty))
      o.required.push_back({e.ept_leaf_host, bit_at(spec::epte::dirty), true, e.level});
  } else if (e.nested_paging) {
    // AMD nested paging: the final guest-physical access is checked against the cached
    // nested rights as the nested walk checks it (a user access, APM Vol. 2 15.25.5), after
    // the guest's rights (a guest #PF comes first, 15.25.6); a fault is #VMEXIT(NPF) on the
    // final address. A write through an entry filled with nested D = 0 sets D in the nested leaf.
    const auto mode = state.nested_mode();
    const auto nctl = spec::svm::nested_control<Concrete>(mode);
    const auto nacc = spec::svm::nested_access<Concrete>(spec::svm::NestedStage::final_address, access);
    const auto nested = spec::decide_access<Concrete>(nctl, nacc, e.nested_rights);
    if (!nested.allowed) {
      spec::PagingWalk<Concrete> w;
      w.error_code = spec::page_fault_error_code<Concrete>(nctl, nacc, false, false, false);
      o.kind = OutcomeKind::nested_page_fault;
      o.qualification = spec::svm::npf_exit_info1<Concrete>(w, spec::svm::NestedStage::final_address);
      o.guest_physical = e.guest_frame | offset;
      return a;
    }
    if (write && !e.ept_dirty && !Concrete::bit(state.memory.read64(e.ept_leaf_host), spec::pte::dirty))
      o.required.push_back({e.ept_leaf_host, bit_at(spec::pte::dirty), true, e.level});
  }
  o.kind = OutcomeKind::translated;
  o.physical = e.frame | offset;
  // 4.8: a write sets D in the leaf entry when it is clear; a TLB entry filled with D = 0
  // cannot be used for it silently (4.10.2.2, and 4.10.4.3: only an entry cached with D = 1
  // may skip the update), so the update goes to the leaf entry the entry came from.
  if (write && !e.dirty && !Concrete::bit(state.memory.read64(e.leaf_entry_host), spec::pte::dirty))
    o.required.push_back({e.leaf_entry_host, bit_at(spec::pte::dirty), false, e.level});
  o.permitted = o.required;
  a.set_entry_dirty = write && (!e.dirty || ((e.tags.ept_tagged || e.nested_paging) && !e.ept_dirty));
  return a;
}

void Tlb::record(const AllowedOutcome& chosen, std::size_t step) {
  if (chosen.set_entry_dirty && chosen.entry < entries_.size()) {
    entries_[chosen.entry].dirty = true;
    entries_[chosen.entry].ept_dirty = true;
  }
  for (const std::size_t i : chosen.dirtied_guest_physical)
    if (i < entries_.size()) entries_[i].ept_dirty = true;
  for (const auto& e : chosen.fills) fill(e, step);
  unmodelled_structures_.insert(unmodelled_structures_.end(), chosen.unmodelled_structures.begin(),
                                chosen.unmodelled_structures.end());
}

void Tlb::fill_as(const AllowedOutcome& chosen, std::uint64_t asid, std::size_t step) {
  for (CachedEntry e : chosen.fills) {
    e.tags.asid = asid;
    fill(e, step);
  }
  lenient();
}

void Tlb::stored(std::uint64_t address) {
  const std::uint64_t entry = address & ~std::uint64_t{7};
  if (std::find(unmodelled_structures_.begin(), unmodelled_structures_.end(), entry) != unmodelled_structures_.end())
    ++unmodelled_stores_;
}

void Tlb::invalidate(const spec::InvalidationScope<Concrete>& scope, std::size_t step, const std::string& what) {
  std::erase_if(entries_, [&](const CachedEntry& e) { return spec::removes<Concrete>(scope, e.tags); });
  if (config_.keep_log) log_.push_back({step, what, scope});
}

void Tlb::fill(CachedEntry entry, std::size_t step) {
  entry.filled_at = step;
  // The same information again replaces the older fill: an invalidation reaches both or neither.
  std::erase_if(entries_, [&](const CachedEntry& e) { return e.same_content(entry); });
  if (config_.capacity && entries_.size() >= config_.capacity) {
    entries_.erase(entries_.begin());  // the oldest
    ++evictions_;
  }
  entries_.push_back(entry);
}

namespace {

// The clause of spec::removes that kept `t` out of the reach of `s`, in words, with where
// the SDM states it.
std::string sparing_reason(const spec::InvalidationScope<Concrete>& s, const spec::EntryTags<Concrete>& t) {
  const auto clause = spec::sparing_clause(s, t);
  if (!clause) return "within its reach (the entry was filled again since)";
  std::string why;
  switch (*clause) {
    case spec::ReachClause::mapping_kind:
      why = fmt::format("does not reach {} mappings", !t.linear_tagged ? "guest-physical"
                                                      : t.ept_tagged   ? "combined"
                                                                       : "linear");
      break;
    case spec::ReachClause::vpid: why = fmt::format("reaches VPID {} only", s.vpid); break;
    case spec::ReachClause::vpid0_spared: why = "spares VPID 0"; break;
    case spec::ReachClause::asid: why = fmt::format("reaches ASID {} only", s.asid); break;
    case spec::ReachClause::global: why = "keeps global TLB entries"; break;
    case spec::ReachClause::pcid: why = fmt::format("reaches PCID {:#x} only", s.pcid); break;
    case spec::ReachClause::linear_address:
      why = s.structures_on_path_only
                ? fmt::format("reaches the page of {:#x} and the paging-structure-cache entries on its path only",
                              s.linear_address)
                : fmt::format("reaches the TLB entries for the page of {:#x} only", s.linear_address);
      break;
    case spec::ReachClause::ep4ta: why = fmt::format("reaches EP4TA {:#x} only", s.ep4ta); break;
    case spec::ReachClause::guest_physical_address:
      why = fmt::format("reaches guest-physical {:#x} only", s.guest_physical_address);
      break;
  }
  return fmt::format("{} ({})", why, spec::reach_citation(*clause));
}

}  // namespace

std::vector<std::string> Tlb::explain(std::size_t index) const {
  std::vector<std::string> lines;
  const CachedEntry& e = entries_.at(index);
  lines.push_back(fmt::format("filled by the walk of step {}", e.filled_at));
  for (const auto& l : log_) {
    if (l.step <= e.filled_at) continue;
    lines.push_back(fmt::format("survived step {} ({}): {}", l.step, l.what, sparing_reason(l.scope, e.tags)));
  }
  return lines;
}

}  // namespace vtspec::model
