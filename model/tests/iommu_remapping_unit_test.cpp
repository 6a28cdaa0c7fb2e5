// VT-d remapping unit: faults recorded in FRCD records (10.4.14), primary fault overflow
// once NFR + 1 records are full (7.1.3 / 10.4.9); the caches of 6.2 as allowed outcomes and
// the register-based invalidation of 6.5.1. Tables are written bit by bit from VT-d 9.1, 9.3
// and 9.8; every expected value is the specification's, worked out in the comments.
#include <gtest/gtest.h>

#include <algorithm>

#include "model/iommu/remapping_unit.hpp"

namespace vtspec::model::iommu {
namespace {

using spec::iommu::CacheInvalidationRequest;
using spec::iommu::InvalidatedCache;
using spec::iommu::InvalidationGranularity;
using Request = CacheInvalidationRequest<spec::Concrete>;

constexpr std::uint16_t kDevice = 0x0018;  // 00:03.0
constexpr std::uint64_t kRoot = 0x10000, kContextTable = 0x11000, kSlPml4 = 0x12000, kSlPdpt = 0x13000,
                        kSlPd = 0x14000, kSlPt = 0x15000;

// Root entry of bus 0 -> context table; 00:03.0's context entry: P, AW 39-bit (001b), DID
// `did`; 3 levels (SL-PDPT at the top): PDPTE[0] -> PD, PDE[0] -> PT, PTE[5] -> `page`.
void build(PhysicalMemory& mem, std::uint64_t did, std::uint64_t page, std::uint64_t pte_rights = 3) {
  mem.write64(kRoot, kContextTable | 1);
  mem.write64(kContextTable + kDevice * 16, kSlPdpt | 1);
  mem.write64(kContextTable + kDevice * 16 + 8, 1 | (did << 8));
  mem.write64(kSlPdpt, kSlPd | 3);
  mem.write64(kSlPd, kSlPt | 3);
  mem.write64(kSlPt + 8 * 5, page | pte_rights);
}

RemappingUnit unit_on(PhysicalMemory&) {
  RemappingUnit unit(profile("qemu-7.2-aw39"));
  unit.set_root_table(kRoot);
  unit.enable_translation(true);
  return unit;
}

bool has_flag(const DmaOutcome& o, const char* flag) { return std::find(o.flags.begin(), o.flags.end(), flag) != o.flags.end(); }

TEST(IommuRemappingUnit, RootNotPresentIsRecordedThenOverflows) {
  PhysicalMemory mem;
  RemappingUnit unit = unit_on(mem);
  const auto o = unit.dma(mem, {kDevice, 0x1234, 4, false});
  EXPECT_EQ(o.event, Event::dma_fault(0x1, kDevice, 0x1000, true));  // 7.1.3 reason 1, FI = page, T = read
  ASSERT_EQ(unit.fault_records().size(), 1u);  // CAP.NFR = 0: one record
  EXPECT_TRUE(unit.fault_records()[0].read);
  EXPECT_FALSE(unit.primary_fault_overflow());
  unit.dma(mem, {kDevice, 0x5000, 4, true});
  EXPECT_TRUE(unit.primary_fault_overflow());
}

TEST(IommuRemappingUnit, ReadOnlyPageCompletesReadFaultsWrite) {
  PhysicalMemory mem;
  build(mem, 7, 0x50000, 1);  // read-only leaf
  mem.write64(0x50010, 0x1122334455667788);
  RemappingUnit unit = unit_on(mem);
  const auto r = unit.dma(mem, {kDevice, 0x5010, 4, false});
  EXPECT_EQ(r.event, Event::completed(0x55667788));
  EXPECT_EQ(r.physical, 0x50010u);
  const auto w = unit.dma(mem, {kDevice, 0x5010, 4, true, 0xaa});
  EXPECT_EQ(w.event, Event::dma_fault(0x5, kDevice, 0x5000, false));
  EXPECT_EQ(mem.read64(0x50010), 0x1122334455667788u);  // the blocked write stored nothing
}

TEST(IommuRemappingUnit, FaultProcessingDisableSuppressesRecording) {
  PhysicalMemory mem;
  mem.write64(kRoot, kContextTable | 1);
  mem.write64(kContextTable + kDevice * 16, kSlPdpt | 1 | 2);  // P, FPD (9.3 bit 1)
  mem.write64(kContextTable + kDevice * 16 + 8, 1);
  RemappingUnit unit = unit_on(mem);
  const auto o = unit.dma(mem, {kDevice, 0x5000, 4, false});  // SL-PDPTE not present: reason 6
  EXPECT_EQ(spec::iommu::fault_reason_of(o.walk), spec::iommu::DmaFaultReason::read_denied);
  EXPECT_EQ(o.event, Event::dma_fault(0, kDevice, 0x5000, true));  // blocked, not recorded
  EXPECT_TRUE(unit.fault_records().empty());
}

TEST(IommuRemappingUnit, AChangedLeafMayBeServedFromTheIotlbUntilAPageSelectiveInvalidation) {
  PhysicalMemory mem;
  build(mem, 7, 0x50000);
  mem.write64(0x50000, 0xa);
  mem.write64(0x60000, 0xb);
  RemappingUnit unit = unit_on(mem);
  EXPECT_EQ(unit.dma(mem, {kDevice, 0x5000, 8, false}).event, Event::completed(0xa));
  mem.write64(kSlPt + 8 * 5, 0x60000 | 3);  // the leaf now maps another page
  auto outcomes = unit.dma_outcomes(mem, {kDevice, 0x5000, 8, false});
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].event, Event::completed(0xb));  // a fresh walk
  EXPECT_EQ(outcomes[1].event, Event::completed(0xa));  // the IOTLB entry (6.2.3)
  EXPECT_TRUE(has_flag(outcomes[1], kCachedIotlbEntry));
  // Another domain's page-selective invalidation does not reach DID 7's entry (6.5.1.2).
  Request other{.cache = InvalidatedCache::iotlb, .granularity = InvalidationGranularity::device_or_page,
                .domain_id = 8, .address = 0x5000};
  unit.invalidate(other);
  EXPECT_EQ(unit.dma_outcomes(mem, {kDevice, 0x5000, 8, false}).size(), 2u);
  Request page = other;
  page.domain_id = 7;
  page.hint = true;  // IH = 1: only the leaf changed
  unit.invalidate(page);
  outcomes = unit.dma_outcomes(mem, {kDevice, 0x5000, 8, false});
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].event, Event::completed(0xb));
}

