// Which cached translation structures a register-based invalidation is REQUIRED to remove:
// Intel VT-d 6.5.1.1 (context-cache invalidation, CCMD_REG 10.4.7), 6.5.1.2 (IOTLB
// invalidation, IOTLB_REG/IVA_REG 10.4.8) and 6.2 (what the context cache, the IOTLB and the
// paging-structure caches hold and how they are tagged). Queued invalidation (6.5.2) has the
// same three granularities and the same reach per descriptor (6.5.2.1 cc_inv_dsc, 6.5.2.3
// iotlb_inv_dsc). Hardware may always remove more (6.2: "hardware may ... evict"); what is
// modelled is the minimum, because the minimum decides which stale entry a DMA may still use.
//
// Two steps, the pattern of spec/tlb_invalidation.hpp:
//   required_invalidation(request) -> CacheInvalidationScope  (the VT-d rule for one command)
//   removes(scope, entry tags)     -> Bool                     (is this cached entry reached)
#pragma once

#include <cstdint>

#include "spec/domain.hpp"

namespace vtspec::spec::iommu {

// The cache a cached entry lives in (6.2.1 context cache, 6.2.4 paging-structure caches,
// 6.2.3 IOTLB).
enum class CacheKind : std::uint8_t { context, paging_structure, iotlb };

// The command's target cache and granularity: CCMD.CIRG (10.4.7) and IOTLB_REG.IIRG (10.4.8.1);
// the numbers are the register encodings.
enum class InvalidatedCache : std::uint8_t { context, iotlb };
enum class InvalidationGranularity : std::uint8_t { global = 1, domain = 2, device_or_page = 3 };

template <class D>
struct CacheInvalidationRequest {
  using W = typename D::Word;
  using B = typename D::Bool;
  InvalidatedCache cache = InvalidatedCache::iotlb;
  InvalidationGranularity granularity = InvalidationGranularity::global;
  W domain_id = D::word(0);     // CCMD.DID / IOTLB_REG.DID
  W source_id = D::word(0);     // CCMD.SID (device-selective)
  W address = D::word(0);       // IVA_REG.ADDR (page-selective), bits 63:12
  unsigned address_mask = 0;    // IVA_REG.AM: 2^AM pages, ADDR aligned to that size (a command constant)
  B hint = D::truth(false);     // IVA_REG.IH: only leaf entries changed
};

template <class D>
struct CacheInvalidationScope {
  using W = typename D::Word;
  using B = typename D::Bool;
  B context = D::truth(false);           // context-cache entries are reached
  B iotlb = D::truth(false);             // IOTLB entries are reached
  B paging_structure = D::truth(false);  // paging-structure-cache entries are reached
  B any_domain = D::truth(false);
  W domain_id = D::word(0);
  B one_source = D::truth(false);  // device-selective: only the entry of `source_id`
  W source_id = D::word(0);
  B address_range = D::truth(false);  // page-selective: only entries overlapping [range_base, range_base + range_size)
  W range_base = D::word(0);
  W range_size = D::word(0);
};

// The tags a cached entry carries (6.2): the context cache is indexed by source id and
// records the domain id of the entry; IOTLB and paging-structure-cache entries are tagged by
// domain id and cover an input-address range (a page of the leaf's size, or the region one
// non-leaf entry maps).
template <class D>
struct CachedEntryTags {
  using W = typename D::Word;
  CacheKind kind = CacheKind::iotlb;
  W domain_id = D::word(0);
  W source_id = D::word(0);
  W base = D::word(0);  // input-address range covered (IOTLB, paging-structure cache)
  W size = D::word(0);
};

template <class D>
CacheInvalidationScope<D> required_invalidation(const CacheInvalidationRequest<D>& r) {
  using B = typename D::Bool;
  CacheInvalidationScope<D> s;
  const B yes = D::truth(true);
  s.domain_id = r.domain_id;
  if (r.cache == InvalidatedCache::context) {
    // 6.5.1.1: global - every context-cache entry; domain-selective - the entries whose
    // DID matches; device-selective - the entry of SID within that domain (function mask 0).
    s.context = yes;
    s.any_domain = D::truth(r.granularity == InvalidationGranularity::global);
    s.one_source = D::truth(r.granularity == InvalidationGranularity::device_or_page);
    s.source_id = r.source_id;
    return s;
  }
  // 6.5.1.2: global - every IOTLB and paging-structure-cache entry; domain-selective - those
  // of DID; page-selective-within-domain - the IOTLB entries of DID for the 2^AM pages at
  // ADDR and, unless IH = 1, the paging-structure-cache entries used to translate them
  // (IH = 1: "only leaf entries were modified", hardware may preserve the non-leaf ones).
  s.iotlb = yes;
  s.any_domain = D::truth(r.granularity == InvalidationGranularity::global);
  if (r.granularity == InvalidationGranularity::device_or_page) {
    s.paging_structure = !r.hint;
    s.address_range = yes;
    s.range_size = D::shift_left(D::word(0x1000), r.address_mask);
    s.range_base = r.address & ~(s.range_size - D::word(1));
  } else {
    s.paging_structure = yes;
  }
  return s;
}

// Is a cached entry with tags `t` within the scope's reach (so it may no longer be used)?
template <class D>
typename D::Bool removes(const CacheInvalidationScope<D>& s, const CachedEntryTags<D>& t) {
  using B = typename D::Bool;
  const B kind_reached = t.kind == CacheKind::context            ? s.context
                         : t.kind == CacheKind::paging_structure ? s.paging_structure
                                                                 : s.iotlb;
  const B domain = s.any_domain || t.domain_id == s.domain_id;
  const B source = !s.one_source || t.source_id == s.source_id;
  // Ranges overlap: t.base < end && base < t.end.
  const B overlap = D::ult(t.base, s.range_base + s.range_size) && D::ult(s.range_base, t.base + t.size);
  const B address = !s.address_range || overlap;
  return kind_reached && domain && source && address;
}

}  // namespace vtspec::spec::iommu
