// One entry of the modelled TLBs or paging-structure caches: what the SDM says such an entry
// holds (Vol. 3A 4.10.2.1 for TLB entries, 4.10.3.1 for paging-structure-cache entries,
// Vol. 3C 29.4.1 for guest-physical and combined mappings), its tags, and where it came from.
#pragma once

#include <cstdint>
#include <string>

#include "spec/paging_access_rights.hpp"
#include "spec/tlb_tags.hpp"

namespace vtspec::model {

enum class CacheKind : std::uint8_t {
  tlb,                // a translation of a linear page (linear or combined mapping)
  paging_structure,   // a PML5E/PML4E/PDPTE/PDE-cache entry (linear or combined mapping)
  guest_physical,     // a guest-physical translation (GPA page -> HPA, EPT rights)
  ept_structure,      // a guest-physical paging-structure-cache entry (cached EPT PML5E..PDE)
};

struct EptRights {
  bool read = true, write = true, execute = true, user_execute = true;
  friend bool operator==(const EptRights&, const EptRights&) = default;
};

struct CachedEntry {
  CacheKind kind = CacheKind::tlb;
  // TLB: the page's level (1 = 4 KByte, 2 = 2 MByte, 3 = 1 GByte).
  // Paging-structure cache: the level of the cached entry (2 = PDE ... 5 = PML5E).
  // Guest-physical translation: the EPT page's level.
  // Guest-physical paging-structure-cache entry: the EPT level of the cached entry (2 = EPT
  // PDE, 3 = EPT PDPTE, 4 = EPT PML4E, 5 = EPT PML5E). Vol. 3C 29.4.1 counts both among the
  // "guest-physical mappings": tagged by EP4TA only (tags.linear_tagged false), the region is
  // guest-physical, and tags.structure tells the two apart - so spec::removes treats both
  // alike (INVEPT, EPT violations), with no separate rule.
  unsigned level = 1;
  spec::EntryTags<spec::Concrete> tags;

  // TLB entry: the frame the page maps to (host-physical), the combined rights and key of
  // the translation, the dirty flag as filled, and where the leaf entry lives (a write
  // through a clean entry must set D there, SDM 4.8).
  std::uint64_t frame = 0;
  spec::CombinedRights<spec::Concrete> rights;
  bool dirty = false;
  std::uint64_t leaf_entry_host = 0;
  // Combined TLB entry / guest-physical mapping: the guest-physical frame, the EPT rights
  // (AND over the EPT entries used), and the EPT dirty flag of the EPT leaf as filled with
  // the host-physical address of that leaf: a write through a mapping filled with EPT D = 0
  // must set it there (SDM Vol. 3C 29.3.5, 29.4.3.2 on stale dirty flags).
  // Under AMD nested paging the second level is the nested page table instead: guest_frame,
  // ept_dirty and ept_leaf_host hold the nested leaf's guest-physical frame, D flag as filled
  // and host-physical address (a write through an entry filled with nested D = 0 sets it,
  // APM Vol. 2 15.25.5), and nested_rights the rights of the nested walk (every nested
  // reference is a user access, 15.25.5, so its U/S counts as well as R/W and NX).
  std::uint64_t guest_frame = 0;
  EptRights ept_rights;
  bool ept_dirty = false;
  std::uint64_t ept_leaf_host = 0;
  bool nested_paging = false;
  spec::CombinedRights<spec::Concrete> nested_rights;
  // Paging-structure-cache entry: the physical address of the next table and the rights
  // accumulated over this level and the ones above it (4.10.3.1). For a combined entry that
  // address is HOST-physical: Vol. 3C 29.4.1 "combined paging-structure-cache entries ...
  // map the upper portion of a linear address to the physical address of the paging
  // structure used to translate the corresponding region", and in the VMX chapters
  // "physical address" (as opposed to "guest-physical address") is the host's. So a walk
  // continuing from one reads the next table without translating its address through EPT.
  // Guest-physical paging-structure-cache entry (29.4.1: "a mapping from the upper portion
  // of a guest-physical address to the physical address of the EPT paging structure used to
  // translate the corresponding region ..., along with information about access
  // privileges"): next_table is the host-physical address of the next EPT table, ept_rights
  // the AND of R/W/X (and user-execute) over this EPT level and the ones above it.
  std::uint64_t next_table = 0;

  // Provenance: the history step whose walk filled it.
  std::size_t filled_at = 0;

  std::uint64_t page_size() const { return ~tags.mask + 1; }
  bool same_content(const CachedEntry& o) const;
  std::string describe() const;
};

}  // namespace vtspec::model
