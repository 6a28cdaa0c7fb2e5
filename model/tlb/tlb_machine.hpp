// The caching machine: MachineState plus the translation context (VMX mode, VPID, PCID,
// EP4TA) and the set of TLB and paging-structure-cache entries that MAY exist, with the
// allowed-outcome semantics of SDM Vol. 3A 4.10 and Vol. 3C 29.4:
//   an access may be served by any cached entry whose tags match and that no required
//   invalidation has removed since it was filled, or by a fresh walk of current memory;
//   the processor may drop any entry at any time.
// So allowed(access) is a finite set (entries come only from earlier walks), and it always
// contains the fresh walk. See docs/allowed-outcomes.md, "TLB and paging-structure caches".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/operation.hpp"
#include "model/tlb/cached_entry.hpp"
#include "model/tlb/cached_walk.hpp"
#include "spec/tlb_invalidation.hpp"

namespace vtspec::model {

struct TlbConfig {
  // Bound on the entries kept. Dropping an entry is always something the processor may do,
  // so the modelled cache stays a possible one; but once an entry has been dropped the model
  // no longer knows every entry the processor MAY hold, and allowed() is then a subset of
  // the architectural set (see TlbMachine::exact()). 0 = unbounded.
  std::size_t capacity = 256;
  // Keep the log of invalidations so that explain() can say which ones an entry survived.
  bool keep_log = false;
};

// The VMX side of the context (Vol. 3C 29.4): outside VMX non-root operation, and inside
// it with "enable VPID" = 0, the current VPID is 0000H.
struct VmxContext {
  VmxContext(bool non_root_ = false, std::uint16_t vpid_ = 0, std::optional<GuestRegisters> other = std::nullopt)
      : non_root(non_root_), vpid(vpid_), other_registers(std::move(other)) {}
  bool non_root = false;
  std::uint16_t vpid = 0;  // the VM's VPID; 0 = "enable VPID" is 0
  // The control registers of the other side: the host's (loaded by the next VM exit, from
  // the VMCS host-state area, SDM Vol. 3C 28.5.1) when the machine starts in VMX non-root
  // operation, the guest's (loaded by the next VM entry) when it starts in root operation.
  // Absent: a copy of the state's registers.
  std::optional<GuestRegisters> other_registers;
};

// How one allowed outcome comes about.
enum class SourceKind : std::uint8_t {
  fresh_walk,            // a walk of current memory, EPT included
  guest_physical_entry,  // a walk of current guest paging structures, some guest-physical
                         // addresses translated by cached guest-physical mappings (29.4.2)
  tlb_entry,             // a TLB entry (linear or combined translation)
  structure_entry,       // a walk from a paging-structure-cache entry (4.10.3.2)
};

struct AllowedOutcome {
  Outcome outcome;
  SourceKind source = SourceKind::fresh_walk;
  // Index into entries(): the TLB / paging-structure-cache entry, or for
  // guest_physical_entry the first guest-physical mapping used.
  std::size_t entry = 0;
  std::vector<std::size_t> guest_physical_entries;  // every guest-physical mapping used
  std::vector<CachedEntry> fills;        // entries this outcome may create
  bool set_entry_dirty = false;          // a write through a TLB entry filled with D = 0 (or EPT D = 0)
  std::vector<std::size_t> dirtied_guest_physical;  // mappings written through with EPT D = 0
};

class TlbMachine {
 public:
  explicit TlbMachine(MachineState state, VmxContext vmx = {}, TlbConfig config = {});

  const MachineState& state() const { return state_; }
  const VmxContext& vmx() const { return vmx_; }
  const std::vector<CachedEntry>& entries() const { return entries_; }
  spec::LookupContext<spec::Concrete> context() const;
  std::uint64_t current_pcid() const;
  std::uint64_t current_ep4ta() const;
  // No entry has been dropped for capacity and no enumeration of cached guest-physical
  // mappings was cut short: allowed() is the full architectural set.
  bool exact() const { return evictions_ == 0 && truncated_ == 0; }
  std::size_t steps() const { return step_; }

  // Every allowed outcome of `request` now. [0] .. are the fresh walk's outcomes (in
  // model::translate order); then, with EPT, walks whose guest-physical addresses are partly
  // translated by cached guest-physical mappings; then one per usable TLB entry; then the
  // outcomes of walks continuing from each usable paging-structure-cache entry through
  // current memory (and cached guest-physical mappings). Walks other than the fresh one are
  // run under every accessed-flag policy (spec::AccessedFlagPolicy) that can differ.
  std::vector<AllowedOutcome> allowed(const AccessRequest& request) const;

  // Advance by one operation. For an access, `chosen` is the outcome that happened (one of
  // allowed(op.access)); without it the fresh walk's canonical outcome is taken.
  void apply(const Operation& op, const AllowedOutcome* chosen = nullptr);

  // Why entry `index` is still valid: which step filled it, and each logged invalidation
  // after it with the reason it did not reach the entry (needs TlbConfig::keep_log).
  std::vector<std::string> explain(std::size_t index) const;

  // The SDM-required reach of an operation in the current context (nullopt-like: `any`
  // false when the operation invalidates nothing).
  spec::InvalidationRequest<spec::Concrete> invalidation_request(const Operation& op) const;

 private:
  void invalidate(const spec::InvalidationScope<spec::Concrete>& scope, const std::string& what);
  void fill(CachedEntry entry);
  void apply_access(const Operation& op, const AllowedOutcome& chosen);
  AllowedOutcome through_tlb(const AccessRequest& request, std::size_t index) const;
  // Every outcome of walks from `start` (none: CR3) under each choice of cached
  // guest-physical mappings and each accessed-flag policy; the all-fresh walk from CR3 is
  // left out unless `with_fresh_root`.
  void explore(const AccessRequest& request, std::optional<std::size_t> start, bool with_fresh_root,
               std::vector<AllowedOutcome>& out, CachedWalk* root) const;
  // Would continuing from paging-structure-cache entry `e` give exactly the fresh walk's
  // outcome? `root` is the fresh walk's exploration root (EPT only).
  bool matches_fresh_walk(const CachedEntry& e, const spec::PagingWalk<spec::Concrete>& walk,
                          const CachedWalk* root) const;
  void switch_registers();

  MachineState state_;
  VmxContext vmx_;
  TlbConfig config_;
  std::vector<CachedEntry> entries_;
  std::size_t step_ = 0;
  std::size_t evictions_ = 0;
  mutable std::size_t truncated_ = 0;
  GuestRegisters other_regs_;  // the registers of the VMX side not running now
  struct LoggedInvalidation {
    std::size_t step;
    std::string what;
    spec::InvalidationScope<spec::Concrete> scope;
  };
  std::vector<LoggedInvalidation> log_;
  spec::EptCapabilities ept_caps_;
};

std::string to_string(SourceKind kind);

}  // namespace vtspec::model
