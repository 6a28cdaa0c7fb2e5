// EPT translation of one guest-physical address, SDM Vol. 3C 29.3 (EPT), with expected
// values worked out by hand from the SDM.
#include <gtest/gtest.h>

#include "spec/ept_violation_qualification.hpp"
#include "spec/ept_walk.hpp"
#include "spec/paging_control.hpp"
#include "spec/tests/test_memory.hpp"

namespace vtspec::spec {
namespace {

using namespace sdm;

// GPA 0x80_8060_4567: EPT PML4 index 1, PDPT index 2, PD index 3, PT index 4, offset 0x567.
constexpr std::uint64_t kGpa = 0x0000'0080'8060'4567;
// EPT tables at host 0x80000 (PML4), 0x81000 (PDPT), 0x82000 (PD), 0x83000 (PT); page 0x90000.
constexpr std::uint64_t kPml4e = 0x80000 + 8 * 1, kPdpte = 0x81000 + 8 * 2, kPde = 0x82000 + 8 * 3, kPte = 0x83000 + 8 * 4;
constexpr std::uint64_t kRwx = e::R | e::W | e::X;
// EPTP (25.6.11): root 0x80000, memory type WB (6), page-walk length 4 (bits 5:3 = 3).
constexpr std::uint64_t kEptp = 0x80000 | 6 | (3 << 3);
constexpr std::uint64_t kEptpAd = kEptp | (1 << 6);

class EptWalkTest : public ::testing::Test {
 protected:
  TestMemory mem;
  EptShape shape;  // 4 levels, MAXPHYADDR 46, execute-only and 2M/1G pages supported

