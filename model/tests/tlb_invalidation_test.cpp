// SDM-derived scenarios for the TLB and paging-structure-cache model. Every expected value
// is stated from SDM Vol. 3A 4.10 / Vol. 3C 29.4 (section cited per test), not taken from a
// run of the model.
#include <gtest/gtest.h>

#include <set>

#include "model/tests/tlb_test_support.hpp"

namespace vtspec::model {
namespace {

using namespace testing;
using spec::AccessKind;


constexpr std::uint64_t kVa = 0x400000;
constexpr std::uint64_t kOther = 0x7000000;
constexpr std::uint64_t kOld = 0x20000, kNew = 0x30000;

// 4.10.4.3 / 4.10.2: a modified PTE without invalidation may still be used from the TLB;
// INVLPG (4.10.4.1) removes it, after which only the fresh walk remains.
TEST(TlbInvalidation, PteChangeWithoutFlushAllowsOldAndNewAndInvlpgLeavesNew) {
  GuestBuilder g;
  const auto pte = g.map4k(kVa, kOld);
  Processor m(g.state);
  m.apply(access_op(kVa));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld}));
  m.apply(store(pte, kNew | P | RW | US | A | D));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld, kNew}));
  m.apply(invlpg(kVa));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kNew}));
}

// 4.10.2.2: no entry is created from a walk that ends in a not-present fault.
TEST(TlbInvalidation, NotPresentFaultFillsNothing) {
  GuestBuilder g;
  g.map4k(kVa, kOld);
  Processor m(g.state);
  m.apply(access_op(kOther));
  EXPECT_TRUE(m.tlb().entries().empty());
  EXPECT_EQ(page_faults(m, request(kOther)), (Set{0x0}));  // P=0, read, supervisor
}

// 4.10.2.4 + 4.10.4.1: MOV to CR3 keeps global entries; INVPCID type 2 removes them.
TEST(TlbInvalidation, GlobalEntrySurvivesMovCr3ButNotInvpcidAllContexts) {
  GuestBuilder g;
  g.state.regs.cr4 |= cr4::pge | cr4::pcide;
  const auto pte = g.map4k(kVa, kOld, P | RW | A | D | G);
  const auto pte2 = g.map4k(kOther, kOld + 0x1000, P | RW | A | D);  // not global
  Processor m(g.state);
  m.apply(access_op(kVa));
  m.apply(access_op(kOther));
  m.apply(store(pte, kNew | P | RW | A | D | G));
  m.apply(store(pte2, (kNew + 0x1000) | P | RW | A | D));
  m.apply(with_value(OperationKind::mov_cr3, g.root | 1));  // flushes PCID 1 only, but globals of any
  m.apply(with_value(OperationKind::mov_cr3, g.root));      // flushes PCID 0 except globals
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld, kNew}));
  EXPECT_EQ(translations(m, request(kOther)), (Set{kNew + 0x1000}));
  m.apply(invpcid(2, 0));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kNew}));
}

// 4.10.2.4: a global entry serves every PCID; a non-global one only its own.
TEST(TlbInvalidation, GlobalEntryServesOtherPcidNonGlobalDoesNot) {
  GuestBuilder g;
  g.state.regs.cr4 |= cr4::pge | cr4::pcide;
  const auto pte = g.map4k(kVa, kOld, P | RW | A | D | G);
  const auto pte2 = g.map4k(kOther, kOld + 0x1000, P | RW | A | D);
  Processor m(g.state);
  m.apply(access_op(kVa));
  m.apply(access_op(kOther));
  m.apply(store(pte, kNew | P | RW | A | D | G));
  m.apply(store(pte2, (kNew + 0x1000) | P | RW | A | D));
  m.apply(with_value(OperationKind::mov_cr3, g.root | 5 | (std::uint64_t{1} << 63)));  // PCID 5, no flush
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld, kNew}));
  EXPECT_EQ(translations(m, request(kOther)), (Set{kNew + 0x1000}));
}

// 4.10.4.1: with bit 63 set MOV to CR3 need not invalidate; without it, it invalidates the
// new PCID's non-global entries.
TEST(TlbInvalidation, MovCr3WithBit63KeepsTheNewPcidsEntries) {
  GuestBuilder g;
  g.state.regs.cr4 |= cr4::pcide;
  g.state.regs.cr3 = g.root | 1;
  const auto pte = g.map4k(kVa, kOld);
  Processor m(g.state);
  m.apply(access_op(kVa));                                   // PCID 1 entry
  m.apply(with_value(OperationKind::mov_cr3, g.root | 2));  // flushes PCID 2
  m.apply(store(pte, kNew | P | RW | US | A | D));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kNew}));    // PCID 2: nothing cached
  m.apply(with_value(OperationKind::mov_cr3, g.root | 1 | (std::uint64_t{1} << 63)));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld, kNew}));
  m.apply(with_value(OperationKind::mov_cr3, g.root | 1));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kNew}));
}

