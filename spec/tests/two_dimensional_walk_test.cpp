// The two-dimensional walk (guest paging under EPT), SDM Vol. 3C 29.3.1-29.3.3 and Table 28-7,
// with expected values worked out by hand.
#include <gtest/gtest.h>

#include <vector>

#include "spec/tests/test_memory.hpp"
#include "spec/two_dimensional_walk.hpp"

namespace vtspec::spec {
namespace {

using namespace sdm;

// Guest: linear 0x80_8060_4567 (indices 1, 2, 3, 4; offset 0x567) through tables at
// guest-physical 0x1000 (PML4), 0x2000 (PDPT), 0x3000 (PD), 0x4000 (PT) to the page at 0x5000.
constexpr std::uint64_t kLinear = 0x0000'0080'8060'4567;
constexpr std::uint64_t kUpper = g::P | g::RW | g::US | g::A;
constexpr std::uint64_t kLeaf = g::P | g::RW | g::US | g::A | g::D;
// EPT: tables at host 0x80000 (PML4), 0x81000, 0x82000, 0x83000 (PT); guest-physical page n
// (below 2 MByte, so EPT indices 0, 0, 0, n) maps to host 0x100000 + n * 0x1000.
constexpr std::uint64_t kHostOffset = 0x100000;
constexpr std::uint64_t kEptp = 0x80000 | 6 | (3 << 3);  // WB, 4 levels, A/D off
constexpr std::uint64_t kAd = 1 << 6;                    // EPTP bit 6
constexpr std::uint64_t kEptUpper = e::R | e::W | e::X | e::A;
constexpr std::uint64_t kEptLeaf = e::R | e::W | e::X | e::WB | e::A | e::D;

struct Recorder {
  std::vector<Reference> refs;
  void on_reference(const Reference& r) { refs.push_back(r); }
};

class TwoDimensionalWalkTest : public ::testing::Test {
 protected:
  TestMemory mem;
  PagingShape guest_shape;
  EptShape ept_shape;
  PagingControl<Concrete> ctl;
  std::uint64_t eptp = kEptp;
  std::uint64_t cr3 = 0x1000;
  Recorder recorder;

  void SetUp() override {
    mem.set(0x80000, 0x81000 | kEptUpper);
    mem.set(0x81000, 0x82000 | kEptUpper);
    mem.set(0x82000, 0x83000 | kEptUpper);
    for (std::uint64_t page = 0; page < 8; ++page) ept_map(page * 0x1000, kEptLeaf);
    guest(0x1000 + 8 * 1, 0x2000 | kUpper);
    guest(0x2000 + 8 * 2, 0x3000 | kUpper);
    guest(0x3000 + 8 * 3, 0x4000 | kUpper);
    guest(0x4000 + 8 * 4, 0x5000 | kLeaf);
  }
  void ept_map(std::uint64_t gpa, std::uint64_t flags) { mem.set(0x83000 + 8 * (gpa >> 12), (gpa + kHostOffset) | flags); }
  void guest(std::uint64_t gpa, std::uint64_t value) { mem.set(gpa + kHostOffset, value); }
  std::uint64_t guest(std::uint64_t gpa) const { return mem.get(gpa + kHostOffset); }

