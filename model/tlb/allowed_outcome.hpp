// One outcome an access may have on a processor with TLBs and paging-structure caches, and
// where it comes from: a fresh walk, or cached entries (SDM Vol. 3A 4.10, Vol. 3C 29.4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model/tlb/cached_entry.hpp"
#include "model/translation.hpp"

namespace vtspec::model {

// How one allowed outcome comes about.
enum class SourceKind : std::uint8_t {
  fresh_walk,            // a walk of current memory, EPT included
  guest_physical_entry,  // a walk of current guest paging structures, some guest-physical
                         // addresses translated by cached guest-physical mappings (29.4.2)
  tlb_entry,             // a TLB entry (linear or combined translation)
  structure_entry,       // a walk from a paging-structure-cache entry (4.10.3.2)
};

std::string to_string(SourceKind kind);

struct AllowedOutcome {
  Outcome outcome;
  SourceKind source = SourceKind::fresh_walk;
  // Index into Tlb::entries(): the TLB / paging-structure-cache entry, or for
  // guest_physical_entry the first guest-physical mapping used.
  std::size_t entry = 0;
  std::vector<std::size_t> guest_physical_entries;  // every guest-physical mapping used
  std::vector<CachedEntry> fills;        // entries this outcome may create
  bool set_entry_dirty = false;          // a write through a TLB entry filled with D = 0 (or EPT D = 0)
  std::vector<std::size_t> dirtied_guest_physical;  // mappings written through with EPT D = 0
  // Nested paging: the host-physical addresses of the guest's non-leaf entries and of the
  // nested entries this outcome's walk read - what caches the model does not fill under
  // nested paging would hold (Tlb::stored).
  std::vector<std::uint64_t> unmodelled_structures;
};

}  // namespace vtspec::model
