#include "model/tlb/cached_walk.hpp"

#include <algorithm>

#include "spec/two_dimensional_walk.hpp"

namespace vtspec::model {

using spec::Concrete;
using spec::bit_at;

namespace {

constexpr std::uint64_t kPermissiveEntry =
    bit_at(spec::pte::present) | bit_at(spec::pte::writable) | bit_at(spec::pte::user) | bit_at(spec::pte::accessed);

std::uint64_t region_mask(unsigned level) { return ~((std::uint64_t{1} << spec::index_shift(level)) - 1); }

void add_update(std::vector<FlagUpdate>& list, const FlagUpdate& u) {
  for (auto& e : list)
    if (e.physical == u.physical && e.ept == u.ept) {
      e.bits |= u.bits;
      return;
    }
  list.push_back(u);
}

// Rights accumulated over levels `from`..`to` of a guest walk (4.6.1: AND of R/W and U/S,
// OR of XD), as a paging-structure-cache entry for level `to` holds them (4.10.3.1).
spec::CombinedRights<Concrete> rights_through(const spec::PagingWalk<Concrete>& w, unsigned from, unsigned to) {
  spec::CombinedRights<Concrete> r;
  for (unsigned level = from; level >= to; --level) {
    r.user = r.user && Concrete::bit(w.entry[level], spec::pte::user);
    r.writable = r.writable && Concrete::bit(w.entry[level], spec::pte::writable);
    r.exec_disabled = r.exec_disabled || Concrete::bit(w.entry[level], spec::pte::execute_disable);
    if (level == to) break;
  }
  return r;
}

EptRights rights_of(const spec::EptWalk<Concrete>& w) {
  return {w.rights.readable, w.rights.writable, w.rights.executable, w.rights.user_executable};
}

// Host memory as an EPT walk served by cached EPT information sees it (one mechanism for
// both kinds of guest-physical mapping, 29.4.1): the levels above the cached entry's read as
// fully permissive, already-accessed entries; the cached entry's own level as an entry
// holding what was cached - for a guest-physical translation a leaf with the cached frame,
// rights (the AND over the entries it came from) and dirty flag, for a guest-physical
// paging-structure-cache entry a non-leaf entry with the cached next-table address and
// accumulated rights; the levels below (only for the latter) come from current memory.
// spec::walk_ept then decides the access - rights, violation or not, accessed/dirty updates
// of 29.3.5 - exactly as it does for memory.
struct CachedEptMemory {
  const PhysicalMemory* below;  // null: the cached entry is a leaf
  unsigned cached_level;
  std::uint64_t cached;
  std::uint64_t upper;
  std::uint64_t read_host(std::uint64_t address, unsigned level, bool active) const {
    if (!active) return 0;
    if (level > cached_level) return upper;
    if (level == cached_level) return cached;
    return below ? below->read_host(address, level, active) : 0;
  }
};

// The EPT entry word that stands for cached EPT information at `level`: `address` (frame or
// next table), the cached rights, accessed; for a leaf WB memory type, PS above level 1 and
// the cached dirty flag.
std::uint64_t cached_ept_entry(bool mbec, unsigned level, bool leaf, std::uint64_t address, const EptRights& rights,
                               bool dirty) {
  std::uint64_t e = address | bit_at(spec::epte::accessed);
  if (rights.read) e |= bit_at(spec::epte::read);
  if (rights.write) e |= bit_at(spec::epte::write);
  if (rights.execute) e |= bit_at(spec::epte::execute);
  if (mbec && rights.user_execute) e |= bit_at(spec::epte::user_execute);
  if (leaf) {
    e |= 6u << spec::epte::memory_type_lo;  // WB
    if (level > 1) e |= bit_at(spec::epte::page_size);
    if (dirty) e |= bit_at(spec::epte::dirty);
  }
  return e;
}

spec::EptWalk<Concrete> walk_cached_ept(const MachineState& state, std::uint64_t gpa,
                                        const spec::EptAccess<Concrete>& access, const CachedEptMemory& memory) {
  spec::EptWalk<Concrete> w = spec::walk_ept<Concrete>(state.ept_shape(), state.ept->eptp, gpa, access, memory);
  // The cached level and those above it were not read from memory.
  for (unsigned l = memory.cached_level; l <= spec::kMaxLevels; ++l) {
    w.read[l] = false;
    w.entry_address[l] = 0;
  }
  return w;
}

// Do two EPT walks of the same access decide it identically, with the same accessed/dirty
// effects and the same leaf? Then a cached entry giving `a` adds nothing beside `b`.
bool same_ept_result(const spec::EptWalk<Concrete>& a, const spec::EptWalk<Concrete>& b) {
  // Same access, same outcome and rights: the same violation qualification too (Table 28-7
  // depends on nothing else of the walk).
  if (a.translated != b.translated || a.violation != b.violation || a.misconfig != b.misconfig ||
      a.physical != b.physical || a.leaf_level != b.leaf_level || rights_of(a) != rights_of(b) ||
      a.sets_dirty != b.sets_dirty)
    return false;
  const auto visible_accessed = [](const spec::EptWalk<Concrete>& w, unsigned l) {
    return w.sets_accessed[l] || (w.may_set_accessed[l] && w.read[l] && !Concrete::bit(w.entry[l], spec::epte::accessed));
  };
  for (unsigned l = 1; l <= spec::kMaxLevels; ++l)
    if (visible_accessed(a, l) != visible_accessed(b, l)) return false;
  const unsigned leaf = static_cast<unsigned>(a.leaf_level);
  return leaf == 0 || (a.entry_address[leaf] == b.entry_address[leaf] &&
                       Concrete::bit(a.entry[leaf], spec::epte::dirty) == Concrete::bit(b.entry[leaf], spec::epte::dirty));
}

// Chooses, for every guest-physical translation of one walk, between a fresh EPT walk and
// the cached guest-physical mappings that may serve it (29.4.2), following a script, and
// records what it chose.
struct Chooser {
  const CachedWalkInput& in;
  const std::vector<std::size_t>& script;
  bool mbec;
  bool ept_ad;
  std::vector<GuestPhysicalStep> steps;
  std::vector<std::vector<std::size_t>> alternatives;
  std::vector<std::size_t> used, dirtied;

