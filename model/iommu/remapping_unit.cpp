#include "model/iommu/remapping_unit.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace vtspec::model::iommu {

namespace {

using spec::iommu::CacheKind;
using spec::iommu::VtdWalkFailure;
using Walk = spec::iommu::VtdWalk<spec::Concrete>;

struct NamedProfile {
  const char* name;
  std::uint64_t cap, ecap;
  unsigned haw;
};
// The platform the qemu-vtd target builds (conformance/qemu_platform: q35 with 1 GiB + 4 MiB
// of RAM, all below 4 GiB): nothing answers between the end of RAM and 2 GiB, so a table read
// there is an error (QEMU records reasons 8, 9, 3 and 7 for it; checked by the VT-d corpus).
constexpr std::uint64_t kQemuUnbackedBegin = 0x40400000, kQemuUnbackedEnd = 0x80000000;
// QEMU 7.2 intel-iommu as its CAP/ECAP registers read on q35 (conformance/qemu_platform reads
// them back: QemuVtd.CapabilitiesMatchTheModelProfile): default aw-bits=39 (SAGAW 39-bit,
// MGAW 39), and aw-bits=48 (SAGAW 39+48, MGAW 48). QEMU's host address width is aw-bits.
constexpr NamedProfile kProfiles[] = {
    {"qemu-7.2-aw39", 0x00d2008c22260206, 0xf00f4a, 39},
    {"qemu-7.2-aw48", (0x00d2008c22260206 & ~(std::uint64_t{0x3f} << 16)) | (std::uint64_t{47} << 16) | (1u << 10), 0xf00f4a, 48},
};

// The reads a walk makes, served from cached entries where the hardware would use them
// (6.2): the four root/context reads (level 0, in walk order) from a context-cache entry;
// second-level entries at and above a cached entry's level from that entry.
struct CachedReads {
  const PhysicalMemory& memory;
  const CachedEntry* context;
  const CachedEntry* translation;
  std::array<std::uint64_t, 4> level0{};
  unsigned level0_reads = 0;
  std::uint64_t read_host(std::uint64_t address, unsigned level, bool active) {
    if (level == 0) {
      const unsigned i = level0_reads++;
      if (i >= level0.size()) throw std::logic_error("a VT-d walk read more than a root and a context entry");
      level0[i] = context ? context->context_reads[i] : active ? memory.read64(address) : 0;
      return level0[i];
    }
    if (!active) return 0;
    if (translation && level >= translation->from_level) return translation->entries[level];
    return memory.read64(address);
  }
};

bool context_stage_passed(const Walk& w) {
  switch (static_cast<VtdWalkFailure>(w.failure)) {
    case VtdWalkFailure::root_table_access:
    case VtdWalkFailure::root_not_present:
    case VtdWalkFailure::root_reserved:
    case VtdWalkFailure::context_table_access:
    case VtdWalkFailure::context_not_present:
    case VtdWalkFailure::context_reserved:
    case VtdWalkFailure::context_aw_unsupported:
    case VtdWalkFailure::context_tt_reserved: return false;
    default: return true;
  }
}

const char* flag_of(CacheKind kind) {
  return kind == CacheKind::context ? kCachedContextEntry
         : kind == CacheKind::paging_structure ? kCachedPagingStructureEntry
                                               : kCachedIotlbEntry;
}

}  // namespace

IommuProfile profile(std::string_view name) {
  for (const auto& p : kProfiles)
    if (name == p.name) return {p.name, p.cap, p.ecap, p.haw, kQemuUnbackedBegin, kQemuUnbackedEnd};
  throw std::invalid_argument(fmt::format("unknown IOMMU profile '{}' ({})", name, profile_names()));
}

std::string profile_names() {
  std::string out;
  for (const auto& p : kProfiles) out += std::string(out.empty() ? "" : ", ") + p.name;
  return out;
}

