// Guest IA-32e paging (no EPT): every expected value below is worked out by hand from the
// SDM, Vol. 3A chapter 4, and the section is named next to it.
#include <gtest/gtest.h>

#include "spec/paging_walk.hpp"
#include "spec/tests/test_memory.hpp"

namespace vtspec::spec {
namespace {

using namespace sdm;

// Linear address 0x80_8060_4567: PML4 index 1, PDPT index 2, PD index 3, PT index 4,
// page offset 0x567 (SDM 4.5, Figure 4-8: bits 47:39, 38:30, 29:21, 20:12, 11:0).
constexpr std::uint64_t kLinear = 0x0000'0080'8060'4567;
// Tables at 0x1000 (PML4), 0x2000 (PDPT), 0x3000 (PD), 0x4000 (PT); the page at 0x5000.
// Each entry's address is table + 8 * index.
constexpr std::uint64_t kPml4e = 0x1000 + 8 * 1, kPdpte = 0x2000 + 8 * 2, kPde = 0x3000 + 8 * 3, kPte = 0x4000 + 8 * 4;
constexpr std::uint64_t kUpper = g::P | g::RW | g::US | g::A;  // non-leaf: present, writable, user, accessed
constexpr std::uint64_t kLeaf = g::P | g::RW | g::US | g::A | g::D;

class NativeWalk : public ::testing::Test {
 protected:
  TestMemory mem;
  PagingControl<Concrete> ctl;  // CR0.WP = 1, EFER.NXE = 1, everything else off
  PagingShape shape;            // 4-level, MAXPHYADDR 46, 1-GByte pages supported

