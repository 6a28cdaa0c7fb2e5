// The TLBs and paging-structure caches of one processor: the set of entries that MAY exist,
// with the allowed-outcome semantics of SDM Vol. 3A 4.10 and Vol. 3C 29.4:
//   an access may be served by any cached entry whose tags match and that no required
//   invalidation has removed since it was filled, or by a fresh walk of current memory;
//   the processor may drop any entry at any time.
// So allowed() is a finite set (entries come only from earlier walks), and it always
// contains the fresh walk. See docs/allowed-outcomes.md, "TLB and paging-structure caches".
//
// Caching only: the registers, the VMX state and which operation invalidates what belong to
// the processor (model/processor), which hands the TLB the state and lookup context of each
// access and the scope (spec::required_invalidation) of each invalidation.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "model/machine_state.hpp"
#include "model/tlb/allowed_outcome.hpp"
#include "model/tlb/cached_entry.hpp"
#include "model/tlb/cached_walk.hpp"
#include "spec/tlb_invalidation.hpp"

namespace vtspec::model {

struct TlbConfig {
  // Bound on the entries kept. Dropping an entry is always something the processor may do,
  // so the modelled cache stays a possible one; but once an entry has been dropped the model
  // no longer knows every entry the processor MAY hold, and allowed() is then a subset of
  // the architectural set (see Tlb::exact()). 0 = unbounded.
  std::size_t capacity = 256;
  // Keep the log of invalidations so that explain() can say which ones an entry survived.
  bool keep_log = false;
};

class Tlb {
 public:
  explicit Tlb(TlbConfig config = {}) : config_(config) {}

  const std::vector<CachedEntry>& entries() const { return entries_; }
  // No entry has been dropped for capacity and no enumeration of cached guest-physical
  // mappings was cut short: allowed() is the full architectural set.
  // Under nested paging the model fills combined TLB entries only (no page-walk caches, no
  // nested-only translations: a processor need not have them, APM Vol. 2 15.16); that is the
  // whole set until a store changes an entry those caches would hold (stored()).
  bool exact() const { return sound() && lenient_ == 0; }
  // allowed() holds every architectural outcome (it may hold more: lenient()): nothing was
  // dropped, cut short or changed behind a cache the model does not keep.
  bool sound() const { return evictions_ == 0 && truncated_ == 0 && unmodelled_stores_ == 0; }
  // The processor chose to over-approximate: an entry filled under several tags, or an
  // invalidation left out, because it cannot tell which of several contexts the processor
  // is in (an ASID that a VMCB clean bit lets it keep, APM Vol. 2 15.15.3). allowed() is
  // then a superset of every possible context's set.
  void lenient() { ++lenient_; }
  // The fills of `chosen` once more, tagged with ASID `asid` (see lenient()).
  void fill_as(const AllowedOutcome& chosen, std::uint64_t asid, std::size_t step);

  // Every allowed outcome of `request` on `state` in lookup context `context`. [0] .. are
  // the fresh walk's outcomes (in model::translate order); then, with EPT, walks whose
  // guest-physical addresses are partly translated by cached guest-physical mappings; then
  // one per usable TLB entry; then the outcomes of walks continuing from each usable
  // paging-structure-cache entry through current memory (and cached guest-physical
  // mappings). Walks other than the fresh one are run under every accessed-flag policy
  // (spec::AccessedFlagPolicy) that can differ.
  std::vector<AllowedOutcome> allowed(const MachineState& state, const spec::LookupContext<spec::Concrete>& context,
                                      const AccessRequest& request) const;

  // The cache side of an access at history step `step` having had outcome `chosen` (one of
  // allowed()): the dirty flags it wrote through cached entries, and the entries it filled.
  void record(const AllowedOutcome& chosen, std::size_t step);
  // Remove every entry within `scope` (spec::removes); `what` names the operation for explain().
  void invalidate(const spec::InvalidationScope<spec::Concrete>& scope, std::size_t step, const std::string& what);
  // A store to host-physical `address` (a paging-structure entry, or anything else).
  void stored(std::uint64_t address);

  // Why entry `index` is still valid: which step filled it, and each logged invalidation
  // after it with the clause of spec::removes that spared the entry (needs TlbConfig::keep_log).
  std::vector<std::string> explain(std::size_t index) const;

 private:
  void fill(CachedEntry entry, std::size_t step);
  AllowedOutcome through_tlb(const CachedWalkInput& in, std::size_t index) const;
  // Every outcome of walks from `start` (none: CR3) under each choice of cached
  // guest-physical mappings and each accessed-flag policy; the all-fresh walk from CR3 is
  // left out unless `with_fresh_root`.
  void explore(const CachedWalkInput& in, std::optional<std::size_t> start, bool with_fresh_root,
               std::vector<AllowedOutcome>& out, CachedWalk* root) const;
  // Would continuing from paging-structure-cache entry `e` give exactly the fresh walk's
  // outcome? `root` is the fresh walk's exploration root (EPT only).
  bool matches_fresh_walk(const MachineState& state, const CachedEntry& e,
                          const spec::PagingWalk<spec::Concrete>& walk, const CachedWalk* root) const;

  TlbConfig config_;
  std::vector<CachedEntry> entries_;
  std::size_t evictions_ = 0;
  std::size_t lenient_ = 0;
  std::vector<std::uint64_t> unmodelled_structures_;  // AllowedOutcome::unmodelled_structures of recorded walks
  std::size_t unmodelled_stores_ = 0;
  mutable std::size_t truncated_ = 0;
  struct LoggedInvalidation {
    std::size_t step;
    std::string what;
    spec::InvalidationScope<spec::Concrete> scope;
  };
  std::vector<LoggedInvalidation> log_;
};

}  // namespace vtspec::model
