// AMD nested paging (AMD64 APM Vol. 2 15.25.5, 15.25.6), with expected values worked out by
// hand from the APM's rules: every nested access is a user access, guest page-table accesses
// are checked as user writes, EXITINFO1 = the nested #PF error code | bit 32 (final address)
// or bit 33 (guest page table), EXITINFO2 = the guest-physical address.
#include <gtest/gtest.h>

#include "spec/svm/nested_paging_walk.hpp"
#include "spec/tests/test_memory.hpp"

namespace vtspec::spec::svm {
namespace {

using namespace sdm;

// Guest: linear 0x80_8060_4567 (indices 1, 2, 3, 4; offset 0x567) through tables at
// guest-physical 0x1000 (PML4), 0x2000 (PDPT), 0x3000 (PD), 0x4000 (PT) to the page at 0x5000.
constexpr std::uint64_t kLinear = 0x0000'0080'8060'4567;
constexpr std::uint64_t kUpper = g::P | g::RW | g::US | g::A;
constexpr std::uint64_t kLeaf = g::P | g::RW | g::US | g::A | g::D;
// Nested tables (long-mode format) at host 0x80000 (PML4), 0x81000, 0x82000, 0x83000 (PT);
// guest-physical page n (below 2 MByte: nested indices 0, 0, 0, n) maps to host 0x100000 + n * 0x1000.
constexpr std::uint64_t kHostOffset = 0x100000;
constexpr std::uint64_t kNcr3 = 0x80000;
constexpr std::uint64_t kFinal = 1ull << 32, kGuestTable = 1ull << 33;

class NestedPagingWalkTest : public ::testing::Test {
 protected:
  TestMemory mem;
  PagingShape guest_shape;
  NestedPagingMode mode;
  PagingControl<Concrete> ctl;
  std::uint64_t cr3 = 0x1000;

  void SetUp() override {
    guest_shape.maxphyaddr = 48;
    mem.set(0x80000, 0x81000 | kUpper);
    mem.set(0x81000, 0x82000 | kUpper);
    mem.set(0x82000, 0x83000 | kUpper);
    for (std::uint64_t page = 0; page < 8; ++page) nested_map(page * 0x1000, kLeaf);
    guest(0x1000 + 8 * 1, 0x2000 | kUpper);
    guest(0x2000 + 8 * 2, 0x3000 | kUpper);
    guest(0x3000 + 8 * 3, 0x4000 | kUpper);
    guest(0x4000 + 8 * 4, 0x5000 | kLeaf);
  }
  void nested_map(std::uint64_t gpa, std::uint64_t flags) { mem.set(0x83000 + 8 * (gpa >> 12), (gpa + kHostOffset) | flags); }
  void guest(std::uint64_t gpa, std::uint64_t value) { mem.set(gpa + kHostOffset, value); }