  // Would mapping `e` give exactly what the fresh walk `w` gives (same frame, rights, dirty
  // state, leaf, and no accessed flag left to set)? Then it adds no outcome.
  bool same_as_memory(const CachedEntry& e, const spec::EptWalk<Concrete>& w) const {
    const unsigned leaf = static_cast<unsigned>(w.leaf_level);
    if (leaf == 0 || w.misconfig || leaf != e.level) return false;
    if ((w.physical & region_mask(leaf)) != e.frame || w.entry_address[leaf] != e.ept_leaf_host) return false;
    const EptRights r = rights_of(w);
    if (r.read != e.ept_rights.read || r.write != e.ept_rights.write || r.execute != e.ept_rights.execute ||
        (mbec && r.user_execute != e.ept_rights.user_execute))
      return false;
    if (!ept_ad) return true;
    if (Concrete::bit(w.entry[leaf], spec::epte::dirty) != e.ept_dirty) return false;
    for (unsigned level = 1; level <= spec::kMaxLevels; ++level)
      if (w.read[level] && !Concrete::bit(w.entry[level], spec::epte::accessed)) return false;
    return true;
  }

  // The quick form of "continuing from guest-physical paging-structure-cache entry `e` gives
  // the fresh walk `w`": w went below e's level through entries that hold e's next table and
  // e's accumulated rights, with no accessed flag left to set there. (Otherwise the walks
  // are compared in full.)
  bool structure_agrees(const CachedEntry& e, const spec::EptWalk<Concrete>& w) const {
    if (e.level < 2 || !w.read[e.level - 1]) return false;
    if ((w.entry[e.level] & spec::frame_mask(in.state.features.maxphyaddr)) != e.next_table) return false;
    EptRights r;
    r.user_execute = mbec;
    for (unsigned level = spec::ept_walk_length(in.state.ept->eptp); level >= e.level; --level) {
      const std::uint64_t entry = w.entry[level];
      if (ept_ad && !Concrete::bit(entry, spec::epte::accessed)) return false;
      r.read = r.read && Concrete::bit(entry, spec::epte::read);
      r.write = r.write && Concrete::bit(entry, spec::epte::write);
      r.execute = r.execute && Concrete::bit(entry, spec::epte::execute);
      r.user_execute = r.user_execute && Concrete::bit(entry, spec::epte::user_execute);
    }
    return r == e.ept_rights;
  }