  void SetUp() override {
    mem.set(kPml4e, 0x81000 | kRwx);
    mem.set(kPdpte, 0x82000 | kRwx);
    mem.set(kPde, 0x83000 | kRwx);
    mem.set(kPte, 0x90000 | kRwx | e::WB);
  }
  EptWalk<Concrete> walk(AccessKind kind, std::uint64_t eptp = kEptp, bool linear_user = false) {
    EptAccess<Concrete> a;
    a.read = kind == AccessKind::read;
    a.write = kind == AccessKind::write;
    a.fetch = kind == AccessKind::fetch;
    a.linear_user = linear_user;
    mem.reads = 0;
    return walk_ept<Concrete>(shape, eptp, kGpa, a, mem);
  }
};

// The Table 28-7 qualification of an access to the final translation of a valid linear
// address (bits 7 and 8 set), the accesses these tests make.
std::uint64_t qualification(const EptShape& shape, const EptWalk<Concrete>& w) {
  return ept_violation_qualification<Concrete>(shape.caps, w, EptAccessOrigin<Concrete>{}).value;
}

void expect_misconfig(const EptWalk<Concrete>& w) {
  EXPECT_TRUE(w.misconfig);
  EXPECT_FALSE(w.violation);
  EXPECT_FALSE(w.translated);
}

void expect_violation(const EptShape& shape, const EptWalk<Concrete>& w, std::uint64_t expected) {
  EXPECT_TRUE(w.violation);
  EXPECT_FALSE(w.misconfig);
  EXPECT_FALSE(w.translated);
  EXPECT_EQ(qualification(shape, w), expected);
}

TEST_F(EptWalkTest, FourKilobyteTranslation) {
  const auto w = walk(AccessKind::read);
  EXPECT_TRUE(w.translated);
  EXPECT_EQ(w.physical, 0x90567u);
  EXPECT_EQ(w.leaf_level, 1u);
  EXPECT_EQ(mem.reads, 4u);
  EXPECT_EQ(qualification(shape, w), 0u);
}

// ---- misconfigurations (29.3.3.1) -------------------------------------------------------

TEST_F(EptWalkTest, WriteOnlyLeafIsAMisconfiguration) {
  mem.set(kPte, 0x90000 | e::W | e::WB);  // bits 2:0 = 010b
  expect_misconfig(walk(AccessKind::read));
  expect_misconfig(walk(AccessKind::write));
}

TEST_F(EptWalkTest, WriteExecuteLeafIsAMisconfiguration) {
  mem.set(kPte, 0x90000 | e::W | e::X | e::WB);  // 110b
  expect_misconfig(walk(AccessKind::fetch));
}

TEST_F(EptWalkTest, WriteOnlyNonLeafIsAMisconfiguration) {
  mem.set(kPml4e, 0x81000 | e::W);
  expect_misconfig(walk(AccessKind::read));
  EXPECT_EQ(mem.reads, 1u);
}

TEST_F(EptWalkTest, ExecuteOnlyDependsOnTheCapability) {
  // 100b is a misconfiguration unless IA32_VMX_EPT_VPID_CAP bit 0 allows execute-only.
  mem.set(kPte, 0x90000 | e::X | e::WB);
  shape.caps.execute_only = false;
  expect_misconfig(walk(AccessKind::fetch));
  shape.caps.execute_only = true;
  EXPECT_TRUE(walk(AccessKind::fetch).translated);
  // A read needs bit 0: violation; qualification read | executable | linear valid | final.
  expect_violation(shape, walk(AccessKind::read), qual::read | qual::executable | qual::linear_valid | qual::final_translation);
}

TEST_F(EptWalkTest, ReservedMemoryTypesInTheLeafAreMisconfigurations) {
  for (std::uint64_t type : {2u, 3u, 7u}) {
    mem.set(kPte, 0x90000 | kRwx | (type << 3));
    expect_misconfig(walk(AccessKind::read));
  }
  for (std::uint64_t type : {0u, 1u, 4u, 5u, 6u}) {
    mem.set(kPte, 0x90000 | kRwx | (type << 3));
    EXPECT_TRUE(walk(AccessKind::read).translated) << "memory type " << type;
  }
}

TEST_F(EptWalkTest, MemoryTypeBitsOfANonLeafAreReserved) {
  // Table 29-5: bits 6:3 of a PDE that references a page table are reserved.
  mem.set(kPde, 0x83000 | kRwx | (1 << 3));
  expect_misconfig(walk(AccessKind::read));
}

TEST_F(EptWalkTest, PageSizeBitOfAPml4eIsReserved) {
  // Table 29-1: bits 7:3 of an EPT PML4E are reserved.
  mem.set(kPml4e, 0x81000 | kRwx | e::PS);
  expect_misconfig(walk(AccessKind::read));
}

TEST_F(EptWalkTest, AddressBitAboveMaxPhyAddrIsAMisconfiguration) {
  mem.set(kPte, (1ull << 46) | 0x90000 | kRwx | e::WB);
  expect_misconfig(walk(AccessKind::read));
}

TEST_F(EptWalkTest, NotPresentEntryIsNotAMisconfigurationWhateverElseItHolds) {
  // 29.3.3.1 applies to present entries only (bits 2:0 not 000b).
  mem.set(kPte, (1ull << 50) | (2 << 3) | e::PS);  // bits 2:0 = 000b
  expect_violation(shape, walk(AccessKind::read), qual::read | qual::linear_valid | qual::final_translation);
}

TEST_F(EptWalkTest, AMisconfigurationNamesItsCauseAndLevel) {
  // 29.3.3.1 lists the conditions separately; the walk reports which held, in which entry.
  mem.set(kPte, 0x90000 | e::W | e::WB);  // write without read, level 1
  auto w = walk(AccessKind::read);
  ASSERT_TRUE(w.misconfig);
  EXPECT_TRUE(w.misconfiguration.write_without_read);
  EXPECT_FALSE(w.misconfiguration.reserved_bit);
  EXPECT_FALSE(w.misconfiguration.memory_type);
  EXPECT_FALSE(w.misconfiguration.execute_only_unsupported);
  EXPECT_EQ(w.misconfiguration.level, 1u);

  SetUp();
  mem.set(kPml4e, 0x81000 | kRwx | e::PS);  // Table 29-1: bit 7 of a PML4E is reserved
  w = walk(AccessKind::read);
  ASSERT_TRUE(w.misconfig);
  EXPECT_TRUE(w.misconfiguration.reserved_bit);
  EXPECT_FALSE(w.misconfiguration.write_without_read);
  EXPECT_EQ(w.misconfiguration.level, 4u);

  SetUp();
  mem.set(kPte, 0x90000 | kRwx | (7 << 3));  // memory type 7 in the leaf
  w = walk(AccessKind::read);
  ASSERT_TRUE(w.misconfig);
  EXPECT_TRUE(w.misconfiguration.memory_type);
  EXPECT_EQ(w.misconfiguration.level, 1u);

  SetUp();
  shape.caps.execute_only = false;
  mem.set(kPde, 0x83000 | e::X);  // execute-only without IA32_VMX_EPT_VPID_CAP bit 0
  w = walk(AccessKind::fetch);
  ASSERT_TRUE(w.misconfig);
  EXPECT_TRUE(w.misconfiguration.execute_only_unsupported);
  EXPECT_EQ(w.misconfiguration.level, 2u);
}

TEST_F(EptWalkTest, AViolationCarriesTheAccessAndTheRights) {
  // 29.3.3.2: a write to a page whose PDE grants read and execute only. The rights are the
  // AND over the four entries: R and X, not W; the entry was present.
  mem.set(kPde, 0x83000 | e::R | e::X);
  const auto w = walk(AccessKind::write);
  ASSERT_TRUE(w.violation);
  EXPECT_FALSE(w.not_present);
  EXPECT_TRUE(w.access.write);
  EXPECT_FALSE(w.access.read);
  EXPECT_TRUE(w.rights.readable);
  EXPECT_FALSE(w.rights.writable);
  EXPECT_TRUE(w.rights.executable);

  mem.set(kPde, 0);  // not present: contributes zeros to every right
  const auto np = walk(AccessKind::read);
  ASSERT_TRUE(np.violation);
  EXPECT_TRUE(np.not_present);
  EXPECT_FALSE(np.rights.readable);
  EXPECT_FALSE(np.rights.writable);
  EXPECT_FALSE(np.rights.executable);
}

// ---- large pages (Tables 29-2 and 29-4) -------------------------------------------------

TEST_F(EptWalkTest, TwoMegabyteLeaf) {
  mem.set(kPde, 0x200000 | kRwx | e::WB | e::PS);
  const auto w = walk(AccessKind::write);
  EXPECT_TRUE(w.translated);
  EXPECT_EQ(w.physical, 0x204567u);  // frame 0x200000 + GPA bits 20:0
  EXPECT_EQ(w.leaf_level, 2u);
  EXPECT_EQ(mem.reads, 3u);
}

TEST_F(EptWalkTest, OneGigabyteLeaf) {
  mem.set(kPdpte, 0x40000000 | kRwx | e::WB | e::PS);
  const auto w = walk(AccessKind::read);
  EXPECT_TRUE(w.translated);
  EXPECT_EQ(w.physical, 0x40604567u);  // frame + GPA bits 29:0
  EXPECT_EQ(w.leaf_level, 3u);
}

TEST_F(EptWalkTest, MisalignedLargeFramesAreMisconfigurations) {
  // Unlike guest paging, bit 12 of an EPT large leaf is reserved (no PAT bit there).
  mem.set(kPde, 0x201000 | kRwx | e::WB | e::PS);
  expect_misconfig(walk(AccessKind::read));
  SetUp();
  mem.set(kPdpte, 0x40001000 | kRwx | e::WB | e::PS);
  expect_misconfig(walk(AccessKind::read));
}

TEST_F(EptWalkTest, PageSizeWithoutTheCapabilityIsReserved) {
  shape.caps.page_2m = false;
  mem.set(kPde, 0x200000 | kRwx | e::WB | e::PS);
  expect_misconfig(walk(AccessKind::read));
}

// ---- violations and their qualification (29.3.3.2, Table 28-7) --------------------------

TEST_F(EptWalkTest, NotPresentLeafIsAViolation) {
  mem.set(kPte, 0);
  // Read, nothing readable/writable/executable (the AND includes the not-present entry),
  // guest linear address valid, access to the final translation.
  expect_violation(shape, walk(AccessKind::read), qual::read | qual::linear_valid | qual::final_translation);  // 0x181
}

TEST_F(EptWalkTest, WriteToReadOnlyPage) {
  mem.set(kPte, 0x90000 | e::R | e::X | e::WB);
  expect_violation(shape, walk(AccessKind::write),
                   qual::write | qual::readable | qual::executable | qual::linear_valid | qual::final_translation);  // 0x1aa
}

TEST_F(EptWalkTest, PermissionsInTheQualificationAreTheAndOverAllLevels) {
  mem.set(kPde, 0x83000 | e::R);  // not executable at the PD level
  expect_violation(shape, walk(AccessKind::fetch),
                   qual::fetch | qual::readable | qual::linear_valid | qual::final_translation);  // 0x18c
}

TEST_F(EptWalkTest, ModeBasedExecuteControl) {
  // 29.3.3.2 with MBEC: bit 2 governs supervisor-mode linear addresses, bit 10 user-mode ones.
  shape.caps.mode_based_execute = true;
  mem.set(kPte, 0x90000 | e::R | e::XU | e::WB);
  for (auto a : {kPml4e, kPdpte, kPde}) mem.set(a, mem.get(a) | e::XU);
  EXPECT_TRUE(walk(AccessKind::fetch, kEptp, /*linear_user=*/true).translated);
  expect_violation(shape, walk(AccessKind::fetch, kEptp, /*linear_user=*/false),
                   qual::fetch | qual::readable | qual::user_exec | qual::linear_valid | qual::final_translation);
}

// ---- accessed and dirty flags (29.3.5) ---------------------------------------------------

TEST_F(EptWalkTest, AccessedAndDirtyOnlyWithEptpBit6) {
  const auto off = walk(AccessKind::write, kEptp);
  for (unsigned level = 1; level <= 4; ++level) EXPECT_FALSE(off.sets_accessed[level]);
  EXPECT_FALSE(off.sets_dirty);

  const auto read = walk(AccessKind::read, kEptpAd);
  for (unsigned level = 1; level <= 4; ++level) EXPECT_TRUE(read.sets_accessed[level]) << "level " << level;
  EXPECT_FALSE(read.sets_dirty);

  const auto write = walk(AccessKind::write, kEptpAd);
  EXPECT_TRUE(write.sets_dirty);
}

TEST_F(EptWalkTest, FlagsAlreadySetAreNotSetAgain) {
  for (auto a : {kPml4e, kPdpte, kPde}) mem.set(a, mem.get(a) | e::A);
  mem.set(kPte, mem.get(kPte) | e::A | e::D);
  const auto w = walk(AccessKind::write, kEptpAd);
  for (unsigned level = 1; level <= 4; ++level) EXPECT_FALSE(w.sets_accessed[level]);
  EXPECT_FALSE(w.sets_dirty);
}

TEST_F(EptWalkTest, FailedTranslationRequiresNoFlags) {
  mem.set(kPte, 0x90000 | e::R | e::WB);
  const auto w = walk(AccessKind::write, kEptpAd);
  EXPECT_TRUE(w.violation);
  for (unsigned level = 1; level <= 4; ++level) EXPECT_FALSE(w.sets_accessed[level]);
  EXPECT_FALSE(w.sets_dirty);
}

// ---- the EPT pointer (25.6.11, 27.2.1.1) ---------------------------------------------------

TEST(EptPointer, ValidAndInvalidValues) {
  EptCapabilities caps;  // UC and WB, length 4, A/D supported, MAXPHYADDR 46
  EXPECT_TRUE(check_ept_pointer(kEptp, caps).valid);
  EXPECT_TRUE(check_ept_pointer(kEptpAd, caps).valid);
  EXPECT_FALSE(check_ept_pointer(0x80000 | 1 | (3 << 3), caps).valid);  // WC is not allowed
  EXPECT_FALSE(check_ept_pointer(0x80000 | 6 | (4 << 3), caps).valid);  // length 5 unsupported
  caps.walk_length_5 = true;
  EXPECT_TRUE(check_ept_pointer(0x80000 | 6 | (4 << 3), caps).valid);
  EXPECT_FALSE(check_ept_pointer(0x80000 | 6 | (2 << 3), caps).valid);  // length 3
  EXPECT_FALSE(check_ept_pointer(kEptp | (1 << 8), caps).valid);        // bits 11:8 reserved
  EXPECT_FALSE(check_ept_pointer(kEptp | (1ull << 46), caps).valid);    // beyond MAXPHYADDR
  caps.accessed_dirty = false;
  EXPECT_FALSE(check_ept_pointer(kEptpAd, caps).valid);
  EXPECT_EQ(ept_walk_length(0x80000 | 6 | (4 << 3)), 5u);
}

}  // namespace
}  // namespace vtspec::spec