// 4.10.4.3: raising R/W without invalidation can give a spurious #PF through the stale entry;
// 4.10.4.1: that #PF invalidates the entries for the address, so it does not recur.
TEST(TlbInvalidation, RaisedPermissionFaultsThroughStaleEntryAndTheFaultRemovesIt) {
  GuestBuilder g;
  const auto pte = g.map4k(kVa, kOld, P | US | A | D);  // read-only
  Processor m(g.state);
  m.apply(access_op(kVa));
  m.apply(store(pte, kOld | P | RW | US | A | D));
  const auto write = request(kVa, AccessKind::write);
  const auto set = m.allowed(write);
  EXPECT_EQ(translations(m, write), (Set{kOld}));
  EXPECT_EQ(page_faults(m, write), (Set{0x3}));  // P=1 (protection), W=1, supervisor
  const auto fault = std::find_if(set.begin(), set.end(), [](const AllowedOutcome& a) {
    return a.outcome.kind == OutcomeKind::page_fault;
  });
  ASSERT_NE(fault, set.end());
  m.apply(access_op(kVa, AccessKind::write), &*fault);
  EXPECT_EQ(page_faults(m, write), Set{});
  EXPECT_EQ(translations(m, write), (Set{kOld}));
}

// 4.10.3.2: a stale PDE-cache entry may be combined with the current PTEs below it.
TEST(TlbInvalidation, StaleUpperLevelWithFreshLowerLevelIsAllowed) {
  GuestBuilder g;
  const auto pte = g.map4k(kVa, kOld);
  const auto pde = g.entry_address(kVa, 2);
  const std::uint64_t old_pt = g.read(pde) & ~0xfffull;
  const std::uint64_t new_pt = 0x90000;
  Processor m(g.state);
  m.apply(access_op(kVa));
  g.write(new_pt + 8 * ((kVa >> 12) & 511), kNew | P | RW | US | A | D);
  m.apply(store(new_pt + 8 * ((kVa >> 12) & 511), kNew | P | RW | US | A | D));
  m.apply(store(pde, new_pt | kUpper));
  m.apply(store(pte, 0x50000 | P | RW | US | A | D));  // the old page table changes too
  (void)old_pt;
  // TLB: kOld; PDE cache (old PT, current PTE): 0x50000; fresh walk: kNew.
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld, 0x50000, kNew}));
  m.apply(invlpg(kVa));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kNew}));
}

// 4.10.4.1: INVLPG removes every paging-structure-cache entry of the current PCID, even for
// other addresses, but TLB entries only for its page.
TEST(TlbInvalidation, InvlpgReachesAllStructureEntriesButOneTlbPage) {
  GuestBuilder g;
  const auto pte = g.map4k(kVa, kOld);
  g.map4k(kVa + 0x1000, kOld + 0x1000);
  Processor m(g.state);
  m.apply(access_op(kVa));
  m.apply(access_op(kVa + 0x1000));
  m.apply(invlpg(kVa + 0x1000));
  bool structure_left = false, tlb_for_kva = false, tlb_for_other = false;
  for (const auto& e : m.tlb().entries()) {
    structure_left |= e.kind == CacheKind::paging_structure;
    tlb_for_kva |= e.kind == CacheKind::tlb && e.tags.base == kVa;
    tlb_for_other |= e.kind == CacheKind::tlb && e.tags.base == kVa + 0x1000;
  }
  EXPECT_FALSE(structure_left);
  EXPECT_TRUE(tlb_for_kva);
  EXPECT_FALSE(tlb_for_other);
  (void)pte;
}

// INVPCID type 0: the page and PCID given, not globals, not other pages; type 1: the PCID,
// not globals; type 3: all PCIDs, not globals.
TEST(TlbInvalidation, InvpcidTypesReach) {
  GuestBuilder g;
  g.state.regs.cr4 |= cr4::pge | cr4::pcide;
  const auto pte_a = g.map4k(kVa, kOld);
  const auto pte_b = g.map4k(kOther, kOld + 0x1000);
  const auto pte_g = g.map4k(kOther + 0x1000, kOld + 0x2000, P | RW | US | A | D | G);
  Processor m(g.state);
  for (auto va : {kVa, kOther, kOther + 0x1000}) m.apply(access_op(va));
  m.apply(store(pte_a, kNew | P | RW | US | A | D));
  m.apply(store(pte_b, (kNew + 0x1000) | P | RW | US | A | D));
  m.apply(store(pte_g, (kNew + 0x2000) | P | RW | US | A | D | G));
  m.apply(invpcid(0, 0, kVa));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kNew}));
  EXPECT_EQ(translations(m, request(kOther)), (Set{kOld + 0x1000, kNew + 0x1000}));
  m.apply(invpcid(0, 0, kOther + 0x1000));
  EXPECT_EQ(translations(m, request(kOther + 0x1000)), (Set{kOld + 0x2000, kNew + 0x2000}));
  m.apply(invpcid(1, 7));  // another PCID: nothing of PCID 0 goes
  EXPECT_EQ(translations(m, request(kOther)), (Set{kOld + 0x1000, kNew + 0x1000}));
  m.apply(invpcid(1, 0));
  EXPECT_EQ(translations(m, request(kOther)), (Set{kNew + 0x1000}));
  m.apply(invpcid(3, 0));
  EXPECT_EQ(translations(m, request(kOther + 0x1000)), (Set{kOld + 0x2000, kNew + 0x2000}));
  m.apply(invpcid(2, 0));
  EXPECT_EQ(translations(m, request(kOther + 0x1000)), (Set{kNew + 0x2000}));
}

