// VT-d legacy-mode translation, Intel VT-d 3.4.3, 9.1, 9.3, 9.8, 7.1.3; tables built by hand,
// expected reason codes from the spec's fault-reason table (Appendix A).
#include <gtest/gtest.h>

#include "spec/iommu/second_level_walk.hpp"
#include "spec/tests/test_memory.hpp"

namespace vtspec::spec::iommu {
namespace {

// Source 00:03.0 (bus 0, devfn 0x18). Root table 0x10000, context table 0x11000,
// SL-PML4 (AW 48-bit: 010b) 0x12000 .. SL-PT 0x15000, page 0x40000, domain 5.
constexpr std::uint64_t kRta = 0x10000, kSid = 0x0018, kIova = 0x0000'0080'8060'4567;
class VtdWalkTest : public ::testing::Test {
 protected:
  sdm::TestMemory mem;
  VtdShape shape;
  void SetUp() override {
    shape.cap.raw = 0x00d2008c22260206 | (std::uint64_t{1} << 10);  // SAGAW 39+48 (bits 9, 10)
    shape.cap.raw = (shape.cap.raw & ~(std::uint64_t{0x3f} << 16)) | (std::uint64_t{47} << 16);  // MGAW 48
    shape.haw = 46;
    mem.set(kRta + 0, 0x11000 | 1);                        // bus 0 root entry: P, CTP 0x11000
    mem.set(0x11000 + 0x18 * 16, 0x12000 | 1);             // context: P, TT 00b, SLPTPTR 0x12000
    mem.set(0x11000 + 0x18 * 16 + 8, 2 | (5u << 8));       // AW 010b, DID 5
    mem.set(0x12000 + 8 * 1, 0x13000 | 3);                 // PML4 index 1, RW
    mem.set(0x13000 + 8 * 2, 0x14000 | 3);                 // PDPT index 2
    mem.set(0x14000 + 8 * 3, 0x15000 | 3);                 // PD index 3
    mem.set(0x15000 + 8 * 4, 0x40000 | 1);                 // PT index 4, read-only
  }
  VtdWalk<Concrete> walk(bool write, std::uint64_t iova = kIova, std::uint64_t sid = kSid) {
    return walk_vtd<Concrete>(shape, kRta, DmaAccess<Concrete>{sid, iova, write}, mem);
  }
};

TEST_F(VtdWalkTest, ReadTranslatesThroughFourLevels) {
  const auto w = walk(false);
  EXPECT_TRUE(w.translated);
  EXPECT_EQ(w.physical, 0x40567u);
  EXPECT_EQ(w.domain_id, 5u);
  EXPECT_EQ(w.leaf_level, 1u);
}
TEST_F(VtdWalkTest, WriteToReadOnlyPageIsReason5) {
  EXPECT_EQ(fault_reason_of(walk(true)), DmaFaultReason::write_denied);
  EXPECT_EQ(static_cast<unsigned>(fault_reason_of(walk(true))), 0x5u);
}
TEST_F(VtdWalkTest, NotPresentLeafReadIsReason6) {
  mem.set(0x15000 + 8 * 4, 0x40000);
  EXPECT_EQ(static_cast<unsigned>(fault_reason_of(walk(false))), 0x6u);
}
TEST_F(VtdWalkTest, RootNotPresentIsReason1) {
  EXPECT_EQ(static_cast<unsigned>(fault_reason_of(walk(false, kIova, 0x0118))), 0x1u);  // bus 1
}
TEST_F(VtdWalkTest, ContextNotPresentIsReason2) {
  EXPECT_EQ(static_cast<unsigned>(fault_reason_of(walk(false, kIova, 0x0020))), 0x2u);  // 00:04.0
}
TEST_F(VtdWalkTest, ReservedTranslationTypeIsReason3) {
  mem.set(0x11000 + 0x18 * 16, 0x12000 | 1 | (3u << 2));
  EXPECT_EQ(static_cast<unsigned>(fault_reason_of(walk(false))), 0x3u);
}
TEST_F(VtdWalkTest, UnsupportedAddressWidthIsReason3) {
  mem.set(0x11000 + 0x18 * 16 + 8, 3 | (5u << 8));  // 57-bit, not in SAGAW
  EXPECT_EQ(static_cast<unsigned>(fault_reason_of(walk(false))), 0x3u);
}
TEST_F(VtdWalkTest, AddressBeyondMgawIsReason4) {
  EXPECT_EQ(static_cast<unsigned>(fault_reason_of(walk(false, std::uint64_t{1} << 48))), 0x4u);
}
TEST_F(VtdWalkTest, RootTableBeyondHawIsReason8) {
  const auto w = walk_vtd<Concrete>(shape, std::uint64_t{1} << 50, DmaAccess<Concrete>{kSid, kIova, false}, mem);
  EXPECT_EQ(static_cast<unsigned>(fault_reason_of(w)), 0x8u);
}
TEST_F(VtdWalkTest, RootReservedIsReasonA) {
  mem.set(kRta + 0, 0x11000 | 1 | 0x2);
  EXPECT_EQ(static_cast<unsigned>(fault_reason_of(walk(false))), 0xAu);
}
TEST_F(VtdWalkTest, ContextReservedIsReasonB) {
  mem.set(0x11000 + 0x18 * 16 + 8, 2 | (5u << 8) | (std::uint64_t{1} << 30));  // bit 94
  EXPECT_EQ(static_cast<unsigned>(fault_reason_of(walk(false))), 0xBu);
}
TEST_F(VtdWalkTest, SecondLevelReservedIsReasonC) {
  mem.set(0x13000 + 8 * 2, 0x14000 | 3 | (std::uint64_t{1} << 50));  // bit 50 above HAW 46
  EXPECT_EQ(static_cast<unsigned>(fault_reason_of(walk(false))), 0xCu);
}
TEST_F(VtdWalkTest, TwoMegabytePageWithSllps) {
  mem.set(0x14000 + 8 * 3, 0x200000 | 3 | (1u << 7));
  const auto w = walk(true);
  ASSERT_TRUE(w.translated);
  EXPECT_EQ(w.physical, 0x200000u + (kIova & 0x1fffff));
  EXPECT_EQ(w.leaf_level, 2u);
}
TEST_F(VtdWalkTest, ThreeLevelAgaw39) {
  mem.set(0x11000 + 0x18 * 16 + 8, 1 | (5u << 8));  // AW 001b: SL-PDPT at 0x12000 is the top
  mem.set(0x12000 + 8 * 2, 0x14000 | 3);
  const auto w = walk(false, 0x8060'4567);
  ASSERT_TRUE(w.translated);
  EXPECT_EQ(w.physical, 0x40567u);
}
TEST_F(VtdWalkTest, PassThroughNeedsEcapPt) {
  mem.set(0x11000 + 0x18 * 16, 0x12000 | 1 | (2u << 2));  // TT 10b
  EXPECT_EQ(static_cast<unsigned>(fault_reason_of(walk(false))), 0x3u);  // ECAP.PT = 0
  shape.ecap.raw = 1u << 6;                                 // ECAP.PT (10.4.3 bit 6)
  const auto w = walk(true);
  ASSERT_TRUE(w.translated);
  EXPECT_EQ(w.physical, kIova);
}
TEST(VtdCapability, Qemu72Aw39Profile) {
  IommuCapability c{0x00d2008c22260206};
  EXPECT_EQ(c.nd(), 6u);
  EXPECT_EQ(c.sagaw(), 2u);  // 39-bit only
  EXPECT_EQ(c.mgaw(), 39u);
  EXPECT_EQ(c.fro(), 0x22u);
  EXPECT_EQ(c.sllps(), 3u);
  EXPECT_EQ(c.fault_records(), 1u);
}

}  // namespace
}  // namespace vtspec::spec::iommu

namespace vtspec::spec::iommu {
namespace {

// 7.1.3: a table read that errors - here a table in the shape's unbacked range - is reason 8
// for the root entry, 9 for the context entry, 3 for the entry SLPTPTR references ("invalid
// programming of a context entry") and 7 for one an entry's ADDR references.
TEST_F(VtdWalkTest, TableReadsInUnbackedMemoryFaultWithReasons8937) {
  shape.unbacked_begin = 0x100000;
  shape.unbacked_end = 0x200000;
  auto reason = [&] { return static_cast<unsigned>(fault_reason_of(walk(false))); };
  ASSERT_EQ(reason(), 0u);  // nothing points there yet
  mem.set(0x15000 + 8 * 4, 0x180000 | 1);  // a leaf may map unbacked memory: the walk reads no table there
  EXPECT_TRUE(walk(false).translated);
  mem.set(0x14000 + 8 * 3, 0x180000 | 3);  // the PD's entry points the PT there
  EXPECT_EQ(reason(), 0x7u);
  mem.set(0x11000 + 0x18 * 16, 0x180000 | 1);  // SLPTPTR there
  EXPECT_EQ(reason(), 0x3u);
  mem.set(kRta, 0x180000 | 1);  // the context table there
  EXPECT_EQ(reason(), 0x9u);
  EXPECT_EQ(static_cast<unsigned>(fault_reason_of(walk_vtd<Concrete>(shape, 0x1ff000, DmaAccess<Concrete>{kSid, kIova, false}, mem))),
            0x8u);  // the root table there
}

}  // namespace
}  // namespace vtspec::spec::iommu