const char* cached_flag_note(std::string_view flag) {
  if (flag == kCachedContextEntry)
    return "VT-d 6.2.1, 6.5.1.1: the context cache may still hold the context entry used before it changed, "
           "until a context-cache invalidation that covers its source id";
  if (flag == kCachedPagingStructureEntry)
    return "VT-d 6.2.4, 6.5.1.2: the paging-structure caches may still hold a non-leaf second-level entry, "
           "until an IOTLB invalidation of its domain that reaches them (page-selective with IH = 1 does not)";
  if (flag == kCachedIotlbEntry)
    return "VT-d 6.2.3, 6.5.1.2: the IOTLB may still hold the translation used before the entry changed, "
           "until an IOTLB invalidation of its domain and page";
  return "";
}

RemappingUnit::RemappingUnit(const IommuProfile& p) {
  shape_.cap.raw = p.cap;
  shape_.ecap.raw = p.ecap;
  shape_.haw = p.haw;
  shape_.unbacked_begin = p.unbacked_begin;
  shape_.unbacked_end = p.unbacked_end;
}

DmaOutcome RemappingUnit::outcome_of(const PhysicalMemory& memory, const DmaRequest& r, const CachedEntry* context,
                                     const CachedEntry* translation) const {
  DmaOutcome o;
  if (context) o.context_from = *context;
  if (translation) o.translation_from = *translation;
  if (context) o.flags.push_back(kCachedContextEntry);
  if (translation) o.flags.push_back(flag_of(translation->kind));
  if (!enabled_) {  // 10.4.4 GCMD_REG.TE = 0: requests are not remapped
    o.physical = r.iova;
  } else {
    CachedReads reads{memory, context, translation};
    o.walk = spec::iommu::walk_vtd<spec::Concrete>(shape_, rtaddr_, {r.source_id, r.iova, r.write}, reads);
    o.context_reads = reads.level0;
    if (o.walk.translated) o.physical = o.walk.physical;
  }
  if (o.physical) {
    o.event = r.write ? Event::completed() : Event::completed(memory.read(*o.physical, r.size));
    return o;
  }
  // 7.1.3: the request is blocked; FI holds the page of the request (10.4.14).
  o.event = Event::dma_fault(static_cast<unsigned>(spec::iommu::fault_reason_of(o.walk)), r.source_id,
                             r.iova & ~std::uint64_t{0xfff}, !r.write);
  o.record_fault = !o.walk.fault_processing_disabled;  // 7.1.2: FPD suppresses recording
  if (!o.record_fault) o.event.fault_reason = 0;       // blocked, and nothing to observe but that
  return o;
}

std::vector<DmaOutcome> RemappingUnit::dma_outcomes(const PhysicalMemory& memory, const DmaRequest& r) const {
  std::vector<DmaOutcome> out{outcome_of(memory, r, nullptr, nullptr)};
  if (!enabled_) return out;
  std::vector<const CachedEntry*> contexts{nullptr};
  for (const auto& c : cache_)
    if (c.kind == CacheKind::context && c.source_id == r.source_id) contexts.push_back(&c);
  for (const CachedEntry* context : contexts) {
    // The domain the lookup is tagged with: the context entry's DID (6.2.2).
    std::uint64_t did = out[0].walk.domain_id;
    if (context) did = spec::iommu::ContextEntry<spec::Concrete>{context->context_reads[2], context->context_reads[3]}.domain_id();
    // An IOTLB or paging-structure-cache entry may serve the request when it covers the
    // address and is tagged with the context's domain (6.2.3, 6.2.4) - or was filled for this
    // very source id: an implementation may tag its entries by requester too, which is why
    // software must invalidate the OLD domain's IOTLB entries after changing a context entry,
    // not only the context cache (6.5.3, guidance to software for invalidations).
    std::vector<const CachedEntry*> translations{nullptr};
    for (const auto& c : cache_)
      if (c.kind != CacheKind::context && (c.domain_id == did || c.source_id == r.source_id || bug_ == CacheBug::domain_not_tagged) &&
          r.iova >= c.base && r.iova - c.base < c.size)
        translations.push_back(&c);
    for (const CachedEntry* translation : translations) {
      if (!context && !translation) continue;  // the fresh walk is out[0]
      DmaOutcome o = outcome_of(memory, r, context, translation);
      auto same = std::find_if(out.begin(), out.end(), [&](const DmaOutcome& x) { return x.event == o.event; });
      if (same == out.begin()) continue;  // the fresh walk's outcome already allows it
      if (same != out.end()) {
        for (const auto& f : o.flags)
          if (std::find(same->flags.begin(), same->flags.end(), f) == same->flags.end()) same->flags.push_back(f);
        continue;
      }
      out.push_back(std::move(o));
    }
  }
  return out;
}