  // The EPT walk of `gpa` as cached entry `e` decides it: a guest-physical translation
  // decides it alone; a guest-physical paging-structure-cache entry supplies its level and
  // those above, current memory the levels below (29.4.2, and 4.10.3.2 read for EPT).
  spec::EptWalk<Concrete> walk_from(const CachedEntry& e, std::uint64_t gpa, const spec::EptAccess<Concrete>& access) const {
    if (e.kind == CacheKind::guest_physical)
      return ept_walk_from_cache(in.state, gpa, access, e.level, e.frame, e.ept_rights, e.ept_dirty, e.ept_leaf_host);
    const std::uint64_t all = cached_ept_entry(mbec, e.level, false, 0, EptRights{}, false);
    const CachedEptMemory memory{&in.state.memory, e.level,
                                 cached_ept_entry(mbec, e.level, false, e.next_table, e.ept_rights, false), all};
    return walk_cached_ept(in.state, gpa, access, memory);
  }

  spec::EptWalk<Concrete> choose(std::uint64_t gpa, const spec::EptAccess<Concrete>& access, unsigned guest_level,
                                 const spec::EptWalk<Concrete>& fresh) {
    std::vector<std::size_t> alts;
    for (std::size_t i = 0; i < in.entries.size(); ++i) {
      const CachedEntry& e = in.entries[i];
      if (e.kind == CacheKind::guest_physical) {
        if (spec::may_serve_guest_physical<Concrete>(e.tags, in.context, gpa) && !same_as_memory(e, fresh))
          alts.push_back(i);
      } else if (e.kind == CacheKind::ept_structure) {
        // A cached upper EPT entry that agrees with memory leads to the same walk: left out.
        if (spec::may_serve_guest_physical<Concrete>(e.tags, in.context, gpa) && !structure_agrees(e, fresh) &&
            !same_ept_result(walk_from(e, gpa, access), fresh))
          alts.push_back(i);
      }
    }
    const std::size_t k = steps.size();
    const std::size_t pick = k < script.size() ? script[k] : 0;
    GuestPhysicalStep step{guest_level, gpa, fresh, std::nullopt, 0, false};
    const auto leaf_from_walk = [&] {
      const unsigned leaf = static_cast<unsigned>(step.walk.leaf_level);
      if (leaf) {
        step.leaf_host = step.walk.entry_address[leaf];
        step.leaf_dirty = Concrete::bit(step.walk.entry[leaf], spec::epte::dirty);
      }
    };
    if (pick == 0 || pick > alts.size()) {
      leaf_from_walk();
    } else {
      const std::size_t index = alts[pick - 1];
      const CachedEntry& e = in.entries[index];
      step.walk = walk_from(e, gpa, access);
      step.cached = index;
      used.push_back(index);
      if (e.kind == CacheKind::guest_physical) {
        step.leaf_host = e.ept_leaf_host;
        step.leaf_dirty = e.ept_dirty;
        if (step.walk.sets_dirty) dirtied.push_back(index);
      } else {
        leaf_from_walk();  // the leaf was read from memory below the cached entry
      }
    }
    alternatives.push_back(std::move(alts));
    steps.push_back(step);
    return step.walk;
  }
};

// The translation source plugged into spec::EptTranslatingPort.
struct ChooserSource {
  Chooser* chooser = nullptr;
  template <class D, class HostMemory>
  spec::EptWalk<D> translate(const spec::EptShape& shape, const typename D::Word& eptp, const typename D::Word& gpa,
                             const spec::EptAccess<D>& access, unsigned guest_level, const typename D::Bool& active,
                             HostMemory& memory) {
    static_assert(std::is_same_v<D, Concrete>, "the TLB model is concrete");
    spec::EptWalk<D> fresh = spec::walk_ept<D>(shape, eptp, gpa, access, memory);
    if (!active || !chooser) return fresh;
    return chooser->choose(gpa, access, guest_level, fresh);
  }
};

using EptPort = spec::EptTranslatingPort<Concrete, const PhysicalMemory, spec::NoObserver, ChooserSource>;

// The guest walk's port. Levels above a starting paging-structure-cache entry read as fully
// permissive entries and the entry's own level as an entry holding the cached next-table
// address and accumulated rights (4.10.3.2), so spec::walk_paging combines rights exactly as
// for a full walk. Below it, entries come from memory: natively directly; with EPT through
// the EPT port - except the level right below a combined entry, whose table address is
// host-physical (29.4.1) and is read without EPT translation. Records where each entry was
// read and which accessed/dirty updates were made.
struct CachedStartPort {
  EptPort* ept;                  // null: no EPT
  const PhysicalMemory& host;
  Chooser* chooser;
  unsigned start_level;          // 0: the walk starts at CR3
  std::uint64_t cached_entry;
  spec::AccessedFlagPolicy policy;
  std::array<std::uint64_t, 6> entry_host{};
  struct Update {
    unsigned level;
    std::uint64_t host;
    bool eager;
  };
  std::vector<Update> updates;
  std::array<bool, 6> update_called{};

