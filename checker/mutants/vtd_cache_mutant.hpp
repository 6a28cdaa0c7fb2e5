// A copy of spec::iommu::required_invalidation (spec/iommu/cache_invalidation.hpp, VT-d
// 6.5.1.2) with an injectable bug: a page-selective IOTLB invalidation that keeps the
// paging-structure-cache entries whatever IH says. Mutation tests only. (The lookup bug
// vtd-domain-not-tagged lives in the model: model::iommu::CacheBug.)
#pragma once

#include "checker/mutants/mutation.hpp"
#include "spec/iommu/cache_invalidation.hpp"

namespace vtspec::checker::mutants {

template <class D>
spec::iommu::CacheInvalidationScope<D> required_cache_invalidation(Mutation m, const spec::iommu::CacheInvalidationRequest<D>& r) {
  auto s = spec::iommu::required_invalidation(r);
  if (m == Mutation::vtd_page_selective_keeps_structures && r.cache == spec::iommu::InvalidatedCache::iotlb &&
      r.granularity == spec::iommu::InvalidationGranularity::device_or_page)
    s.paging_structure = D::truth(false);
  return s;
}

}  // namespace vtspec::checker::mutants