TEST(IommuRemappingUnit, PageSelectiveWithHintKeepsPagingStructureEntriesWithoutHintRemovesThem) {
  PhysicalMemory mem;
  build(mem, 7, 0x50000);
  mem.write64(0x50000, 0xa);
  mem.write64(0x70000, 0xc);
  RemappingUnit unit = unit_on(mem);
  unit.dma(mem, {kDevice, 0x5000, 8, false});
  // A new PT replaces the old one in the PDE: the non-leaf entry changed.
  mem.write64(0x16000 + 8 * 5, 0x70000 | 3);
  mem.write64(kSlPd, 0x16000 | 3);
  Request page{.cache = InvalidatedCache::iotlb, .granularity = InvalidationGranularity::device_or_page, .domain_id = 7,
               .address = 0x5000, .hint = true};
  unit.invalidate(page);
  // The PDE (level 2) and PDPTE (level 3) may still be cached: a walk through the old PT.
  auto outcomes = unit.dma_outcomes(mem, {kDevice, 0x5000, 8, false});
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].event, Event::completed(0xc));
  EXPECT_EQ(outcomes[1].event, Event::completed(0xa));
  EXPECT_TRUE(has_flag(outcomes[1], kCachedPagingStructureEntry));
  page.hint = false;  // 6.5.1.2: IH = 0 reaches the paging-structure caches too
  unit.invalidate(page);
  EXPECT_EQ(unit.dma_outcomes(mem, {kDevice, 0x5000, 8, false}).size(), 1u);
}

