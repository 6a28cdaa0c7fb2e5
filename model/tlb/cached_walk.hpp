// One translation that may take parts of its answer from cached entries (SDM Vol. 3A
// 4.10.3.2, Vol. 3C 29.4.2): a guest walk that starts at CR3 or at a paging-structure-cache
// entry, whose guest-physical addresses (of guest paging-structure entries and of the final
// access) are each translated either by a fresh EPT walk, by a cached guest-physical
// translation, or by a walk of current EPT memory continuing from a cached guest-physical
// paging-structure-cache entry (Vol. 3C 29.4.1 counts both as guest-physical mappings), under one accessed-flag policy (spec/per_level.hpp). The walks themselves are the
// spec's (walk_paging, walk_ept, compose_two_dimensional); this file supplies the ports that
// answer from the cache, and the entries a successful translation may create.
#pragma once

#include <array>
#include <optional>
#include <vector>

#include "model/tlb/cached_entry.hpp"
#include "model/translation.hpp"
#include "spec/tlb_tags.hpp"

namespace vtspec::model {

// One guest-physical translation the walk really made, in the order it made them.
struct GuestPhysicalStep {
  unsigned guest_level = 0;              // the guest level whose entry it reads/updates; 0: the final access
  std::uint64_t gpa = 0;
  spec::EptWalk<spec::Concrete> walk;    // from memory, or decided from the cached mapping
  std::optional<std::size_t> cached;     // the guest-physical mapping (either kind) that served it
  std::uint64_t leaf_host = 0;           // host-physical address of the EPT leaf entry
  bool leaf_dirty = false;               // that leaf's dirty flag as read (or as cached)
};

struct CachedWalkInput {
  const MachineState& state;
  const spec::LookupContext<spec::Concrete>& context;
  const std::vector<CachedEntry>& entries;
  const AccessRequest& request;
};

struct CachedWalk {
  Outcome outcome;
  spec::PagingWalk<spec::Concrete> guest;
  // Entries the walk may create: when translated, all of fills_for(); otherwise only the
  // guest-physical mappings of its successful EPT translations (29.4.2 creates those from
  // any EPT translation; a #PF does not invalidate them, 4.10.4.1 / 29.4.3.1).
  std::vector<CachedEntry> fills;
  std::array<std::uint64_t, 6> entry_host{};             // host address each guest level was read from
  std::vector<GuestPhysicalStep> steps;
  // For each step: the cached guest-physical mappings that could have served it instead of
  // what served it, with a different result (mappings equal to memory are left out).
  std::vector<std::vector<std::size_t>> alternatives;
  std::vector<std::size_t> guest_physical_used;         // mappings that served a step
  std::vector<std::size_t> guest_physical_dirtied;      // ... for a write with EPT D clear in the mapping
};

// `start`: a paging-structure-cache entry (index into in.entries) to start from, or none
// (CR3). `script[k]` chooses the source of the k-th guest-physical translation: 0 a fresh
// EPT walk, j >= 1 the j-th of that step's alternatives; steps past the end walk EPT.
CachedWalk run_cached_walk(const CachedWalkInput& in, std::optional<std::size_t> start,
                           spec::AccessedFlagPolicy policy, const std::vector<std::size_t>& script);

// The EPT side of an access decided from cached EPT information - a guest-physical mapping,
// or the EPT part of a combined translation - at `level` mapping `frame`: spec::walk_ept
// over a memory in which that information is the only leaf, so rights, violation (and with
// it the Table 28-7 qualification) and the dirty-flag update of 29.3.5 follow the same
// rules as a fresh EPT walk. No entry counts as read; the leaf's address is `leaf_host`.
spec::EptWalk<spec::Concrete> ept_walk_from_cache(const MachineState& state, std::uint64_t gpa,
                                                  const spec::EptAccess<spec::Concrete>& access, unsigned level,
                                                  std::uint64_t frame, const EptRights& rights, bool dirty,
                                                  std::uint64_t leaf_host);

// The guest-physical mappings a walk may create (29.4.1): for each successful EPT
// translation it made from memory, a guest-physical translation and one guest-physical
// paging-structure-cache entry per non-leaf EPT entry it read; a translation continuing from
// a cached EPT entry creates those for the levels it read below that entry; one served by a
// cached guest-physical translation creates nothing (it would only refill what is there).
void guest_physical_fills(const CachedWalkInput& in, const std::vector<GuestPhysicalStep>& steps,
                          std::vector<CachedEntry>& out);

// Entries a successful translation may create (SDM 4.10.2.1, 4.10.3.1, Vol. 3C 29.4.1-2).
// `first_level` is the highest guest level the walk read from memory; `entry_host[l]` the
// host-physical address the level-l entry was read from; `steps` the EPT translations.
std::vector<CachedEntry> fills_for(const CachedWalkInput& in, const spec::PagingWalk<spec::Concrete>& guest,
                                   unsigned first_level, const std::array<std::uint64_t, 6>& entry_host,
                                   const std::vector<GuestPhysicalStep>& steps);

// The entry a translation under AMD nested paging may create (APM Vol. 2 15.16): one combined
// TLB entry from the guest-linear page to the host-physical frame, tagged with the guest's
// ASID (and PCID), no larger than the guest page or the nested page backing it, holding the
// guest's rights and the nested walk's (`t`: the translation's canonical walks).
CachedEntry nested_tlb_fill(const CachedWalkInput& in, const Translation& t);

}  // namespace vtspec::model