void RemappingUnit::commit(PhysicalMemory& memory, const DmaRequest& r, const DmaOutcome& o) {
  if (o.physical && r.write) memory.write(*o.physical, r.size, r.value);
  if (!o.physical || enabled_) {
    if (!o.physical && o.record_fault) {
      if (records_.size() < shape_.cap.fault_records())
        records_.push_back({static_cast<unsigned>(spec::iommu::fault_reason_of(o.walk)), r.source_id, o.event.fault_address, !r.write});
      else
        overflow_ = true;  // 10.4.9 FSTS.PFO
    }
  }
  if (!enabled_) return;
  // 6.2: hardware may cache every entry the walk used and found valid - the context entry,
  // the non-leaf second-level entries above where the walk ended, the leaf of a translation.
  auto cache = [&](CachedEntry e) {
    if (std::find(cache_.begin(), cache_.end(), e) == cache_.end()) cache_.push_back(e);
  };
  const Walk& w = o.walk;
  if (!context_stage_passed(w)) return;
  CachedEntry context;
  context.kind = CacheKind::context;
  context.source_id = r.source_id;
  context.domain_id = w.domain_id;
  context.context_reads = o.context_reads;  // as the walk used them: cached or from memory
  cache(context);
  unsigned lowest = 0;  // the last level the walk read
  for (unsigned level = 1; level <= 5; ++level)
    if (w.read[level]) {
      lowest = level;
      break;
    }
  if (!lowest) return;  // pass-through, or a fault before the second level
  CachedEntry path;
  path.domain_id = w.domain_id;
  path.source_id = r.source_id;
  for (unsigned level = 5; level >= lowest; --level) {
    if (w.read[level]) path.entries[level] = w.entry[level];
    if (level == lowest) break;
  }
  for (unsigned level = 5; level > lowest; --level) {
    if (!w.read[level]) continue;
    CachedEntry e = path;
    e.kind = CacheKind::paging_structure;
    e.from_level = level;
    e.size = std::uint64_t{1} << spec::index_shift(level);
    e.base = r.iova & ~(e.size - 1);
    for (unsigned below = 1; below < level; ++below) e.entries[below] = 0;
    cache(e);
  }
  if (w.translated) {
    CachedEntry e = path;
    e.kind = CacheKind::iotlb;
    e.from_level = lowest;
    e.size = std::uint64_t{1} << spec::index_shift(lowest);
    e.base = r.iova & ~(e.size - 1);
    cache(e);
  }
}

DmaOutcome RemappingUnit::dma(PhysicalMemory& memory, const DmaRequest& r) {
  DmaOutcome o = dma_outcomes(memory, r)[0];
  commit(memory, r, o);
  return o;
}

void RemappingUnit::invalidate(const spec::iommu::CacheInvalidationRequest<spec::Concrete>& request) {
  auto scope = spec::iommu::required_invalidation(request);
  if (bug_ == CacheBug::page_selective_keeps_structures && request.cache == spec::iommu::InvalidatedCache::iotlb &&
      request.granularity == spec::iommu::InvalidationGranularity::device_or_page)
    scope.paging_structure = false;
  std::erase_if(cache_, [&](const CachedEntry& e) { return spec::iommu::removes(scope, e.tags()); });
}

}  // namespace vtspec::model::iommu
