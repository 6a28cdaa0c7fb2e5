// The host side of the harness ABI without KVM: the encoder's mappings and rejections.
#include <gtest/gtest.h>

#include <cstring>

#include "conformance/harness/encoding.hpp"
#include "conformance/harness/harness_image.hpp"
#include "conformance/targets/tests/vector_builder.hpp"

namespace vtspec::conformance {
namespace {

using testing::VectorBuilder;
using namespace testing;

TEST(HarnessEncoding, InsertsHarnessPml4EntryIntoEveryTopLevelTable) {
  auto v = VectorBuilder("two-cr3").simple(model::OperationKind::mov_cr3, 0, 0x8000 | (1ull << 63)).build();
  harness::Layout layout;
  auto e = harness::encode(v.initial, v.operations, {}, layout);
  ASSERT_EQ(e.error, "");
  // PML4 entry 511 (byte offset 0xff8) of both tables points at the harness PDPT.
  std::uint64_t expected = (layout.region_gpa + VT_TABLES_OFFSET) | P | RW | US;
  EXPECT_EQ(e.encoded.memory.read64(VectorBuilder::kPml4 + 0xff8), expected);
  EXPECT_EQ(e.encoded.memory.read64(0x8000 + 0xff8), expected);
  // The vector's own entries are untouched.
  EXPECT_EQ(e.encoded.memory.read64(VectorBuilder::kPml4), VectorBuilder::kPdpt | P | RW | US);
}

TEST(HarnessEncoding, RejectsVectorsThatCollideWithTheHarness) {
  auto uses511 = VectorBuilder("511").build();
  uses511.initial.memory.write64(VectorBuilder::kPml4 + 0xff8, 0x5000 | P);
  EXPECT_NE(harness::encode(uses511.initial, uses511.operations, {}).error.find("entry 511"), std::string::npos);

  auto high = VectorBuilder("high").access(0xffffffff80001000ull, spec::AccessKind::read, 0).build();
  EXPECT_NE(harness::encode(high.initial, high.operations, {}).error.find("harness's range"), std::string::npos);

  auto far = VectorBuilder("far").poke(VT_KVM_VECTOR_WINDOW, 8, 1).build();
  EXPECT_NE(harness::encode(far.initial, far.operations, {}).error.find("outside this target's window"),
            std::string::npos);
}

TEST(HarnessEncoding, HarnessRegionMapsUserStubPageOnlyAsUser) {
  harness::Layout layout;
  auto region = harness::build_region(layout);
  const vt_info& info = harness::guest_info();
  auto pte = [&](std::uint64_t linear) {
    std::uint64_t value;
    std::memcpy(&value, region.data() + VT_TABLES_OFFSET + 2 * 4096 + (linear - VT_HARNESS_LINEAR) / 4096 * 8, 8);
    return value;
  };
  EXPECT_EQ(pte(info.user_begin) & (P | US), P | US);
  EXPECT_EQ(pte(info.entry) & (P | US), P);  // harness code is supervisor-only (SMEP-safe)
  EXPECT_EQ(pte(info.entry) & XD, 0u);       // never XD: reserved when EFER.NXE = 0
}

}  // namespace
}  // namespace vtspec::conformance
