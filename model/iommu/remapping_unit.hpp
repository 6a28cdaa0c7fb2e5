// A VT-d DMA remapping unit in legacy mode (Intel VT-d 3.4.3, 6.2, 6.5.1, 7.1, 10.4): the
// translation of spec/iommu/second_level_walk.hpp, the caches of 6.2 and the register-based
// invalidation of 6.5.1, over host-physical memory the caller passes in (so a machine that
// holds both stays copyable).
//
// Caches are the set of entries the hardware MAY still hold (6.2: hardware may cache any
// entry it used for a translation, and may evict at any time): a lookup may hit any of them
// or miss and walk. So a DMA has a set of allowed outcomes - the fresh walk (canonical) and
// one per cached entry that may serve it (acceptable, flagged with the cache it came from).
// Every cached alternative is the same spec walk, with the reads it would skip served from
// the cached entry's values (CachedReads): one walker, and a stale entry's rights and
// reserved bits are judged by the same rule as fresh ones.
//
//   RemappingUnit unit(profile("qemu-7.2-aw39"));
//   unit.set_root_table(rtaddr); unit.enable_translation(true);
//   auto outcomes = unit.dma_outcomes(memory, {source_id, iova, size, write, value});
//   unit.commit(memory, request, outcomes[k]);   // the outcome taken: memory, caches, records
//   unit.invalidate(request);                    // 6.5.1: removes what the rule requires
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/event.hpp"
#include "model/physical_memory.hpp"
#include "spec/iommu/cache_invalidation.hpp"
#include "spec/iommu/second_level_walk.hpp"

namespace vtspec::model::iommu {

struct IommuProfile {
  std::string name;
  std::uint64_t cap = 0, ecap = 0;
  unsigned haw = 39;  // the platform's host address width (bits of a table or page address)
  // Where the platform has nothing: a table read there errors (spec::iommu::VtdShape).
  std::uint64_t unbacked_begin = 0, unbacked_end = 0;
};

// The named remapping units a vector can ask for ("qemu-7.2-aw39", "qemu-7.2-aw48"); throws
// std::invalid_argument naming the known ones otherwise.
IommuProfile profile(std::string_view name);
std::string profile_names();

struct DmaRequest {
  std::uint16_t source_id = 0;  // bus << 8 | device << 3 | function
  std::uint64_t iova = 0;
  unsigned size = 8;            // 1, 2, 4 or 8 bytes, within one 4 KiB page
  bool write = false;           // device -> memory (else memory -> device)
  std::uint64_t value = 0;      // a write's data
};

// 10.4.14 FRCD_REG: fault reason, source id, fault info (address bits 63:12), type (T = 1: read).
struct FaultRecord {
  unsigned reason = 0;
  std::uint16_t source_id = 0;
  std::uint64_t address = 0;
  bool read = false;
  friend bool operator==(const FaultRecord&, const FaultRecord&) = default;
};

// Entries one cached structure holds, as the walk read them (6.2.1-6.2.4): the context cache
// the root and context entries of a source id; a paging-structure-cache entry the
// second-level entries from the top level down to `from_level` (a non-leaf entry, so the walk
// continues in memory below it); an IOTLB entry every entry down to the leaf at `from_level`.
struct CachedEntry {
  spec::iommu::CacheKind kind = spec::iommu::CacheKind::iotlb;
  std::uint16_t source_id = 0;   // context cache: the index; the others: the requester it was filled for
  std::uint64_t domain_id = 0;   // the tag (6.2.2: entries are tagged by DID)
  std::uint64_t base = 0, size = 0;  // IOTLB / paging-structure cache: input range covered
  unsigned from_level = 0;
  std::array<std::uint64_t, 4> context_reads{};  // root lo, hi, context lo, hi
  std::array<std::uint64_t, 6> entries{};        // second-level entries by level
  spec::iommu::CachedEntryTags<spec::Concrete> tags() const { return {kind, domain_id, source_id, base, size}; }
  friend bool operator==(const CachedEntry&, const CachedEntry&) = default;
};

// One allowed outcome of a DMA: the event, and how the hardware got there (which cached
// entries served it) so commit() can take it.
struct DmaOutcome {
  Event event;
  std::optional<std::uint64_t> physical;  // a completed DMA's host-physical address
  std::vector<std::string> flags;         // empty for the fresh walk; else the caches used
  bool record_fault = false;              // a fault the unit records (FPD clear, 7.1.2)
  spec::iommu::VtdWalk<spec::Concrete> walk;
  std::array<std::uint64_t, 4> context_reads{};  // the root and context entries as this walk used them
  std::optional<CachedEntry> context_from, translation_from;
};

// The flags a cached outcome carries, and why each is allowed (for a vector's notes:).
inline constexpr const char* kCachedContextEntry = "CachedContextEntry";
inline constexpr const char* kCachedPagingStructureEntry = "CachedPagingStructureEntry";
inline constexpr const char* kCachedIotlbEntry = "CachedIotlbEntry";
const char* cached_flag_note(std::string_view flag);

// A planted bug, for the mutation tests of the invalidation obligation only (never set in
// normal use): an IOTLB / paging-structure-cache lookup that ignores its tags (domain and
// requester: any device's entry for the address serves), or a
// page-selective invalidation that keeps paging-structure-cache entries whatever IH says.
enum class CacheBug : std::uint8_t { none, domain_not_tagged, page_selective_keeps_structures };

class RemappingUnit {
 public:
  explicit RemappingUnit(const IommuProfile& p);

  void set_root_table(std::uint64_t rtaddr) { rtaddr_ = rtaddr; }
  void enable_translation(bool on) { enabled_ = on; }
  const spec::iommu::VtdShape& shape() const { return shape_; }
  const std::vector<FaultRecord>& fault_records() const { return records_; }
  bool primary_fault_overflow() const { return overflow_; }
  const std::vector<CachedEntry>& cached() const { return cache_; }
  void plant(CacheBug bug) { bug_ = bug; }

  // Every allowed outcome of `r`; [0] is the fresh walk's (canonical). Outcomes with the same
  // event are merged (their flags joined).
  std::vector<DmaOutcome> dma_outcomes(const PhysicalMemory& memory, const DmaRequest& r) const;
  // Takes `outcome` (one of dma_outcomes(memory, r)): a completed write stores its data, the
  // entries the walk used may now be cached, a fault is recorded (or sets PFO when the
  // NFR + 1 records are full, 10.4.9).
  void commit(PhysicalMemory& memory, const DmaRequest& r, const DmaOutcome& outcome);
  // dma_outcomes + commit of the canonical outcome.
  DmaOutcome dma(PhysicalMemory& memory, const DmaRequest& r);

  // Register-based invalidation (6.5.1): removes every cached entry the rule reaches.
  void invalidate(const spec::iommu::CacheInvalidationRequest<spec::Concrete>& request);

 private:
  DmaOutcome outcome_of(const PhysicalMemory& memory, const DmaRequest& r, const CachedEntry* context,
                        const CachedEntry* translation) const;
  spec::iommu::VtdShape shape_;
  std::uint64_t rtaddr_ = 0;
  bool enabled_ = false;
  std::vector<CachedEntry> cache_;
  std::vector<FaultRecord> records_;
  bool overflow_ = false;
  CacheBug bug_ = CacheBug::none;
};

}  // namespace vtspec::model::iommu