  NestedPagingWalk<Concrete> walk(AccessKind kind, unsigned cpl) {
    NoObserver none;
    return walk_nested_paging<Concrete>(guest_shape, mode, ctl, kNcr3, cr3, kLinear, Access<Concrete>::make(kind, cpl), mem,
                                        none);
  }
};

void expect_npf(const NestedPagingWalk<Concrete>& w, std::uint64_t exit_info1, std::uint64_t exit_info2) {
  EXPECT_TRUE(w.nested_page_fault);
  EXPECT_FALSE(w.page_fault);
  EXPECT_FALSE(w.translated);
  EXPECT_EQ(w.exit_info1, exit_info1);
  EXPECT_EQ(w.exit_info2, exit_info2);
}

TEST_F(NestedPagingWalkTest, FourByFourWalkMakesTwentyFourReferences) {
  // 4 guest levels x (4 nested entries + the guest entry) + 4 nested entries for the data page.
  const auto w = walk(AccessKind::read, 3);
  EXPECT_TRUE(w.translated);
  EXPECT_EQ(w.physical, kHostOffset + 0x5567);
  EXPECT_EQ(w.references, 24u);
}

TEST_F(NestedPagingWalkTest, NestedEntryWithoutUserBitFaultsEvenForASupervisorAccess) {
  // 15.25.5: the nested walk is a user access, so U/S = 0 in the nested PTE of the data page
  // is a protection fault: P | U, on the final address.
  nested_map(0x5000, kLeaf & ~g::US);
  expect_npf(walk(AccessKind::read, 0), kFinal | pfec::P | pfec::U, 0x5567);
}

TEST_F(NestedPagingWalkTest, SupervisorWriteWithCr0WpClearStillNeedsNestedWrite) {
  // The guest's CR0.WP = 0 lets its supervisor writes pass its own R/W = 0, but the nested
  // check is a user write: P | W | U on the final address.
  ctl.cr0_wp = false;
  nested_map(0x5000, kLeaf & ~g::RW);
  expect_npf(walk(AccessKind::write, 0), kFinal | pfec::P | pfec::W | pfec::U, 0x5567);
}

TEST_F(NestedPagingWalkTest, GuestPageDirectoryOnReadOnlyNestedPageFaultsAsAUserWrite) {
  // A read at CPL 3, but the guest PDE at gpa 0x3018 is read through a nested leaf with
  // R/W = 0: guest page-table accesses are user writes, P | W | U, bit 33.
  nested_map(0x3000, kLeaf & ~g::RW);
  expect_npf(walk(AccessKind::read, 3), kGuestTable | pfec::P | pfec::W | pfec::U, 0x3018);
}

TEST_F(NestedPagingWalkTest, AbsentNestedMappingOfTheGuestPml4) {
  // Not present: W | U (P = 0), bit 33, at the guest PML4E's address 0x1008.
  mem.set(0x83000 + 8 * 1, 0);
  expect_npf(walk(AccessKind::fetch, 3), kGuestTable | pfec::W | pfec::U, 0x1008);
}

TEST_F(NestedPagingWalkTest, GuestPageFaultPreemptsANestedFaultOnTheFinalAddress) {
  // 15.25.6: the guest walk finishes (here with a not-present PTE) before the final address
  // is translated, so the guest's #PF (error code U for a CPL-3 read) wins.
  guest(0x4000 + 8 * 4, 0);
  mem.set(0x83000 + 8 * 5, 0);
  const auto w = walk(AccessKind::read, 3);
  EXPECT_TRUE(w.page_fault);
  EXPECT_FALSE(w.nested_page_fault);
  EXPECT_EQ(w.error_code, pfec::U);
}

TEST_F(NestedPagingWalkTest, FetchFromANoExecuteNestedPage) {
  // The host's EFER.NXE = 1: NX in the nested PTE blocks the fetch; P | U | I/D, bit 32.
  nested_map(0x5000, kLeaf | g::XD);
  expect_npf(walk(AccessKind::fetch, 3), kFinal | pfec::P | pfec::U | pfec::ID, 0x5567);
}

TEST_F(NestedPagingWalkTest, NestedBit63IsReservedWithoutHostNxe) {
  // The host's EFER.NXE = 0 at VMRUN: bit 63 of a nested entry is reserved: P | U | RSVD.
  mode.nxe = false;
  nested_map(0x5000, kLeaf | g::XD);
  expect_npf(walk(AccessKind::read, 3), kFinal | pfec::P | pfec::U | pfec::RSVD, 0x5567);
}

TEST_F(NestedPagingWalkTest, AWriteSetsTheNestedDirtyFlagOfTheDataPage) {
  nested_map(0x5000, kLeaf & ~g::D);
  const auto w = walk(AccessKind::write, 3);
  EXPECT_TRUE(w.translated);
  EXPECT_TRUE(w.final_access.sets_dirty);
  const auto r = walk(AccessKind::read, 3);
  EXPECT_FALSE(r.final_access.sets_dirty);
}

}  // namespace
}  // namespace vtspec::spec::svm
