// A reference shadow-paging VMM ("virtual TLB" mode, SDM Vol. 3C 32.3): the guest keeps its
// own paging structures in guest-physical memory and a virtual CR3; the processor runs on
// shadow tables (shadow_tables.hpp) the VMM builds from them on demand, and the VMM takes
// every #PF, MOV CR3, INVLPG, INVPCID and CR0/CR4/EFER write the guest makes.
//
// On a #PF of the hardware walk the VMM walks the guest's tables with spec/'s walk (through
// model::translate, the one walker): if the guest's walk faults, the #PF goes to the guest
// with the guest walk's error code and CR2 (SDM Vol. 3A 4.7) and the shadow of that address
// is dropped (a #PF invalidates the TLB entries of its linear address, 4.10.4.1); if it
// succeeds, the VMM sets the guest's A/D bits as that walk requires (4.8: A in every entry
// used, D in the leaf on a write), makes a shadow leaf whose rights are the combination of
// every guest level (R/W and U/S: all levels, XD: any level, 4.6; the leaf's protection key,
// 4.6.2), write-protected while the guest's D bit is clear (so the first write comes back to
// set it) and while the page holds a guest paging structure (see SyncPolicy), and retries.
// The guest's MAXPHYADDR, reserved bits, SMEP, SMAP, CR0.WP, EFER.NXE and protection keys
// are thereby the guest walk's to decide; the hardware runs with CR0.WP = 1 and
// EFER.NXE = 1, and a supervisor write that CR0.WP = 0 allows on a read-only page is
// emulated by the VMM or run through a writable supervisor-only shadow (Wp0Policy).
//
// Memslots: one identity slot over the whole guest-physical space (host-physical =
// guest-physical); the shadow tables live above it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>

#include "model/event.hpp"
#include "model/machine_state.hpp"
#include "model/operation.hpp"
#include "model/processor/processor.hpp"
#include "model/shadow/shadow_bug.hpp"
#include "model/shadow/shadow_policy.hpp"
#include "model/shadow/shadow_tables.hpp"

namespace vtspec::model::shadow {

struct ShadowStats {
  std::size_t page_fault_exits = 0;  // hardware #PFs the VMM took
  std::size_t injected = 0;          // of them, #PFs given to the guest
  std::size_t shadow_fills = 0;      // shadow leaves made
  std::size_t emulated_writes = 0;   // guest writes the VMM made itself
  std::size_t rebuilds = 0;          // every shadow dropped
};

class ShadowVmm {
 public:
  // Shadow tables above this host-physical address (guest-physical space is below 2^40 here).
  static constexpr std::uint64_t kShadowBase = 1ull << 44;

  ShadowVmm(const MachineState& guest, ShadowPolicy policy, ShadowBug bug = ShadowBug::none);

  // The guest's operation, as the guest sees it: completed (with the value read) or a fault.
  Event run(const Operation& op);

  const MachineState& guest() const { return guest_.state(); }
  const ShadowStats& stats() const { return stats_; }

 private:
  Event access(const Operation& op);
  Event complete(const Operation& op, std::uint64_t physical);
  void store(std::uint64_t physical, unsigned size, std::uint64_t value);
  void rebuild();
  void sync_hardware_registers();
  bool write_protected(std::uint64_t frame) const;

  ShadowPolicy policy_;
  ShadowBug bug_;
  Processor guest_;     // the guest's architectural registers and guest-physical memory
  MachineState hardware_;  // the processor's registers while the guest runs; its memory holds the shadows
  ShadowTables shadow_;
  std::map<std::uint64_t, unsigned> table_frames_;  // guest-physical frame -> highest paging level read from it
  ShadowStats stats_;
};

}  // namespace vtspec::model::shadow
