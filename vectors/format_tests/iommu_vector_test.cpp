// DMA-remapping vectors (state `iommu:`, operations dma_read / dma_write / invalidate_*):
// the loader reads them, the model evaluates them, and bad input is refused with file,
// line, column and field. Expected positions are counted by hand from the documents below;
// expected outcomes are the VT-d specification's, worked out in the comments.
#include <gtest/gtest.h>

#include "vectors/format/model_evaluation.hpp"
#include "vectors/format/vector_file.hpp"
#include "vectors/format_tests/expect_load_error.hpp"

namespace vtspec::vectors {
namespace {

// Root table at 0x200000: bus 0 -> context table 0x201000; 00:03.0 (source 0x18): P, AW
// 39-bit, DID 5, SL-PDPT 0x202000 -> PD 0x203000 -> PT 0x204000; PTE[1] maps IOVA 0x1000 to
// 0x300000 read/write, PTE[2] maps 0x2000 to 0x301000 read-only.
std::string document(const std::string& operations, const std::string& iommu_extra = "") {
  return "schema: vtspec/vector/1\n"                                     // 1
         "# a DMA vector\n"                                              // 2
         "vectors:\n"                                                    // 3
         "  - id: dma/1\n"                                               // 4
         "    state:\n"                                                  // 5
         "      iommu: { profile: qemu-7.2-aw39, root_table: 0x200000, devices: [0x18]" + iommu_extra + " }\n"  // 6
         "      memory:\n"                                               // 7
         "        - { hpa: 0x200000, u64: 0x201001 }\n"                  // 8
         "        - { hpa: 0x201180, u64: 0x202001 }\n"                  // 9
         "        - { hpa: 0x201188, u64: 0x501 }\n"                     // 10
         "        - { hpa: 0x202000, u64: 0x203003 }\n"                  // 11
         "        - { hpa: 0x203000, u64: 0x204003 }\n"                  // 12
         "        - { hpa: 0x204008, u64: 0x300003 }\n"                  // 13
         "        - { hpa: 0x204010, u64: 0x301001 }\n"                  // 14
         "        - { hpa: 0x300000, u64: 0x1122334455667788 }\n"        // 15
         "    operations:\n"                                             // 16
         + operations;                                                   // 17..
}

TEST(IommuVector, LoadsAndTheModelGivesTheSpecificationsOutcomes) {
  const auto v = load_vector_text(
      document("      - { op: dma_read, source: 0x18, iova: 0x1000, size: 8, expect: { value: 0x1122334455667788 } }\n"
               "      - { op: dma_write, source: 0x18, iova: 0x2008, size: 4, value: 0xaabb,\n"
               "          expect: { dma_fault: { reason: 0x5, source: 0x18, address: 0x2000, read: false } } }\n"
               "      - { op: dma_read, source: 0x18, iova: 0x8000000000, size: 4,\n"
               "          expect: { dma_fault: { reason: 0x4, address: 0x8000000000 } } }\n"
               "      - { op: invalidate_iotlb, granularity: 3, did: 5, iova: 0x1000, ih: true, expect: ok }\n"
               "      - { op: invalidate_context_cache, granularity: 1, expect: ok }\n"),
      "t.yaml");
  ASSERT_EQ(v.size(), 1u);
  ASSERT_TRUE(v[0].initial.iommu.has_value());
  EXPECT_EQ(v[0].initial.iommu->root_table, 0x200000u);
  ASSERT_EQ(v[0].operations.size(), 5u);
  EXPECT_EQ(v[0].operations[1].kind, model::OperationKind::dma_write);
  EXPECT_EQ(v[0].operations[3].hint, true);
  const auto steps = evaluate_on_model(v[0]);
  ASSERT_EQ(steps.size(), 5u);
  // 3.4.3: the read is translated through PTE[1] to 0x300000.
  EXPECT_EQ(steps[0].expectation.outcomes[0].event, model::Event::completed(0x1122334455667788));
  // 7.1.3: a write through an entry with W = 0 is blocked with reason 5 (FI = the page, T = write).
  EXPECT_EQ(steps[1].expectation.outcomes[0].event, model::Event::dma_fault(0x5, 0x18, 0x2000, false));
  // 7.1.3: IOVA 2^39 is beyond the 39-bit AGAW: reason 4.
  EXPECT_EQ(steps[2].expectation.outcomes[0].event, model::Event::dma_fault(0x4, 0x18, 0x8000000000, true));
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(steps[i].expectation.outcomes[0].event, v[0].expectations[i].outcomes[0].event) << i;
}

TEST(IommuVector, DmaWithoutAnIommuSectionIsRefused) {
  const auto e = load_error(
      "schema: vtspec/vector/1\nvectors:\n  - id: d\n    state: { memory: [ { hpa: 0x1000, u64: 1 } ] }\n"
      "    operations:\n      - { op: dma_read, source: 0x18, iova: 0x1000, expect: ok }\n");
  EXPECT_EQ(e.line(), 6);
  EXPECT_EQ(e.field(), "vectors[0].operations[0].op");
  EXPECT_NE(e.message().find("iommu: section"), std::string::npos) << e.what();
}

TEST(IommuVector, ASourceThatIsNoDeviceIsRefused) {
  const auto e = load_error(document("      - { op: dma_read, source: 0x20, iova: 0x1000, expect: ok }\n"));
  EXPECT_EQ(e.line(), 17);
  EXPECT_EQ(e.field(), "vectors[0].operations[0].source");
  EXPECT_NE(e.message().find("not one of the state's iommu.devices"), std::string::npos) << e.what();
}

TEST(IommuVector, PageSelectiveNeedsAnAlignedIova) {
  auto e = load_error(document("      - { op: invalidate_iotlb, granularity: 3, did: 5, expect: ok }\n"));
  EXPECT_EQ(e.field(), "vectors[0].operations[0].iova");
  EXPECT_NE(e.message().find("granularity 3"), std::string::npos) << e.what();
  e = load_error(document("      - { op: invalidate_iotlb, granularity: 3, did: 5, iova: 0x1000, am: 1, expect: ok }\n"));
  EXPECT_EQ(e.field(), "vectors[0].operations[0].iova");
  EXPECT_NE(e.message().find("not aligned"), std::string::npos) << e.what();
  e = load_error(document("      - { op: invalidate_iotlb, granularity: 2, did: 5, iova: 0x1000, expect: ok }\n"));
  EXPECT_EQ(e.field(), "vectors[0].operations[0].iova");
}

TEST(IommuVector, AFaultExpectationMustMatchTheDirection) {
  const auto e = load_error(document(
      "      - { op: dma_read, source: 0x18, iova: 0x1000, expect: { dma_fault: { reason: 6, address: 0x1000, read: false } } }\n"));
  EXPECT_EQ(e.line(), 17);
  EXPECT_EQ(e.field(), "vectors[0].operations[0].expect.dma_fault.read");
}

TEST(IommuVector, AnUnknownProfileIsNamed) {
  const auto e = load_error(document("      - { op: dma_read, source: 0x18, iova: 0x1000, expect: ok }\n").replace(
      document("").find("qemu-7.2-aw39"), 13, "qemu-7.2-aw40"));
  EXPECT_EQ(e.line(), 6);
  EXPECT_EQ(e.field(), "vectors[0].state.iommu.profile");
  EXPECT_NE(e.message().find("qemu-7.2-aw39, qemu-7.2-aw48"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace vtspec::vectors
