// The machine of the "vtd-cached-isolation" obligation (vtd_cache_obligations.cpp), shared
// with the mutation test that replays its counterexamples: a VT-d unit (qemu-7.2-aw39) with
// device A (00:03.0, DID 1) mapping IOVA 0x5000 and 0x6000 into [0x200000, 0x400000) and
// device B (00:04.0, DID 2) mapping 0x5000 into [0x400000, 0x600000); 3-level tables at
// 0x110000 and 0x120000, root table 0x100000 (VT-d 9.1, 9.3, 9.8).
#pragma once

#include <utility>
#include <vector>

#include "model/iommu/remapping_unit.hpp"
#include "model/operation.hpp"

namespace vtspec::checker {

struct CachedIsolationMachine {
  static constexpr std::uint16_t kDeviceA = 0x18, kDeviceB = 0x20;
  model::PhysicalMemory memory;
  model::iommu::RemappingUnit unit;
  // `planted`: the lookup bug of mutation vtd-domain-not-tagged (model::iommu::CacheBug).
  explicit CachedIsolationMachine(bool planted);
  // The device's region [lo, hi).
  static std::pair<std::uint64_t, std::uint64_t> region(std::uint16_t sid) {
    return sid == kDeviceA ? std::pair<std::uint64_t, std::uint64_t>{0x200000, 0x400000}
                           : std::pair<std::uint64_t, std::uint64_t>{0x400000, 0x600000};
  }
  // Applies a DMA (its fresh outcome taken; every allowed outcome returned) or an invalidation.
  std::vector<model::iommu::DmaOutcome> apply(const model::Operation& op);
};

}  // namespace vtspec::checker
