// VT-d remapping unit: faults recorded in FRCD records (10.4.14), primary fault overflow
// once NFR + 1 records are full (7.1.3 / 10.4.9).
#include <gtest/gtest.h>

#include "model/iommu/remapping_unit.hpp"

namespace vtspec::model::iommu {
namespace {

TEST(IommuRemappingUnit, RootNotPresentIsRecordedThenOverflows) {
  PhysicalMemory mem;
  RemappingUnit unit(profile("qemu-7.2-aw39"), mem, 39);
  unit.set_root_table(0x10000);
  unit.enable_translation(true);
  const auto o = unit.dma({0x0018, 0x1234, 4, false});
  ASSERT_TRUE(o.fault.has_value());
  EXPECT_EQ(o.fault->kind, EventKind::dma_fault);
  EXPECT_EQ(o.fault->fault_reason, 0x1u);
  EXPECT_EQ(o.fault->fault_address, 0x1000u);
  ASSERT_EQ(unit.fault_records().size(), 1u);  // NFR = 0: one record
  EXPECT_TRUE(unit.fault_records()[0].read);
  EXPECT_FALSE(unit.primary_fault_overflow());
  unit.dma({0x0018, 0x5000, 4, true});
  EXPECT_TRUE(unit.primary_fault_overflow());
}

TEST(IommuRemappingUnit, ReadOnlyPageCompletesReadFaultsWrite) {
  PhysicalMemory mem;
  mem.write64(0x10000, 0x11000 | 1);
  mem.write64(0x11000 + 0x18 * 16, 0x12000 | 1);
  mem.write64(0x11000 + 0x18 * 16 + 8, 1 | (7u << 8));  // AW 39-bit, DID 7
  mem.write64(0x12000, 0x13000 | 3);
  mem.write64(0x13000, 0x14000 | 3);
  mem.write64(0x14000 + 8 * 5, 0x50000 | 1);  // iova 0x5000 -> 0x50000, read-only
  RemappingUnit unit(profile("qemu-7.2-aw39"), mem, 39);
  unit.set_root_table(0x10000);
  unit.enable_translation(true);
  const auto r = unit.dma({0x0018, 0x5010, 4, false});
  EXPECT_TRUE(r.completed);
  EXPECT_EQ(r.physical, 0x50010u);
  const auto w = unit.dma({0x0018, 0x5010, 4, true});
  ASSERT_TRUE(w.fault.has_value());
  EXPECT_EQ(w.fault->fault_reason, 0x5u);
}

TEST(IommuRemappingUnit, FaultProcessingDisableSuppressesRecording) {
  PhysicalMemory mem;
  mem.write64(0x10000, 0x11000 | 1);
  mem.write64(0x11000 + 0x18 * 16, 0x12000 | 1 | 2);  // P, FPD (9.3 bit 1)
  mem.write64(0x11000 + 0x18 * 16 + 8, 1);
  RemappingUnit unit(profile("qemu-7.2-aw39"), mem, 39);
  unit.set_root_table(0x10000);
  unit.enable_translation(true);
  const auto o = unit.dma({0x0018, 0x5000, 4, false});  // SL-PDPTE not present: reason 6
  ASSERT_TRUE(o.fault.has_value());
  EXPECT_EQ(o.fault->fault_reason, 0x6u);
  EXPECT_TRUE(unit.fault_records().empty());
}

}  // namespace
}  // namespace vtspec::model::iommu
