// The VMM's shadow page tables: 4-level IA-32e tables in the VMM's own memory that the
// hardware walks in place of the guest's (SDM Vol. 3C 32.3, "virtual TLB" mode: the VMM keeps
// the processor's CR3 pointing at tables it builds from the guest's). Only 4-KByte leaves are
// made, whatever the guest's page size (a shadow may always be finer than the guest's
// mapping); non-leaf entries are permissive (P, R/W, U/S, A), so a shadow leaf alone carries
// the rights the VMM composed. A/D are preset in every shadow entry, so the hardware never
// writes them: the guest's A/D bits are the VMM's to set (shadow_vmm.hpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "model/address_space/host_physical_memory.hpp"

namespace vtspec::model::shadow {

// The tables live in the VMM's host memory (which the hardware walks), passed to each call
// rather than held, so that a VMM holding both stays copyable (checker/proofs'
// shadow-coherence exploration copies it at every branch).
class ShadowTables {
 public:
  // Tables are allocated from `base` up (page-aligned, beyond every guest-physical address
  // the memslots map); the root is allocated in `memory` now.
  ShadowTables(HostPhysicalMemory& memory, std::uint64_t base);

  std::uint64_t root() const { return root_; }  // the hardware CR3 (PCID 0)

  // The 4-KByte page at `linear` (bits 47:12) translates through `leaf` (a present PTE).
  void map(HostPhysicalMemory& memory, std::uint64_t linear, std::uint64_t leaf);
  // The translation of the 4-KByte page at `linear` dropped, if there is one.
  void unmap(HostPhysicalMemory& memory, std::uint64_t linear);
  // Every shadow translation dropped: a new, empty root (a TLB may always lose entries,
  // SDM Vol. 3A 4.10.4.4, so dropping more than asked is never wrong).
  void clear(HostPhysicalMemory& memory);
  std::size_t leaves() const { return leaves_; }

 private:
  std::uint64_t allocate(HostPhysicalMemory& memory);
  std::uint64_t leaf_slot(HostPhysicalMemory& memory, std::uint64_t linear, bool make);  // 0: no table on the way

  std::uint64_t base_, next_, root_;
  std::size_t leaves_ = 0;
};

}  // namespace vtspec::model::shadow