  bool from_cache(unsigned level) const { return start_level && level >= start_level; }
  bool direct(unsigned level) const { return !ept || (start_level && level + 1 == start_level); }

  spec::PortRead<Concrete> read_entry(std::uint64_t address, unsigned level, bool active) {
    if (from_cache(level)) return {level == start_level ? cached_entry : kPermissiveEntry, false};
    if (direct(level)) {
      entry_host[level] = address;
      return {host.read_host(address, level, active), false};
    }
    const auto r = ept->read_entry(address, level, active);
    if (active && !r.fault) entry_host[level] = chooser->steps.back().walk.physical;
    return r;
  }

  bool update_entry_flags(std::uint64_t address, unsigned level, bool active) {
    if (from_cache(level)) return false;  // cached entries were filled with A = 1 (4.10.3.1)
    // The walk's first flag update of a level is the eager one when the policy says so.
    const bool eager = policy.eager(level) && !update_called[level];
    update_called[level] = true;
    if (direct(level)) {
      if (active) updates.push_back({level, address, eager});
      return false;
    }
    const bool fault = ept->update_entry_flags(address, level, active);
    if (active && !fault) updates.push_back({level, chooser->steps.back().walk.physical, eager});
    return fault;
  }
};

}  // namespace

spec::EptWalk<Concrete> ept_walk_from_cache(const MachineState& state, std::uint64_t gpa,
                                            const spec::EptAccess<Concrete>& access, unsigned level,
                                            std::uint64_t frame, const EptRights& rights, bool dirty,
                                            std::uint64_t leaf_host) {
  const bool mbec = state.ept->caps.mode_based_execute;
  const CachedEptMemory memory{nullptr, level, cached_ept_entry(mbec, level, true, frame, rights, dirty),
                               cached_ept_entry(mbec, level, false, 0, EptRights{}, false)};
  spec::EptWalk<Concrete> w = walk_cached_ept(state, gpa, access, memory);
  w.entry_address[level] = leaf_host;
  return w;
}

void guest_physical_fills(const CachedWalkInput& in, const std::vector<GuestPhysicalStep>& steps,
                          std::vector<CachedEntry>& out) {
  if (steps.empty() || !in.state.ept) return;
  const auto& ctx = in.context;
  const bool mbec = in.state.ept->caps.mode_based_execute;
  const unsigned ept_levels = spec::ept_walk_length(in.state.ept->eptp);
  spec::EntryTags<Concrete> tags;
  tags.linear_tagged = false;
  tags.ept_tagged = true;
  tags.ep4ta = ctx.ep4ta;
  // 29.4.2: guest-physical mappings come from the EPT translations the walk made (of its
  // paging-structure references and of the final access), not from ones served by a cached
  // translation (which would only refill what is already there). 29.4.1: both kinds come only
  // from present EPT entries without reserved bits; the model fills from successful EPT
  // walks only (see docs/allowed-outcomes.md on partial walks).
  for (const auto& s : steps) {
    if (!s.walk.translated) continue;
    // A walk continuing from a cached EPT entry read the levels below it from memory: those
    // may be cached, and so may its translation.
    unsigned below = ept_levels + 1;
    if (s.cached) {
      const CachedEntry& from = in.entries[*s.cached];
      if (from.kind != CacheKind::ept_structure) continue;
      below = from.level;
    }
    const unsigned leaf = static_cast<unsigned>(s.walk.leaf_level);
    // Guest-physical paging-structure-cache entries (29.4.1), one per non-leaf EPT entry the
    // walk read, with the rights accumulated from the top down to it.
    EptRights acc;
    acc.user_execute = mbec;
    for (unsigned level = ept_levels; level > leaf; --level) {
      const std::uint64_t entry = s.walk.entry[level];
      acc.read = acc.read && Concrete::bit(entry, spec::epte::read);
      acc.write = acc.write && Concrete::bit(entry, spec::epte::write);
      acc.execute = acc.execute && Concrete::bit(entry, spec::epte::execute);
      acc.user_execute = acc.user_execute && Concrete::bit(entry, spec::epte::user_execute);
      if (level >= below) continue;
      CachedEntry p;
      p.kind = CacheKind::ept_structure;
      p.level = level;
      p.tags = tags;
      p.tags.structure = true;
      p.tags.mask = region_mask(level);
      p.tags.base = s.gpa & p.tags.mask;
      p.next_table = entry & spec::frame_mask(in.state.features.maxphyaddr);
      p.ept_rights = acc;
      // The walk's guest-physical addresses often share upper EPT entries: one fill each.
      if (std::none_of(out.begin(), out.end(), [&](const CachedEntry& o) { return o.same_content(p); }))
        out.push_back(p);
    }
    CachedEntry g;
    g.kind = CacheKind::guest_physical;
    g.level = leaf;
    g.tags = tags;
    g.tags.mask = region_mask(g.level);
    g.tags.base = s.gpa & g.tags.mask;
    g.frame = s.walk.physical & g.tags.mask;
    g.ept_rights = rights_of(s.walk);
    g.ept_dirty = s.leaf_dirty || s.walk.sets_dirty;
    g.ept_leaf_host = s.leaf_host;
    out.push_back(g);
  }
}

std::vector<CachedEntry> fills_for(const CachedWalkInput& in, const spec::PagingWalk<Concrete>& gw,
                                   unsigned first_level, const std::array<std::uint64_t, 6>& entry_host,
                                   const std::vector<GuestPhysicalStep>& steps) {
  const MachineState& state = in.state;
  const auto& ctx = in.context;
  const bool write = in.request.kind == spec::AccessKind::write;
  std::vector<CachedEntry> out;
  spec::EntryTags<Concrete> tags;
  tags.linear_tagged = true;
  tags.ept_tagged = ctx.ept_active;
  tags.vpid = ctx.vpid;
  tags.pcid = ctx.pcid;
  tags.ep4ta = ctx.ept_active ? ctx.ep4ta : 0;
  const unsigned levels = state.paging_levels();
  const unsigned leaf = static_cast<unsigned>(gw.leaf_level);
  for (unsigned level = first_level; level >= 2 && level > leaf; --level) {
    CachedEntry e;
    e.kind = CacheKind::paging_structure;
    e.level = level;
    e.tags = tags;
    e.tags.structure = true;
    e.tags.mask = region_mask(level);
    e.tags.base = in.request.linear & e.tags.mask;
    // 29.4.1: a combined entry holds the host-physical address of the next table - where
    // the walk read the next level's entry.
    e.next_table = ctx.ept_active ? (entry_host[level - 1] & ~std::uint64_t{0xfff})
                                  : (gw.entry[level] & spec::frame_mask(state.features.maxphyaddr));
    e.rights = rights_through(gw, levels, level);
    out.push_back(e);
  }
  const GuestPhysicalStep* final_step = nullptr;
  for (const auto& s : steps)
    if (s.guest_level == 0) final_step = &s;
  CachedEntry t;
  t.kind = CacheKind::tlb;
  const unsigned ept_leaf = final_step ? static_cast<unsigned>(final_step->walk.leaf_level) : leaf;
  // 29.4.1: a combined mapping cannot cover more than the EPT page backing it.
  t.level = ctx.ept_active ? std::min(leaf, ept_leaf) : leaf;
  t.tags = tags;
  t.tags.mask = region_mask(t.level);
  t.tags.base = in.request.linear & t.tags.mask;
  t.tags.global = (state.regs.cr4 & cr4::pge) && Concrete::bit(gw.entry[leaf], spec::pte::global);  // 4.10.2.4
  const std::uint64_t physical = final_step ? final_step->walk.physical : gw.physical;
  t.frame = physical & t.tags.mask;
  t.rights = gw.rights;
  t.dirty = Concrete::bit(gw.entry[leaf], spec::pte::dirty) || write;
  t.leaf_entry_host = entry_host[leaf];
  if (ctx.ept_active && final_step) {
    t.guest_frame = gw.physical & t.tags.mask;
    t.ept_rights = rights_of(final_step->walk);
    t.ept_dirty = final_step->leaf_dirty || write;
    t.ept_leaf_host = final_step->leaf_host;
  }
  guest_physical_fills(in, steps, out);
  out.push_back(t);
  return out;
}

CachedEntry nested_tlb_fill(const CachedWalkInput& in, const Translation& t) {
  const MachineState& state = in.state;
  const auto& gw = t.guest_walk;
  const auto& nw = t.nested_final;
  const bool write = in.request.kind == spec::AccessKind::write;
  const unsigned leaf = static_cast<unsigned>(gw.leaf_level), nested_leaf = static_cast<unsigned>(nw.leaf_level);
  CachedEntry e;
  e.kind = CacheKind::tlb;
  e.nested_paging = true;
  e.level = std::min(leaf, nested_leaf);
  e.tags.linear_tagged = true;
  e.tags.asid = in.context.asid;
  e.tags.pcid = in.context.pcid;
  e.tags.mask = region_mask(e.level);
  e.tags.base = in.request.linear & e.tags.mask;
  e.tags.global = (state.regs.cr4 & cr4::pge) && Concrete::bit(gw.entry[leaf], spec::pte::global);  // 4.10.2.4
  e.frame = nw.physical & e.tags.mask;
  e.rights = gw.rights;
  e.dirty = Concrete::bit(gw.entry[leaf], spec::pte::dirty) || write;
  e.leaf_entry_host = t.guest_entry_host[leaf];
  e.guest_frame = gw.physical & e.tags.mask;
  e.nested_rights = nw.rights;
  e.ept_dirty = Concrete::bit(nw.entry[nested_leaf], spec::pte::dirty) || write;
  e.ept_leaf_host = nw.entry_address[nested_leaf];
  return e;
}

CachedWalk run_cached_walk(const CachedWalkInput& in, std::optional<std::size_t> start,
                           spec::AccessedFlagPolicy policy, const std::vector<std::size_t>& script) {
  const MachineState& s = in.state;
  const AccessRequest& req = in.request;
  CachedWalk out;
  Outcome& o = out.outcome;
  const auto ctl = s.paging_control();
  const auto shape = s.paging_shape();
  const auto access = spec::Access<Concrete>::make(req.kind, req.cpl, req.implicit_supervisor);

  unsigned start_level = 0;
  std::uint64_t cached = 0;
  if (start) {
    const CachedEntry& e = in.entries[*start];
    start_level = e.level;
    cached = e.next_table | bit_at(spec::pte::present) | bit_at(spec::pte::accessed);
    if (e.rights.user) cached |= bit_at(spec::pte::user);
    if (e.rights.writable) cached |= bit_at(spec::pte::writable);
    if (e.rights.exec_disabled) cached |= bit_at(spec::pte::execute_disable);
  }
  const bool mbec = s.ept && s.ept->caps.mode_based_execute;
  const bool ept_ad = s.ept && Concrete::bit(s.ept->eptp, spec::eptp::accessed_dirty);
  Chooser chooser{in, script, mbec, ept_ad, {}, {}, {}, {}};
  spec::NoObserver none;
  std::optional<spec::EptShape> ept_shape;
  std::optional<EptPort> ept;
  if (s.ept) {
    ept_shape = s.ept_shape();
    ept.emplace(EptPort{*ept_shape, s.ept->eptp, s.memory, none, {}, 0, ChooserSource{&chooser}});
  }
  CachedStartPort port{ept ? &*ept : nullptr, s.memory, &chooser, start_level, cached, policy, {}, {}, {}};

  if (!ept) {
    out.guest = spec::walk_paging<Concrete>(shape, ctl, s.regs.cr3, req.linear, access, port, policy);
    o = outcome_of_walk(out.guest, req.linear);
  } else {
    const auto w = spec::compose_two_dimensional<Concrete>(shape, ctl, s.regs.cr3, req.linear, access, port, *ept, policy);
    out.guest = w.guest;
    o = outcome_of_walk(w, req.linear);
  }
  const auto& gw = out.guest;
  // Guest accessed/dirty updates that really happened (4.8): an eager one sets A; the ones
  // after a successful walk set A where clear and D in the leaf for a write.
  for (const auto& u : port.updates) {
    std::uint64_t bits = 0;
    if (u.eager || !Concrete::bit(gw.entry[u.level], spec::pte::accessed)) bits |= bit_at(spec::pte::accessed);
    if (!u.eager && gw.sets_dirty && gw.leaf_level == u.level) bits |= bit_at(spec::pte::dirty);
    add_update(o.required, {u.host, bits, false, u.level});
  }
  // EPT accessed/dirty updates (29.3.5), of fresh EPT walks and of cached mappings' leaves.
  for (const auto& step : chooser.steps) {
    const auto& w = step.walk;
    for (unsigned level = 1; level <= spec::kMaxLevels; ++level) {
      std::uint64_t bits = 0;
      if (w.sets_accessed[level]) bits |= bit_at(spec::epte::accessed);
      if (w.sets_dirty && w.leaf_level == level) bits |= bit_at(spec::epte::dirty);
      // Through a cached mapping the update goes to the leaf it was filled from; if that
      // entry already has D set now, setting it again is invisible.
      if (step.cached && (s.memory.read64(w.entry_address[level]) & bits) == bits) bits = 0;
      if (bits) add_update(o.required, {w.entry_address[level], bits, true, level});
      if (w.may_set_accessed[level] && !Concrete::bit(w.entry[level], spec::epte::accessed) && w.read[level])
        add_update(o.permitted, {w.entry_address[level], bit_at(spec::epte::accessed), true, level});
    }
  }
  for (const auto& u : o.required) add_update(o.permitted, u);

  if (o.kind == OutcomeKind::translated)
    out.fills = fills_for(in, gw, start ? start_level - 1 : s.paging_levels(), port.entry_host, chooser.steps);
  else
    guest_physical_fills(in, chooser.steps, out.fills);
  out.entry_host = port.entry_host;
  out.steps = std::move(chooser.steps);
  out.alternatives = std::move(chooser.alternatives);
  out.guest_physical_used = std::move(chooser.used);
  out.guest_physical_dirtied = std::move(chooser.dirtied);
  return out;
}

}  // namespace vtspec::model