TEST(IommuRemappingUnit, AContextChangeNeedsAContextInvalidationAndTheOldDomainsIotlbInvalidation) {
  PhysicalMemory mem;
  build(mem, 7, 0x50000);
  mem.write64(0x50000, 0xa);
  mem.write64(0x80000, 0xd);
  RemappingUnit unit = unit_on(mem);
  unit.dma(mem, {kDevice, 0x5000, 8, false});
  // Move the device to domain 9 with its own tables: the change 6.5.3 says needs a
  // device-selective context-cache invalidation, then an IOTLB invalidation of the OLD domain.
  mem.write64(0x20000, 0x21000 | 3);
  mem.write64(0x21000, 0x22000 | 3);
  mem.write64(0x22000 + 8 * 5, 0x80000 | 3);
  mem.write64(kContextTable + kDevice * 16, 0x20000 | 1);
  mem.write64(kContextTable + kDevice * 16 + 8, 1 | (9u << 8));
  auto outcomes = unit.dma_outcomes(mem, {kDevice, 0x5000, 8, false});
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].event, Event::completed(0xd));
  EXPECT_EQ(outcomes[1].event, Event::completed(0xa));  // cached context entry, or DID 7's IOTLB entry
  unit.invalidate({.cache = InvalidatedCache::context, .granularity = InvalidationGranularity::device_or_page,
                   .domain_id = 7, .source_id = kDevice});
  // The IOTLB entry filled for this requester may still serve it (tagged by requester).
  outcomes = unit.dma_outcomes(mem, {kDevice, 0x5000, 8, false});
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_TRUE(has_flag(outcomes[1], kCachedIotlbEntry));
  EXPECT_FALSE(has_flag(outcomes[1], kCachedContextEntry));
  // Invalidating the NEW domain's IOTLB entries does not reach the old ones.
  unit.invalidate({.cache = InvalidatedCache::iotlb, .granularity = InvalidationGranularity::domain, .domain_id = 9});
  EXPECT_EQ(unit.dma_outcomes(mem, {kDevice, 0x5000, 8, false}).size(), 2u);
  unit.invalidate({.cache = InvalidatedCache::iotlb, .granularity = InvalidationGranularity::domain, .domain_id = 7});
  outcomes = unit.dma_outcomes(mem, {kDevice, 0x5000, 8, false});
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].event, Event::completed(0xd));
}

TEST(IommuRemappingUnit, AnotherDomainsDeviceNeverUsesTheseEntriesUnlessTheTagsAreIgnored) {
  // Two devices, two domains, the same IOVA: 00:03.0 (DID 7) -> 0x50000, 00:04.0 (DID 8) -> 0x60000.
  for (const bool planted : {false, true}) {
    PhysicalMemory mem;
    build(mem, 7, 0x50000);
    constexpr std::uint16_t kOther = 0x0020;
    mem.write64(kContextTable + kOther * 16, 0x30000 | 1);
    mem.write64(kContextTable + kOther * 16 + 8, 1 | (8u << 8));
    mem.write64(0x30000, 0x31000 | 3);
    mem.write64(0x31000, 0x32000 | 3);
    mem.write64(0x32000 + 8 * 5, 0x60000 | 3);
    mem.write64(0x50000, 0xa);
    mem.write64(0x60000, 0xb);
    RemappingUnit unit = unit_on(mem);
    if (planted) unit.plant(CacheBug::domain_not_tagged);
    unit.dma(mem, {kDevice, 0x5000, 8, false});
    const auto outcomes = unit.dma_outcomes(mem, {kOther, 0x5000, 8, false});
    EXPECT_EQ(outcomes[0].event, Event::completed(0xb));
    // Correct: only its own page. Planted: device 00:03.0's IOTLB entry serves it too.
    EXPECT_EQ(outcomes.size(), planted ? 2u : 1u);
  }
}

TEST(IommuRemappingUnit, AStaleReadOnlyIotlbEntryMayFaultAWrite) {
  PhysicalMemory mem;
  build(mem, 7, 0x50000, 1);
  RemappingUnit unit = unit_on(mem);
  unit.dma(mem, {kDevice, 0x5000, 8, false});
  mem.write64(kSlPt + 8 * 5, 0x50000 | 3);  // now writable
  const auto outcomes = unit.dma_outcomes(mem, {kDevice, 0x5000, 8, true, 1});
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].event, Event::completed());
  EXPECT_EQ(outcomes[1].event, Event::dma_fault(0x5, kDevice, 0x5000, false));
  unit.invalidate({.cache = InvalidatedCache::iotlb, .granularity = InvalidationGranularity::domain, .domain_id = 7});
  EXPECT_EQ(unit.dma_outcomes(mem, {kDevice, 0x5000, 8, true, 1}).size(), 1u);
}

TEST(IommuRemappingUnit, FaultingWalksCacheNoLeaf) {
  PhysicalMemory mem;
  build(mem, 7, 0x50000, 0);  // PTE not present
  RemappingUnit unit = unit_on(mem);
  EXPECT_EQ(unit.dma(mem, {kDevice, 0x5000, 8, false}).event.fault_reason, 0x6u);
  EXPECT_TRUE(std::none_of(unit.cached().begin(), unit.cached().end(),
                           [](const CachedEntry& e) { return e.kind == spec::iommu::CacheKind::iotlb; }));
  mem.write64(kSlPt + 8 * 5, 0x50000 | 3);
  EXPECT_EQ(unit.dma_outcomes(mem, {kDevice, 0x5000, 8, false}).size(), 1u);  // CAP.CM = 0: nothing stale to hit
}

}  // namespace
}  // namespace vtspec::model::iommu