  void SetUp() override {
    mem.set(kPml4e, 0x2000 | kUpper);
    mem.set(kPdpte, 0x3000 | kUpper);
    mem.set(kPde, 0x4000 | kUpper);
    mem.set(kPte, 0x5000 | kLeaf);
  }
  PagingWalk<Concrete> walk(AccessKind kind, unsigned cpl, bool implicit = false) {
    NoObserver none;
    DirectPort<Concrete, TestMemory> port{mem, none};
    mem.reads = 0;
    return walk_paging<Concrete>(shape, ctl, /*cr3=*/0x1000, kLinear, Access<Concrete>::make(kind, cpl, implicit), port);
  }
  void clear_bits(std::uint64_t address, std::uint64_t bits) { mem.set(address, mem.get(address) & ~bits); }
  void set_bits(std::uint64_t address, std::uint64_t bits) { mem.set(address, mem.get(address) | bits); }
};

void expect_translated(const PagingWalk<Concrete>& w, std::uint64_t physical) {
  EXPECT_TRUE(w.translated);
  EXPECT_FALSE(w.page_fault);
  EXPECT_FALSE(w.port_fault);
  EXPECT_EQ(w.physical, physical);
}

void expect_page_fault(const PagingWalk<Concrete>& w, std::uint64_t error_code) {
  EXPECT_FALSE(w.translated);
  EXPECT_TRUE(w.page_fault);
  EXPECT_FALSE(w.port_fault);
  EXPECT_EQ(w.error_code, error_code);
}

TEST_F(NativeWalk, FourKilobytePageTranslatesWithFourReferences) {
  // 4.5.4: PTE frame 0x5000 plus offset 0x567; one reference per level.
  const auto w = walk(AccessKind::read, 3);
  expect_translated(w, 0x5567);
  EXPECT_EQ(mem.reads, 4u);
  EXPECT_EQ(w.leaf_level, 1u);
}

TEST_F(NativeWalk, Cr3LowBitsAreNotPartOfTheTableAddress) {
  // 4.5.2, Table 4-12: CR3 bits 11:0 are PCID / PWT / PCD, not address bits.
  NoObserver none;
  DirectPort<Concrete, TestMemory> port{mem, none};
  const auto w = walk_paging<Concrete>(shape, ctl, 0x1000 | 0x18, kLinear, Access<Concrete>::make(AccessKind::read, 0), port);
  expect_translated(w, 0x5567);
}

// ---- not-present (4.7: P = 0 in the error code) --------------------------------------

TEST_F(NativeWalk, NotPresentPteGivesErrorCodeZeroForSupervisorRead) {
  mem.set(kPte, 0);
  expect_page_fault(walk(AccessKind::read, 0), 0x0);
}

TEST_F(NativeWalk, NotPresentPteUserWriteSetsWriteAndUser) {
  mem.set(kPte, 0x5000 | g::RW | g::US);  // P = 0
  expect_page_fault(walk(AccessKind::write, 3), pfec::W | pfec::U);  // 0x6
}

TEST_F(NativeWalk, NotPresentStopsTheWalk) {
  // 4.5.4: a not-present PDE ends the walk: PML4E, PDPTE, PDE are read, the PT is not.
  mem.set(kPde, 0);
  expect_page_fault(walk(AccessKind::read, 0), 0x0);
  EXPECT_EQ(mem.reads, 3u);
}

TEST_F(NativeWalk, ReservedBitsOfANotPresentEntryAreIgnored) {
  // 4.7: RSVD is reported only for present entries; a P=0 entry is not-present whatever
  // else it holds.
  ctl.efer_nxe = false;
  mem.set(kPte, g::XD | (1ull << 50) | 0x5000);
  expect_page_fault(walk(AccessKind::read, 0), 0x0);
}

// ---- user / supervisor (4.6.1) --------------------------------------------------------

TEST_F(NativeWalk, UserReadOfSupervisorPageFaults) {
  clear_bits(kPte, g::US);
  expect_page_fault(walk(AccessKind::read, 3), pfec::P | pfec::U);  // 0x5
}

TEST_F(NativeWalk, UserWriteOfSupervisorPageFaults) {
  clear_bits(kPte, g::US);
  expect_page_fault(walk(AccessKind::write, 3), pfec::P | pfec::W | pfec::U);  // 0x7
}

TEST_F(NativeWalk, SupervisorBitInAnyLevelMakesTheAddressSupervisor) {
  // 4.6.1: a user-mode address needs U/S = 1 in every paging-structure entry.
  clear_bits(kPml4e, g::US);
  expect_page_fault(walk(AccessKind::read, 3), pfec::P | pfec::U);
}

TEST_F(NativeWalk, ImplicitSupervisorAccessAtCpl3IsSupervisor) {
  // 4.6: implicit accesses (e.g. to the GDT) are supervisor-mode whatever the CPL, so
  // they may touch supervisor pages and the error code's U/S is 0.
  clear_bits(kPte, g::US);
  expect_translated(walk(AccessKind::read, 3, /*implicit=*/true), 0x5567);
}

// ---- CR0.WP (4.6.1) -------------------------------------------------------------------

TEST_F(NativeWalk, SupervisorWriteToReadOnlyPageSucceedsWithWpClear) {
  clear_bits(kPte, g::RW | g::US);  // read-only supervisor page
  ctl.cr0_wp = false;
  expect_translated(walk(AccessKind::write, 0), 0x5567);
}

TEST_F(NativeWalk, SupervisorWriteToReadOnlyPageFaultsWithWpSet) {
  clear_bits(kPte, g::RW | g::US);
  ctl.cr0_wp = true;
  expect_page_fault(walk(AccessKind::write, 0), pfec::P | pfec::W);  // 0x3
}

TEST_F(NativeWalk, ReadOnlyUpperLevelMakesTheWholeTranslationReadOnly) {
  // 4.6.1: writes need R/W = 1 at every level.
  clear_bits(kPdpte, g::RW);
  expect_page_fault(walk(AccessKind::write, 0), pfec::P | pfec::W);
}

TEST_F(NativeWalk, UserWriteToReadOnlyPageFaultsEvenWithWpClear) {
  // CR0.WP only relaxes supervisor-mode writes.
  clear_bits(kPte, g::RW);
  ctl.cr0_wp = false;
  expect_page_fault(walk(AccessKind::write, 3), pfec::P | pfec::W | pfec::U);  // 0x7
}

// ---- SMAP (4.6.1) ---------------------------------------------------------------------

TEST_F(NativeWalk, SmapBlocksSupervisorReadOfUserPageWhenAcClear) {
  ctl.cr4_smap = true;
  ctl.rflags_ac = false;
  expect_page_fault(walk(AccessKind::read, 0), pfec::P);  // 0x1: present, read, supervisor
}

TEST_F(NativeWalk, SmapAllowsExplicitSupervisorReadWhenAcSet) {
  ctl.cr4_smap = true;
  ctl.rflags_ac = true;
  expect_translated(walk(AccessKind::read, 0), 0x5567);
}

TEST_F(NativeWalk, SmapBlocksImplicitSupervisorReadEvenWhenAcSet) {
  ctl.cr4_smap = true;
  ctl.rflags_ac = true;
  expect_page_fault(walk(AccessKind::read, 0, /*implicit=*/true), pfec::P);
  // An implicit access at CPL 3 is supervisor-mode too: U/S stays 0.
  expect_page_fault(walk(AccessKind::read, 3, /*implicit=*/true), pfec::P);
}

TEST_F(NativeWalk, SmapBlocksSupervisorWriteWhenAcClear) {
  ctl.cr4_smap = true;
  expect_page_fault(walk(AccessKind::write, 0), pfec::P | pfec::W);  // 0x3
}

TEST_F(NativeWalk, SmapDoesNotApplyToFetchesOrUserAccesses) {
  ctl.cr4_smap = true;
  expect_translated(walk(AccessKind::fetch, 0), 0x5567);  // fetches are SMEP's business
  expect_translated(walk(AccessKind::read, 3), 0x5567);
}

// ---- SMEP and execute-disable (4.6.1) --------------------------------------------------

TEST_F(NativeWalk, SmepBlocksSupervisorFetchFromUserPage) {
  ctl.cr4_smep = true;
  expect_page_fault(walk(AccessKind::fetch, 0), pfec::P | pfec::ID);  // 0x11
}

TEST_F(NativeWalk, SupervisorFetchFromUserPageAllowedWithoutSmep) {
  expect_translated(walk(AccessKind::fetch, 0), 0x5567);
}

TEST_F(NativeWalk, ExecuteDisableInAnyLevelBlocksFetches) {
  set_bits(kPde, g::XD);
  expect_page_fault(walk(AccessKind::fetch, 0), pfec::P | pfec::ID);         // 0x11
  expect_page_fault(walk(AccessKind::fetch, 3), pfec::P | pfec::U | pfec::ID);  // 0x15
  expect_translated(walk(AccessKind::read, 3), 0x5567);  // XD does not affect data
}

// ---- I/D (4.7: only when CR4.SMEP = 1 or EFER.NXE = 1) --------------------------------

TEST_F(NativeWalk, InstructionFetchBitNeedsNxeOrSmep) {
  mem.set(kPte, 0);
  ctl.efer_nxe = true;
  ctl.cr4_smep = false;
  expect_page_fault(walk(AccessKind::fetch, 0), pfec::ID);
  ctl.efer_nxe = false;
  expect_page_fault(walk(AccessKind::fetch, 0), 0x0);
  ctl.cr4_smep = true;
  expect_page_fault(walk(AccessKind::fetch, 0), pfec::ID);
}

// ---- reserved bits (4.5, Tables 4-15 .. 4-20; 4.7 RSVD) ----------------------------------

TEST_F(NativeWalk, ExecuteDisableBitIsReservedWhenNxeClear) {
  ctl.efer_nxe = false;
  set_bits(kPte, g::XD);
  expect_page_fault(walk(AccessKind::read, 0), pfec::P | pfec::RSVD);  // 0x9
}

TEST_F(NativeWalk, ExecuteDisableBitIsReservedInUpperLevelsWhenNxeClear) {
  ctl.efer_nxe = false;
  set_bits(kPml4e, g::XD);
  expect_page_fault(walk(AccessKind::write, 3), pfec::P | pfec::W | pfec::U | pfec::RSVD);  // 0xf
  EXPECT_EQ(mem.reads, 1u);  // the walk stops at the PML4E
}

TEST_F(NativeWalk, PageSizeBitIsReservedInPml4e) {
  set_bits(kPml4e, g::PS);
  expect_page_fault(walk(AccessKind::read, 0), pfec::P | pfec::RSVD);  // 0x9
}

TEST_F(NativeWalk, PageSizeBitIsReservedInPml5e) {
  // 5-level paging (4.5.1): PML5 index 5 at bits 56:48, PML5 at 0x6000.
  shape.levels = 5;
  const std::uint64_t la = (5ull << 48) | kLinear;
  mem.set(0x6000 + 8 * 5, 0x1000 | kUpper | g::PS);
  NoObserver none;
  DirectPort<Concrete, TestMemory> port{mem, none};
  const auto w = walk_paging<Concrete>(shape, ctl, 0x6000, la, Access<Concrete>::make(AccessKind::read, 0), port);
  expect_page_fault(w, pfec::P | pfec::RSVD);
  mem.set(0x6000 + 8 * 5, 0x1000 | kUpper);
  const auto ok = walk_paging<Concrete>(shape, ctl, 0x6000, la, Access<Concrete>::make(AccessKind::read, 0), port);
  expect_translated(ok, 0x5567);
}

TEST_F(NativeWalk, AddressBitAboveMaxPhyAddrIsReserved) {
  set_bits(kPte, 1ull << 46);  // MAXPHYADDR = 46: bits 51:46 reserved
  expect_page_fault(walk(AccessKind::read, 0), pfec::P | pfec::RSVD);
  mem.set(kPte, 0x5000 | kLeaf);
  set_bits(kPde, 1ull << 51);
  expect_page_fault(walk(AccessKind::read, 0), pfec::P | pfec::RSVD);
}

TEST_F(NativeWalk, AddressBitBelowMaxPhyAddrIsAnAddressBit) {
  shape.maxphyaddr = 52;
  set_bits(kPte, 1ull << 46);
  expect_translated(walk(AccessKind::read, 0), (1ull << 46) | 0x5567);
}

// ---- large pages (4.5.4, Tables 4-17 and 4-18) --------------------------------------------

TEST_F(NativeWalk, TwoMegabytePage) {
  mem.set(kPde, 0x200000 | kLeaf | g::PS);
  const auto w = walk(AccessKind::read, 3);
  expect_translated(w, 0x200000 | (kLinear & 0x1fffff));  // 0x204567
  EXPECT_EQ(w.leaf_level, 2u);
  EXPECT_EQ(mem.reads, 3u);
}

TEST_F(NativeWalk, OneGigabytePage) {
  mem.set(kPdpte, 0x40000000 | kLeaf | g::PS);
  const auto w = walk(AccessKind::read, 3);
  expect_translated(w, 0x40000000 | (kLinear & 0x3fffffff));  // 0x40604567
  EXPECT_EQ(w.leaf_level, 3u);
  EXPECT_EQ(mem.reads, 2u);
}

TEST_F(NativeWalk, PatBitOfALargePageIsNotAnAddressBit) {
  // Table 4-18: bit 12 of a 2-MByte PDE is PAT; the frame is bits 51:21.
  mem.set(kPde, 0x200000 | g::PAT_LARGE | kLeaf | g::PS);
  expect_translated(walk(AccessKind::read, 0), 0x204567);
}

TEST_F(NativeWalk, MisalignedTwoMegabyteFrameIsReserved) {
  // Table 4-18: bits 20:13 of a 2-MByte PDE are reserved.
  mem.set(kPde, 0x202000 | kLeaf | g::PS);
  expect_page_fault(walk(AccessKind::read, 0), pfec::P | pfec::RSVD);
}

TEST_F(NativeWalk, MisalignedOneGigabyteFrameIsReserved) {
  // Table 4-16: bits 29:13 of a 1-GByte PDPTE are reserved.
  mem.set(kPdpte, 0x40200000 | kLeaf | g::PS);
  expect_page_fault(walk(AccessKind::read, 3), pfec::P | pfec::U | pfec::RSVD);  // 0xd
}

TEST_F(NativeWalk, OneGigabytePageWithoutPage1GbIsReserved) {
  // 4.5.4: without CPUID.80000001H:EDX.Page1GB, PS in a PDPTE is reserved.
  shape.page1gb = false;
  mem.set(kPdpte, 0x40000000 | kLeaf | g::PS);
  expect_page_fault(walk(AccessKind::read, 0), pfec::P | pfec::RSVD);
}

// ---- protection keys (4.6.2, PK bit 5 of the error code) ----------------------------------

class ProtectionKeys : public NativeWalk {
 protected:
  void SetUp() override {
    NativeWalk::SetUp();
    ctl.cr4_pke = true;
    set_bits(kPte, g::key(3));
  }
  static constexpr std::uint64_t kAccessDisable3 = 1ull << 6;  // PKRU.AD3 = bit 2*3
  static constexpr std::uint64_t kWriteDisable3 = 1ull << 7;   // PKRU.WD3 = bit 2*3+1
};

TEST_F(ProtectionKeys, AccessDisableBlocksUserRead) {
  ctl.pkru = kAccessDisable3;
  expect_page_fault(walk(AccessKind::read, 3), pfec::P | pfec::U | pfec::PK);  // 0x25
}

TEST_F(ProtectionKeys, AccessDisableBlocksSupervisorReadOfUserAddress) {
  ctl.pkru = kAccessDisable3;
  expect_page_fault(walk(AccessKind::read, 0), pfec::P | pfec::PK);  // 0x21
}

TEST_F(ProtectionKeys, AccessDisableDoesNotBlockFetches) {
  ctl.pkru = kAccessDisable3;
  expect_translated(walk(AccessKind::fetch, 3), 0x5567);
}

TEST_F(ProtectionKeys, WriteDisableBlocksUserWriteOnly) {
  ctl.pkru = kWriteDisable3;
  expect_page_fault(walk(AccessKind::write, 3), pfec::P | pfec::W | pfec::U | pfec::PK);  // 0x27
  expect_translated(walk(AccessKind::read, 3), 0x5567);
}

TEST_F(ProtectionKeys, WriteDisableBlocksSupervisorWriteOnlyWithWp) {
  ctl.pkru = kWriteDisable3;
  ctl.cr0_wp = true;
  expect_page_fault(walk(AccessKind::write, 0), pfec::P | pfec::W | pfec::PK);  // 0x23
  ctl.cr0_wp = false;
  expect_translated(walk(AccessKind::write, 0), 0x5567);
}

TEST_F(ProtectionKeys, OtherKeysAndPkeClearHaveNoEffect) {
  ctl.pkru = 0x3 << 4;  // AD2 and WD2: key 2, not ours
  expect_translated(walk(AccessKind::write, 3), 0x5567);
  ctl.pkru = kAccessDisable3;
  ctl.cr4_pke = false;
  expect_translated(walk(AccessKind::read, 3), 0x5567);
}

TEST_F(ProtectionKeys, PkruDoesNotGovernSupervisorAddresses) {
  clear_bits(kPte, g::US);
  ctl.pkru = kAccessDisable3;
  expect_translated(walk(AccessKind::read, 0), 0x5567);
}

TEST_F(ProtectionKeys, PkBitAccompaniesAnOrdinaryRightsFault) {
  // 4.7: PK is set whenever the key check denies the access, even when R/W also does.
  clear_bits(kPte, g::RW);
  ctl.pkru = kWriteDisable3;
  expect_page_fault(walk(AccessKind::write, 3), pfec::P | pfec::W | pfec::U | pfec::PK);
}

// ---- accessed and dirty flags (4.8) ---------------------------------------------------------

TEST_F(NativeWalk, SuccessfulReadSetsAccessedAtEveryLevelAndNoDirty) {
  for (auto a : {kPml4e, kPdpte, kPde, kPte}) clear_bits(a, g::A | g::D);
  const auto w = walk(AccessKind::read, 0);
  expect_translated(w, 0x5567);
  for (unsigned level = 1; level <= 4; ++level) EXPECT_TRUE(w.sets_accessed[level]) << "level " << level;
  EXPECT_FALSE(w.sets_dirty);
}

TEST_F(NativeWalk, SuccessfulWriteSetsDirtyOnTheLeaf) {
  for (auto a : {kPml4e, kPdpte, kPde, kPte}) clear_bits(a, g::A | g::D);
  const auto w = walk(AccessKind::write, 0);
  expect_translated(w, 0x5567);
  for (unsigned level = 1; level <= 4; ++level) EXPECT_TRUE(w.sets_accessed[level]) << "level " << level;
  EXPECT_TRUE(w.sets_dirty);
}

TEST_F(NativeWalk, FlagsAlreadySetNeedNoUpdate) {
  const auto w = walk(AccessKind::write, 0);
  for (unsigned level = 1; level <= 4; ++level) EXPECT_FALSE(w.sets_accessed[level]);
  EXPECT_FALSE(w.sets_dirty);
}

TEST_F(NativeWalk, DirtyGoesOnTheLargePageLeaf) {
  mem.set(kPde, 0x200000 | g::P | g::RW | g::US | g::PS);  // A = D = 0
  const auto w = walk(AccessKind::write, 3);
  expect_translated(w, 0x204567);
  EXPECT_TRUE(w.sets_accessed[2]);
  EXPECT_FALSE(w.sets_accessed[1]);  // no PTE is used
  EXPECT_TRUE(w.sets_dirty);
}

TEST_F(NativeWalk, FaultingWalkRequiresNoFlagUpdates) {
  // 4.8 requires the flags of a translation that is used; for a walk that faults the
  // updates of the entries it did use are permitted, not required (docs: open points).
  for (auto a : {kPml4e, kPdpte, kPde}) clear_bits(a, g::A);
  mem.set(kPte, 0);
  const auto w = walk(AccessKind::read, 0);
  expect_page_fault(w, 0x0);
  for (unsigned level = 1; level <= 4; ++level) EXPECT_FALSE(w.sets_accessed[level]);
  EXPECT_TRUE(w.may_set_accessed[4]);
  EXPECT_TRUE(w.may_set_accessed[2]);
  EXPECT_FALSE(w.may_set_accessed[1]);  // the not-present PTE is not used
}

}  // namespace
}  // namespace vtspec::spec