// 4.10.4.1 MOV to CR4: PGE change flushes everything; SMEP 0 -> 1 the current PCID; SMAP
// changes need nothing.
TEST(TlbInvalidation, MovCr4Reach) {
  GuestBuilder g;
  g.state.regs.cr4 |= cr4::pge;
  g.state.regs.cr4 &= ~(cr4::smep | cr4::smap);
  const auto pte = g.map4k(kVa, kOld, P | RW | A | D | G);
  Processor m(g.state);
  m.apply(access_op(kVa));
  m.apply(store(pte, kNew | P | RW | A | D | G));
  m.apply(with_value(OperationKind::mov_cr4, g.state.regs.cr4 | cr4::smap));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld, kNew}));
  m.apply(with_value(OperationKind::mov_cr4, g.state.regs.cr4 | cr4::smap | cr4::smep));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kNew}));
  m.apply(access_op(kVa));
  m.apply(store(pte, kOld | P | RW | A | D | G));
  m.apply(with_value(OperationKind::mov_cr4, (g.state.regs.cr4 | cr4::smap | cr4::smep) & ~cr4::pge));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld}));
}

// 4.10.4.1 MOV to CR0: CR0.PG 1 -> 0 flushes everything; CR0.WP changes need nothing.
TEST(TlbInvalidation, MovCr0Reach) {
  GuestBuilder g;
  const auto pte = g.map4k(kVa, kOld);
  Processor m(g.state);
  m.apply(access_op(kVa));
  m.apply(store(pte, kNew | P | RW | US | A | D));
  m.apply(with_value(OperationKind::mov_cr0, g.state.regs.cr0 & ~cr0::wp));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld, kNew}));
  m.apply(with_value(OperationKind::mov_cr0, g.state.regs.cr0 & ~cr0::pg));
  m.apply(with_value(OperationKind::mov_cr0, g.state.regs.cr0));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kNew}));
}

// 29.4.3.1 INVVPID: single context for VPID 2 leaves VPID 3 usable; all-context spares
// VPID 0; VM entry/exit with VPIDs disabled flush VPID 0.
TEST(TlbInvalidation, InvvpidSingleContextLeavesOtherVpid) {
  GuestBuilder g;
  const auto pte = g.map4k(kVa, kOld);
  Processor m(g.state);
  m.apply(vm_entry(2));
  m.apply(access_op(kVa));
  m.apply(op_of(OperationKind::vm_exit));
  m.apply(vm_entry(3));
  m.apply(access_op(kVa));
  m.apply(op_of(OperationKind::vm_exit));
  m.apply(store(pte, kNew | P | RW | US | A | D));
  m.apply(invvpid(1, 2));
  m.apply(vm_entry(3));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld, kNew}));
  m.apply(op_of(OperationKind::vm_exit));
  m.apply(vm_entry(2));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kNew}));
  m.apply(op_of(OperationKind::vm_exit));
  m.apply(invvpid(3, 3));  // retaining globals: the entry is not global, it goes
  m.apply(vm_entry(3));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kNew}));
}

TEST(TlbInvalidation, InvvpidAllContextsSparesVpid0AndVmTransitionsWithoutVpidFlushIt) {
  GuestBuilder g;
  const auto pte = g.map4k(kVa, kOld);
  Processor m(g.state);  // root operation: VPID 0
  m.apply(access_op(kVa));
  m.apply(vm_entry(4));
  m.apply(access_op(kVa));
  m.apply(op_of(OperationKind::vm_exit));
  m.apply(store(pte, kNew | P | RW | US | A | D));
  m.apply(invvpid(2, 0));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld, kNew}));  // VPID 0 spared
  m.apply(vm_entry(4));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kNew}));        // VPID 4 gone
  m.apply(op_of(OperationKind::vm_exit));
  m.apply(vm_entry(0));  // VPIDs disabled: entry and exit flush VPID 0
  m.apply(op_of(OperationKind::vm_exit));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kNew}));
}

