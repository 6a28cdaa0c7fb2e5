// The reference shadow VMM against outcomes worked out from the SDM by hand (not from the
// model): one 4-level walk for linear 0x400000 (PML4E 0 -> PDPTE 0 -> PDE 2 -> PTE 0) to the
// page at 0x10000, every entry P, R/W, U/S with A and D clear unless a test says otherwise.
#include <gtest/gtest.h>

#include "model/shadow/shadow_vmm.hpp"

namespace vtspec::model::shadow {
namespace {

constexpr std::uint64_t P = 1, RW = 2, US = 4, A = 0x20, D = 0x40;
constexpr std::uint64_t kLinear = 0x400000, kPage = 0x10000;
constexpr std::uint64_t kPml4e = 0x1000, kPdpte = 0x2000, kPde = 0x3000 + 2 * 8, kPte = 0x4000;

MachineState guest(std::uint64_t pte_flags = P | RW | US) {
  MachineState s;
  s.regs.cr3 = 0x1000;
  s.memory.write64(kPml4e, 0x2000 | P | RW | US);
  s.memory.write64(kPdpte, 0x3000 | P | RW | US);
  s.memory.write64(kPde, 0x4000 | P | RW | US);
  s.memory.write64(kPte, kPage | pte_flags);
  s.memory.write64(kPage + 8, 0x1122334455667788);
  return s;
}

Operation access(spec::AccessKind kind, unsigned cpl, std::uint64_t value = 0, std::uint64_t offset = 8) {
  Operation op;
  op.kind = OperationKind::access;
  op.access.linear = kLinear + offset;
  op.access.kind = kind;
  op.access.cpl = cpl;
  op.size = 8;
  op.value = value;
  return op;
}

Operation simple(OperationKind kind, std::uint64_t address, std::uint64_t value = 0) {
  Operation op;
  op.kind = kind;
  op.address = address;
  op.value = value;
  return op;
}

using K = spec::AccessKind;

// SDM Vol. 3A 4.8: a translation sets A in every paging-structure entry it uses; a read
// leaves D alone. The VMM does it (the hardware walks the shadows, not these entries).
TEST(ShadowVmm, ReadCompletesAndSetsTheGuestsAccessedFlags) {
  for (SyncPolicy policy : {SyncPolicy::write_protect, SyncPolicy::unsync_page_tables}) {
    ShadowVmm vmm(guest(), policy);
    EXPECT_EQ(vmm.run(access(K::read, 3)), Event::completed(0x1122334455667788));
    for (std::uint64_t e : {kPml4e, kPdpte, kPde, kPte}) EXPECT_EQ(vmm.guest().memory.read64(e) & (A | D), A) << std::hex << e;
    EXPECT_EQ(vmm.stats().page_fault_exits, 1u);  // the empty shadow
    EXPECT_EQ(vmm.run(access(K::read, 3)), Event::completed(0x1122334455667788));
    EXPECT_EQ(vmm.stats().page_fault_exits, 1u);  // now through the shadow
  }
}

// 4.8: a write sets D in the leaf. The shadow of a page whose guest D is clear is read-only,
// so the first write comes back to the VMM to set it.
TEST(ShadowVmm, FirstWriteSetsTheGuestsDirtyFlag) {
  ShadowVmm vmm(guest(), SyncPolicy::write_protect);
  ASSERT_EQ(vmm.run(access(K::read, 0)).kind, EventKind::completed);
  EXPECT_EQ(vmm.guest().memory.read64(kPte) & D, 0u);
  EXPECT_EQ(vmm.run(access(K::write, 0, 0xabcd)), Event::completed());
  EXPECT_EQ(vmm.guest().memory.read64(kPte) & D, D);
  EXPECT_EQ(vmm.guest().memory.read64(kPage + 8), 0xabcdu);
  EXPECT_EQ(vmm.stats().page_fault_exits, 2u);
}

// 4.6 and 4.7: a user-mode write to a read-only page is #PF with P, W and U/S set (0x7),
// CR2 the linear address.
TEST(ShadowVmm, UserWriteToReadOnlyPageFaultsWithTheGuestsErrorCode) {
  ShadowVmm vmm(guest(P | US), SyncPolicy::write_protect);
  EXPECT_EQ(vmm.run(access(K::write, 3, 1)), Event::exception(kPageFaultVector, 0x7, kLinear + 8));
  EXPECT_EQ(vmm.guest().memory.read64(kPage + 8), 0x1122334455667788u);  // nothing written
}

// 4.6: with CR0.WP = 0 a supervisor-mode write to a read-only page is allowed (the hardware
// runs with WP = 1, so the VMM writes it); with WP = 1 it is #PF with P and W (0x3).
TEST(ShadowVmm, SupervisorWriteUnderWp0IsEmulated) {
  MachineState s = guest(P | US);
  s.regs.cr0 &= ~cr0::wp;
  ShadowVmm wp0(s, SyncPolicy::write_protect);
  EXPECT_EQ(wp0.run(access(K::write, 0, 0x55)), Event::completed());
  EXPECT_EQ(wp0.guest().memory.read64(kPage + 8), 0x55u);
  EXPECT_EQ(wp0.stats().emulated_writes, 1u);
  ShadowVmm wp1(guest(P | US), SyncPolicy::write_protect);
  EXPECT_EQ(wp1.run(access(K::write, 0, 0x55)), Event::exception(kPageFaultVector, 0x3, kLinear + 8));
}

// 4.6.1 with CR0.WP = 0 and CR4.SMEP = 1, on a read-only user page: a supervisor write is
// allowed; a supervisor fetch is not (SMEP: #PF with P and I/D, 0x11); a user read is, and
// sees what the supervisor wrote; a user write is not (P, W, U/S: 0x7). Under the
// supervisor-writable-shadow policy the write runs through a writable U/S = 0 shadow, which
// must keep the fetch and the user accesses coming back to the VMM.
TEST(ShadowVmm, SupervisorWritableShadowUnderWp0KeepsSmepAndUserRights) {
  MachineState s = guest(P | US);
  s.regs.cr0 &= ~cr0::wp;
  s.regs.cr4 |= cr4::smep;
  for (ShadowBug bug : {ShadowBug::none, ShadowBug::wp0_ignores_smep}) {
    ShadowVmm vmm(s, ShadowPolicy(SyncPolicy::write_protect, Wp0Policy::supervisor_writable_shadow), bug);
    EXPECT_EQ(vmm.run(access(K::write, 0, 0x55)), Event::completed());
    EXPECT_EQ(vmm.guest().memory.read64(kPage + 8), 0x55u);
    EXPECT_EQ(vmm.stats().emulated_writes, 0u);  // the hardware wrote it, through the shadow
    EXPECT_EQ(vmm.run(access(K::write, 0, 0x66)), Event::completed());
    EXPECT_EQ(vmm.stats().page_fault_exits, 1u);  // the second write needed no exit
    const Event fetch = vmm.run(access(K::fetch, 0, 0, 0));
    if (bug == ShadowBug::none)
      EXPECT_EQ(fetch, Event::exception(kPageFaultVector, 0x11, kLinear));
    else
      EXPECT_EQ(fetch.kind, EventKind::completed) << "the planted bug lets the fetch through";
    EXPECT_EQ(vmm.run(access(K::read, 3)), Event::completed(0x66));
    EXPECT_EQ(vmm.run(access(K::write, 3, 1)), Event::exception(kPageFaultVector, 0x7, kLinear + 8));
  }
  // Under SMAP with EFLAGS.AC = 0 the supervisor write itself is refused (4.6.1: P and W,
  // 0x3). With AC = 1 it is allowed, but a U/S = 0 shadow would let later supervisor accesses
  // past SMAP once AC is clear again (STAC/CLAC do not exit): the VMM emulates the write.
  s.regs.cr4 |= cr4::smap;
  ShadowVmm smap(s, ShadowPolicy(SyncPolicy::write_protect, Wp0Policy::supervisor_writable_shadow));
  EXPECT_EQ(smap.run(access(K::write, 0, 0x77)), Event::exception(kPageFaultVector, 0x3, kLinear + 8));
  s.regs.rflags |= rflags::ac;
  ShadowVmm smap_ac(s, ShadowPolicy(SyncPolicy::write_protect, Wp0Policy::supervisor_writable_shadow));
  EXPECT_EQ(smap_ac.run(access(K::write, 0, 0x77)), Event::completed());
  EXPECT_EQ(smap_ac.stats().emulated_writes, 1u);
  EXPECT_EQ(smap_ac.guest().memory.read64(kPage + 8), 0x77u);
}

// 4.10.4.2/4.10.4.3: after software clears P in a PTE, the old translation may be used until
// the guest invalidates; INVLPG removes it (4.10.4.1). Write-protecting the page table makes
// the VMM follow the store at once; leaving it unsynced keeps the old translation (allowed)
// until the INVLPG.
TEST(ShadowVmm, GuestTableStoreUnderEachPolicy) {
  const Operation clear_present = simple(OperationKind::store_entry, kPte, kPage | RW | US | A);
  const Event not_present = Event::exception(kPageFaultVector, 0x4, kLinear + 8);  // user read, P = 0
  ShadowVmm protect(guest(), SyncPolicy::write_protect);
  ASSERT_EQ(protect.run(access(K::read, 3)).kind, EventKind::completed);
  protect.run(clear_present);
  EXPECT_EQ(protect.run(access(K::read, 3)), not_present);

  ShadowVmm unsync(guest(), SyncPolicy::unsync_page_tables);
  ASSERT_EQ(unsync.run(access(K::read, 3)).kind, EventKind::completed);
  unsync.run(clear_present);
  EXPECT_EQ(unsync.run(access(K::read, 3)), Event::completed(0x1122334455667788));  // the old translation
  unsync.run(simple(OperationKind::invlpg, kLinear));
  EXPECT_EQ(unsync.run(access(K::read, 3)), not_present);
}

// 4.10.4.1: a #PF invalidates the TLB entries of its linear address, so a read after a
// faulting write walks again. Under unsync the shadow may still hold the old read-only
// translation: the VMM must drop it when it gives the guest the #PF.
TEST(ShadowVmm, InjectedPageFaultDropsTheStaleShadow) {
  ShadowVmm vmm(guest(), SyncPolicy::unsync_page_tables);
  ASSERT_EQ(vmm.run(access(K::read, 3)).kind, EventKind::completed);  // shadow read-only: guest D = 0
  vmm.run(simple(OperationKind::store_entry, kPte, kPage | RW | US | A));  // P cleared, unsynced
  EXPECT_EQ(vmm.run(access(K::write, 3, 1)), Event::exception(kPageFaultVector, 0x6, kLinear + 8));
  EXPECT_EQ(vmm.run(access(K::read, 3)), Event::exception(kPageFaultVector, 0x4, kLinear + 8));
}

// 4.6: R/W and U/S combine over every level; a PDE without U/S makes the page supervisor-only
// even though the PTE has U/S: a user read is #PF with P and U/S (0x5).
TEST(ShadowVmm, ShadowRightsCombineEveryGuestLevel) {
  MachineState s = guest();
  s.memory.write64(kPde, 0x4000 | P | RW);
  ShadowVmm vmm(s, SyncPolicy::write_protect);
  EXPECT_EQ(vmm.run(access(K::read, 0)), Event::completed(0x1122334455667788));  // supervisor: fine
  EXPECT_EQ(vmm.run(access(K::read, 3)), Event::exception(kPageFaultVector, 0x5, kLinear + 8));
}

}  // namespace
}  // namespace vtspec::model::shadow