  TwoDimensionalWalk<Concrete> walk(AccessKind kind, unsigned cpl, std::uint64_t linear = kLinear) {
    recorder.refs.clear();
    return walk_two_dimensional<Concrete>(guest_shape, ept_shape, ctl, eptp, cr3, linear,
                                          Access<Concrete>::make(kind, cpl), mem, recorder);
  }
};

void expect_ept_violation(const TwoDimensionalWalk<Concrete>& w, std::uint64_t gpa, std::uint64_t qualification) {
  EXPECT_TRUE(w.ept_violation);
  EXPECT_FALSE(w.ept_misconfig);
  EXPECT_FALSE(w.page_fault);
  EXPECT_FALSE(w.translated);
  EXPECT_EQ(w.guest_physical, gpa);
  EXPECT_EQ(w.qualification, qualification);
}

// ---- reference counts (29.3.1: every guest paging-structure reference is EPT-translated) ----

TEST_F(TwoDimensionalWalkTest, FourByFourWalkMakesTwentyFourReferences) {
  // 4 guest levels x (4 EPT entries + the guest entry) + 4 EPT entries for the final GPA.
  const auto w = walk(AccessKind::read, 3);
  EXPECT_TRUE(w.translated);
  EXPECT_EQ(w.physical, kHostOffset + 0x5567);
  EXPECT_EQ(w.references, 24u);
  ASSERT_EQ(recorder.refs.size(), 24u);

  // The order: for each guest level the EPT walk of the entry's GPA, then the entry itself.
  const std::uint64_t guest_entry_gpa[] = {0, 0x4020, 0x3018, 0x2010, 0x1008};
  std::size_t i = 0;
  for (unsigned guest_level = 4; guest_level >= 1; --guest_level) {
    const std::uint64_t gpa = guest_entry_gpa[guest_level];
    const std::uint64_t ept_entries[] = {0x80000, 0x81000, 0x82000, 0x83000 + 8 * (gpa >> 12)};
    for (unsigned k = 0; k < 4; ++k, ++i) {
      EXPECT_EQ(recorder.refs[i].kind, ReferenceKind::ept_entry) << i;
      EXPECT_EQ(recorder.refs[i].guest_level, guest_level) << i;
      EXPECT_EQ(recorder.refs[i].ept_level, 4 - k) << i;
      EXPECT_EQ(recorder.refs[i].physical, ept_entries[k]) << i;
    }
    EXPECT_EQ(recorder.refs[i].kind, ReferenceKind::guest_entry) << i;
    EXPECT_EQ(recorder.refs[i].guest_level, guest_level) << i;
    EXPECT_EQ(recorder.refs[i].physical, gpa + kHostOffset) << i;
    EXPECT_EQ(recorder.refs[i].guest_physical, gpa) << i;
    ++i;
  }
  for (unsigned k = 0; k < 4; ++k, ++i) {
    EXPECT_EQ(recorder.refs[i].kind, ReferenceKind::ept_entry);
    EXPECT_EQ(recorder.refs[i].guest_level, 0u);  // the final access
    EXPECT_EQ(recorder.refs[i].guest_physical, 0x5567u);
  }
  EXPECT_EQ(recorder.refs[23].physical, 0x83000u + 8 * 5);
}

TEST_F(TwoDimensionalWalkTest, FiveByFiveWalkMakesThirtyFiveReferences) {
  // LA57 guest (PML5 at GPA 0x6000, index 5 from linear bits 56:48) and a 5-level EPT
  // (EPTP bits 5:3 = 4, EPT PML5 at host 0x7f000): 5 x (5 + 1) + 5 = 35.
  guest_shape.levels = 5;
  ept_shape.levels = 5;
  ept_shape.caps.walk_length_5 = true;
  eptp = 0x7f000 | 6 | (4 << 3);
  mem.set(0x7f000, 0x80000 | kEptUpper);
  guest(0x6000 + 8 * 5, 0x1000 | kUpper);
  cr3 = 0x6000;
  const auto w = walk(AccessKind::read, 3, (5ull << 48) | kLinear);
  EXPECT_TRUE(w.translated);
  EXPECT_EQ(w.physical, kHostOffset + 0x5567);
  EXPECT_EQ(w.references, 35u);
  EXPECT_EQ(recorder.refs.size(), 35u);
}

// ---- EPT violations and misconfigurations on guest paging-structure accesses --------------

TEST_F(TwoDimensionalWalkTest, ViolationOnGuestPdptAccess) {
  // The EPT PTE for the guest PDPT page (GPA 0x2000) is execute-only. Reading the PDPTE
  // at GPA 0x2010 is a data read (29.3.3.2) that is not allowed. Table 28-7: bit 0 (read);
  // bit 1 clear (EPT A/D off); bits 3-5 = AND of bits 0-2 over the EPT entries = 0, 0, 1;
  // bit 7 (guest linear address valid); bit 8 clear (a paging-structure access).
  ept_map(0x2000, e::X | e::WB | e::A);
  const auto w = walk(AccessKind::read, 3);
  expect_ept_violation(w, 0x2010, qual::read | qual::executable | qual::linear_valid);  // 0xa1
  EXPECT_EQ(w.qualification_undefined, 0u);
  // EPT walk for 0x1008, the PML4E, EPT walk for 0x2010: 4 + 1 + 4.
  EXPECT_EQ(w.references, 9u);
}

TEST_F(TwoDimensionalWalkTest, ViolationOnGuestPdptAccessWithEptAccessedDirty) {
  // 29.3.5 / Table 28-7 note: with EPTP[6] = 1 guest paging-structure accesses are writes
  // for EPT, and a violation on one sets both bits 0 and 1.
  eptp = kEptp | kAd;
  ept_map(0x2000, e::X | e::WB | e::A);
  expect_ept_violation(walk(AccessKind::read, 3), 0x2010,
                       qual::read | qual::write | qual::executable | qual::linear_valid);  // 0xa3
}

TEST_F(TwoDimensionalWalkTest, ReadOnlyPagingStructureIsFineWithoutEptAdButNotWithIt) {
  ept_map(0x2000, e::R | e::X | e::WB | e::A);
  EXPECT_TRUE(walk(AccessKind::read, 3).translated);
  eptp = kEptp | kAd;
  expect_ept_violation(walk(AccessKind::read, 3), 0x2010,
                       qual::read | qual::write | qual::readable | qual::executable | qual::linear_valid);  // 0xab
}

TEST_F(TwoDimensionalWalkTest, NotPresentEptEntryForAPagingStructure) {
  mem.set(0x83000 + 8 * 3, 0);
  expect_ept_violation(walk(AccessKind::write, 3), 0x3018, qual::read | qual::linear_valid);  // 0x81
}

TEST_F(TwoDimensionalWalkTest, EptViolationOnAPagingStructurePreemptsTheGuestFaultBelowIt) {
  // The guest PTE is not present, but the walk never gets there: reading the PDE faults in EPT.
  guest(0x4020, 0);
  mem.set(0x83000 + 8 * 3, 0);
  expect_ept_violation(walk(AccessKind::read, 0), 0x3018, qual::read | qual::linear_valid);
}

TEST_F(TwoDimensionalWalkTest, MisconfigurationOnAPagingStructure) {
  ept_map(0x3000, e::W | e::WB);  // write-only
  const auto w = walk(AccessKind::read, 0);
  EXPECT_TRUE(w.ept_misconfig);
  EXPECT_FALSE(w.ept_violation);
  EXPECT_FALSE(w.page_fault);
  EXPECT_FALSE(w.translated);
  EXPECT_EQ(w.guest_physical, 0x3018u);
}

TEST_F(TwoDimensionalWalkTest, AccessedFlagUpdateIsAWriteForEpt) {
  // 29.3.3.2: the processor's write of a guest accessed flag is a data write. The PT page is
  // read-only in EPT and the PTE's A flag is clear: the update faults. It is a
  // read-modify-write, so bit 1 is set and bit 0 is implementation-specific (28.2.1, Table 28-7).
  guest(0x4020, 0x5000 | g::P | g::RW | g::US);
  ept_map(0x4000, e::R | e::X | e::WB | e::A);
  const auto w = walk(AccessKind::read, 3);
  ASSERT_TRUE(w.ept_violation);
  EXPECT_EQ(w.guest_physical, 0x4020u);
  EXPECT_EQ(w.qualification_undefined, qual::read);
  EXPECT_EQ(w.qualification & ~qual::read, qual::write | qual::readable | qual::executable | qual::linear_valid);
}

TEST_F(TwoDimensionalWalkTest, AnAccessedFlagUpdateThatFaultsDoesNotHappen) {
  // The guest write needs D in the PTE and A in the PD entry; the PD page is writable in EPT,
  // the PT page is not. Updates run top level first (see two_dimensional_walk.hpp), so the
  // PDE's A is set (4.8), then the PTE's update is an EPT violation (29.3.3.2) and therefore
  // did not happen: the walk must not claim the PTE's A or D as set.
  guest(0x3000 + 8 * 3, 0x4000 | g::P | g::RW | g::US);            // PDE, A clear
  guest(0x4000 + 8 * 4, 0x5000 | g::P | g::RW | g::US);            // PTE, A and D clear
  ept_map(0x4000, e::R | e::X | e::WB | e::A);                     // PT page read-only
  const auto w = walk(AccessKind::write, 3);
  ASSERT_TRUE(w.ept_violation);
  EXPECT_EQ(w.guest_physical, 0x4020u);
  EXPECT_TRUE(w.guest.sets_accessed[2]);
  EXPECT_FALSE(w.guest.sets_accessed[1]);
  EXPECT_FALSE(w.guest.sets_dirty);
}

// ---- the final guest-physical address ------------------------------------------------------

TEST_F(TwoDimensionalWalkTest, ViolationOnTheFinalAccess) {
  ept_map(0x5000, e::R | e::X | e::WB | e::A);  // not writable
  expect_ept_violation(walk(AccessKind::write, 3), 0x5567,
                       qual::write | qual::readable | qual::executable | qual::linear_valid |
                           qual::final_translation);  // 0x1aa
}

TEST_F(TwoDimensionalWalkTest, MisconfigurationOnTheFinalAccess) {
  ept_map(0x5000, e::W | e::WB);
  const auto w = walk(AccessKind::read, 3);
  EXPECT_TRUE(w.ept_misconfig);
  EXPECT_EQ(w.guest_physical, 0x5567u);
}

TEST_F(TwoDimensionalWalkTest, GuestPageFaultHasPriorityOverAViolationOnTheFinalAddress) {
  // The guest translation fails its rights check (user read of a supervisor page), so the
  // final guest-physical address is never used (29.3.3): #PF 0x5, no EPT violation, even
  // though EPT does not map that address either.
  guest(0x4020, 0x5000 | g::P | g::RW | g::A | g::D);
  mem.set(0x83000 + 8 * 5, 0);
  const auto w = walk(AccessKind::read, 3);
  EXPECT_TRUE(w.page_fault);
  EXPECT_EQ(w.error_code, pfec::P | pfec::U);
  EXPECT_FALSE(w.ept_violation);
  EXPECT_FALSE(w.ept_misconfig);
  EXPECT_FALSE(w.translated);
}

TEST_F(TwoDimensionalWalkTest, GuestNotPresentIsAPageFault) {
  guest(0x3018, 0);
  const auto w = walk(AccessKind::write, 0);
  EXPECT_TRUE(w.page_fault);
  EXPECT_EQ(w.error_code, pfec::W);
  EXPECT_FALSE(w.ept_violation);
}

}  // namespace
}  // namespace vtspec::spec