TEST(TlbInvalidation, InvvpidIndividualAddressReachesGlobalsOfThatPageOnly) {
  GuestBuilder g;
  g.state.regs.cr4 |= cr4::pge;
  const auto pte = g.map4k(kVa, kOld, P | RW | US | A | D | G);
  const auto pte2 = g.map4k(kOther, kOld + 0x1000);
  Processor m(g.state, VmxState{.non_root = true, .vpid = 6});
  m.apply(access_op(kVa));
  m.apply(access_op(kOther));
  m.apply(store(pte, kNew | P | RW | US | A | D | G));
  m.apply(store(pte2, (kNew + 0x1000) | P | RW | US | A | D));
  m.apply(invvpid(0, 6, kVa));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kNew}));
  EXPECT_EQ(translations(m, request(kOther)), (Set{kOld + 0x1000, kNew + 0x1000}));
}

// 29.4.3.1 INVEPT: single context removes the combined mappings of that EP4TA only;
// changing the EPTP (VM entry with another EPTP) needs no invalidation - the other EP4TA's
// entries simply do not match (29.4.2) and come back when the EPTP does.
TEST(TlbInvalidation, InveptSingleContextAndEptpChange) {
  GuestBuilder g(true, 0x800000);
  g.map4k(kVa, kOld);
  const std::uint64_t eptp_a = g.state.ept->eptp;
  const std::uint64_t eptp_b = 0x900000 | (3u << 3) | 6u;
  g.build_ept(0x900000, kEptOffset);  // same mapping under a second EP4TA
  Processor m(g.state, VmxState{.non_root = true, .vpid = 1});
  m.apply(access_op(kVa));  // combined entry under EP4TA A
  // The VMM remaps the final guest page in EPT A without INVEPT.
  m.apply(vm_entry(1, eptp_b));
  m.apply(access_op(kVa));  // combined entry under EP4TA B
  const std::uint64_t moved = 0x5000000;
  Operation edit_a = store(0, 0);  // host write: done on the state directly below
  (void)edit_a;
  MachineState s = m.state();
  (void)s;
  // Edit EPT A's leaf for GPA kOld through the host: model it as VM exit + host store.
  m.apply(op_of(OperationKind::vm_exit));
  m.apply(store(GuestBuilder::ept_pte_address(0x800000, kOld), moved | kEptRwx));  // host: GPA = HPA
  m.apply(vm_entry(1, eptp_a));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld + kEptOffset, moved}));
  m.apply(op_of(OperationKind::vm_exit));
  m.apply(invept(1, eptp_b));  // the other EP4TA: A's stale entry stays
  m.apply(vm_entry(1, eptp_a));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld + kEptOffset, moved}));
  m.apply(op_of(OperationKind::vm_exit));
  m.apply(invept(1, eptp_a));
  m.apply(vm_entry(1, eptp_a));
  EXPECT_EQ(translations(m, request(kVa)), (Set{moved}));
  m.apply(vm_entry(1, eptp_b));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld + kEptOffset}));  // B's entry matches B's EPT
  m.apply(invept(2, 0));
  for (const auto& e : m.tlb().entries()) EXPECT_FALSE(e.tags.ept_tagged) << e.describe();
}

// 29.4.3.1: an EPT violation through a stale combined mapping invalidates it.
TEST(TlbInvalidation, EptViolationThroughStaleCombinedMappingRemovesIt) {
  GuestBuilder g(true, 0x800000);
  g.map4k(kVa, kOld);
  Processor m(g.state, VmxState{.non_root = true, .vpid = 1});
  const std::uint64_t eptp = g.state.ept->eptp;
  m.apply(access_op(kVa));
  m.apply(op_of(OperationKind::vm_exit));
  m.apply(store(GuestBuilder::ept_pte_address(0x800000, kOld), (kOld + kEptOffset) | 0x1 | (6u << 3) | 0x100));  // read-only
  m.apply(vm_entry(1, eptp));
  const auto write = request(kVa, AccessKind::write);
  auto set = m.allowed(write);
  const auto v = std::find_if(set.begin(), set.end(), [](const AllowedOutcome& a) { return a.outcome.kind == OutcomeKind::ept_violation; });
  ASSERT_NE(v, set.end());
  EXPECT_EQ(v->outcome.guest_physical, kOld);
  EXPECT_EQ(translations(m, write), (Set{kOld + kEptOffset}));  // the stale combined mapping
  m.apply(access_op(kVa, AccessKind::write), &*v);
  EXPECT_EQ(translations(m, write), Set{});
}

}  // namespace
}  // namespace vtspec::model
