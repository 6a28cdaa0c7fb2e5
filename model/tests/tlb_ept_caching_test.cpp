// SDM-derived scenarios for what the model's caches hold and use under EPT and across VMX
// transitions: guest-physical mappings serving guest-physical addresses, combined
// paging-structure-cache entries holding host-physical table addresses, guest and EPT dirty
// flags through cached entries, host/guest control registers, and early accessed-flag
// updates on walks from a paging-structure-cache entry. Expected values are computed from
// the test's own page tables (EPT maps GPA g to host kEptOffset + g) and the SDM rule cited.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "model/tests/tlb_test_support.hpp"

namespace vtspec::model {
namespace {

using namespace testing;
using spec::AccessKind;
constexpr std::uint64_t kVa = 0x400000;          // PML4[0] PDPT[0] PD[2] PT[0]
constexpr std::uint64_t kOld = 0x20000, kNew = 0x30000, kOther = 0x50000;
constexpr std::uint64_t kEptRoot = 0x800000;
constexpr std::uint64_t kEptD = 0x200;           // EPT dirty flag, bit 9 (29.3.5)

bool has_update(const Outcome& o, std::uint64_t physical, std::uint64_t bits, bool ept) {
  return std::any_of(o.required.begin(), o.required.end(), [&](const FlagUpdate& u) {
    return u.physical == physical && u.ept == ept && (u.bits & bits) == bits;
  });
}
Operation vm_exit() { return op_of(OperationKind::vm_exit); }
// Vol. 3C 29.4.2: with EPT in use, "for accesses using guest-physical addresses, it may use
// guest-physical mappings associated with the current EP4TA" - the guest paging-structure
// references are such accesses. The VMM moves the guest page table (GPA 0x4000) to another
// host page holding a different PTE, without INVEPT; INVVPID removes the linear and combined
// mappings only (29.4.3.1). So the old page table is still reachable through the cached
// guest-physical mapping: both the old and the new translation are allowed. INVEPT
// single-context for another EP4TA leaves that; for this EP4TA it removes it.
TEST(TlbEptCaching, StaleGuestPhysicalMappingServesGuestPagingStructureReads) {
  GuestBuilder g(true, kEptRoot);
  g.map4k(kVa, kOld);
  const std::uint64_t pt_gpa = g.read(g.entry_address(kVa, 2)) & ~0xfffull;
  ASSERT_EQ(pt_gpa, 0x4000u);
  const std::uint64_t eptp = g.state.ept->eptp;
  const std::uint64_t moved_pt = kEptOffset + 0x100000;
  Processor m(g.state, VmxState{.non_root = true, .vpid = 1});
  m.apply(access_op(kVa));
  m.apply(vm_exit());
  m.apply(store(moved_pt, kNew | P | RW | US | A | D));
  m.apply(store(GuestBuilder::ept_pte_address(kEptRoot, pt_gpa), moved_pt | kEptRwx));
  m.apply(invvpid(1, 1));
  m.apply(invept(1, 0x900000 | (3u << 3) | 6u));  // another EP4TA
  m.apply(vm_entry(1, eptp));
  const auto set = m.allowed(request(kVa));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld + kEptOffset, kNew + kEptOffset}));
  const auto stale = std::find_if(set.begin(), set.end(), [](const AllowedOutcome& a) {
    return a.outcome.kind == OutcomeKind::translated && a.outcome.physical == kOld + kEptOffset;
  });
  ASSERT_NE(stale, set.end());
  EXPECT_EQ(stale->source, SourceKind::guest_physical_entry);
  ASSERT_EQ(stale->guest_physical_entries.size(), 1u);
  EXPECT_EQ(m.tlb().entries()[stale->guest_physical_entries[0]].tags.base, pt_gpa);
  m.apply(vm_exit());
  m.apply(invept(1, eptp));
  m.apply(vm_entry(1, eptp));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kNew + kEptOffset}));
}

// 29.4.2 creates guest-physical mappings from the EPT paging structures whatever becomes of
// the guest walk, and a #PF invalidates only linear and combined mappings for its address
// (4.10.4.1, 29.4.3.1). So a walk that ends in a not-present #PF (kVa + 4K has no PTE) may
// leave a mapping for the page table's GPA, which a later walk for kVa may use after the
// VMM moved that page table - although kVa itself was never accessed before.
TEST(TlbEptCaching, FaultingWalkMayStillCacheGuestPhysicalMappings) {
  GuestBuilder g(true, kEptRoot);
  g.map4k(kVa, kOld);
  const std::uint64_t pt_gpa = g.read(g.entry_address(kVa, 2)) & ~0xfffull;
  const std::uint64_t eptp = g.state.ept->eptp;
  const std::uint64_t moved_pt = kEptOffset + 0x100000;
  Processor m(g.state, VmxState{.non_root = true, .vpid = 1});
  const auto set = m.allowed(request(kVa + 0x1000));
  ASSERT_EQ(set.front().outcome.kind, OutcomeKind::page_fault);
  EXPECT_EQ(set.front().outcome.error_code, 0x0u);  // not present, read, supervisor
  m.apply(access_op(kVa + 0x1000), &set.front());
  m.apply(vm_exit());
  m.apply(store(moved_pt, kNew | P | RW | US | A | D));
  m.apply(store(GuestBuilder::ept_pte_address(kEptRoot, pt_gpa), moved_pt | kEptRwx));
  m.apply(vm_entry(1, eptp));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld + kEptOffset, kNew + kEptOffset}));
}

// 29.4.2 again, for the final guest-physical address: the EPT leaf of the data page changes
// without INVEPT; after INVVPID (no combined translation left) the guest walk's final GPA
// may still be translated by the cached guest-physical mapping. INVEPT global removes it.
TEST(TlbEptCaching, StaleGuestPhysicalMappingServesTheFinalAccess) {
  GuestBuilder g(true, kEptRoot);
  g.map4k(kVa, kOld);
  const std::uint64_t eptp = g.state.ept->eptp;
  const std::uint64_t moved = kEptOffset + 0x200000;
  Processor m(g.state, VmxState{.non_root = true, .vpid = 1});
  m.apply(access_op(kVa));
  m.apply(vm_exit());
  m.apply(store(GuestBuilder::ept_pte_address(kEptRoot, kOld), moved | kEptRwx));
  m.apply(invvpid(1, 1));
  m.apply(vm_entry(1, eptp));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld + kEptOffset, moved}));
  m.apply(vm_exit());
  m.apply(invept(2, 0));
  m.apply(vm_entry(1, eptp));
  EXPECT_EQ(translations(m, request(kVa)), (Set{moved}));
}

// Vol. 3C 29.4.1: a combined paging-structure-cache entry maps a linear region "to the
// physical address of the paging structure" - the host-physical address, so using it reads
// the next table without translating its guest-physical address through EPT. Here the EPT
// entry for the page table becomes not present, and an EPT violation on that GPA (through
// an aliasing PDE for another 2-MByte region) removes the guest-physical mapping for it
// (29.4.3.1) but not kVa's PDE-cache entry. The PDE-cache entry still reaches the old page
// table (whose PTE the VMM changed to kOther): kOther's translation is allowed, as is the
// combined TLB entry's; a fresh walk faults.
TEST(TlbEptCaching, CombinedStructureEntryHoldsTheHostPhysicalTableAddress) {
  GuestBuilder g(true, kEptRoot);
  g.map4k(kVa, kOld);
  const std::uint64_t pde = g.entry_address(kVa, 2);
  const std::uint64_t pt_gpa = g.read(pde) & ~0xfffull;
  const std::uint64_t alias = kVa + 0x200000;  // PD[3] -> the same page table
  g.write(pde + 8, g.read(pde));
  const std::uint64_t eptp = g.state.ept->eptp;
  Processor m(g.state, VmxState{.non_root = true, .vpid = 1});
  m.apply(access_op(kVa));
  const auto pde_cache = std::find_if(m.tlb().entries().begin(), m.tlb().entries().end(), [](const CachedEntry& e) {
    return e.kind == CacheKind::paging_structure && e.level == 2;
  });
  ASSERT_NE(pde_cache, m.tlb().entries().end());
  EXPECT_EQ(pde_cache->next_table, pt_gpa + kEptOffset);

  m.apply(vm_exit());
  m.apply(store(GuestBuilder::ept_pte_address(kEptRoot, pt_gpa), 0));
  m.apply(store(pt_gpa + kEptOffset, kOther | P | RW | US | A | D));
  m.apply(vm_entry(1, eptp));
  const auto set = m.allowed(request(alias));
  ASSERT_EQ(set.front().outcome.kind, OutcomeKind::ept_violation);
  EXPECT_EQ(set.front().outcome.guest_physical, pt_gpa);
  m.apply(access_op(alias), &set.front());

  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld + kEptOffset, kOther + kEptOffset}));
}

// 29.3.5: with EPTP[6] = 1 a write sets the dirty flag of the EPT leaf for the GPA. A
// combined translation filled by a read (EPT D clear) cannot be written through without
// setting it; one filled by a write, or after such a write, needs no update - and, as for
// the guest dirty flag (4.10.4.3), if the VMM clears EPT D without INVEPT a write through
// the cached translation may leave it clear while a fresh walk sets it.
TEST(TlbEptCaching, EptDirtyFlagThroughCombinedTranslation) {
  GuestBuilder g(true, kEptRoot);
  g.map4k(kVa, kOld);
  g.state.ept->eptp |= 1u << 6;
  const std::uint64_t ept_pte = GuestBuilder::ept_pte_address(kEptRoot, kOld);
  Processor m(g.state, VmxState{.non_root = true, .vpid = 1});
  m.apply(access_op(kVa));
  const auto write = request(kVa, AccessKind::write);
  auto set = m.allowed(write);
  const auto via_tlb = std::find_if(set.begin(), set.end(), [](const AllowedOutcome& a) { return a.source == SourceKind::tlb_entry; });
  ASSERT_NE(via_tlb, set.end());
  EXPECT_TRUE(has_update(via_tlb->outcome, ept_pte, kEptD, true));
  m.apply(access_op(kVa, AccessKind::write), &*via_tlb);
  EXPECT_TRUE(m.state().memory.read64(ept_pte) & kEptD);

  m.apply(vm_exit());
  m.apply(store(ept_pte, (kOld + kEptOffset) | kEptRwx));  // D cleared, no INVEPT
  m.apply(vm_entry(1, g.state.ept->eptp));
  set = m.allowed(write);
  ASSERT_EQ(set.front().source, SourceKind::fresh_walk);
  EXPECT_TRUE(has_update(set.front().outcome, ept_pte, kEptD, true));
  const auto cached = std::find_if(set.begin(), set.end(), [](const AllowedOutcome& a) { return a.source == SourceKind::tlb_entry; });
  ASSERT_NE(cached, set.end());
  EXPECT_EQ(cached->outcome.kind, OutcomeKind::translated);
  EXPECT_FALSE(has_update(cached->outcome, ept_pte, kEptD, true));
}

// 29.3.5 through a cached guest-physical mapping: the EPT leaf for kOld moves without
// INVEPT; a write whose final GPA is translated by the stale mapping (filled by a read, EPT
// D clear) must set D in the EPT leaf the mapping came from.
TEST(TlbEptCaching, EptDirtyFlagThroughGuestPhysicalMapping) {
  GuestBuilder g(true, kEptRoot);
  g.map4k(kVa, kOld);
  g.state.ept->eptp |= 1u << 6;
  const std::uint64_t eptp = g.state.ept->eptp;
  const std::uint64_t ept_pte = GuestBuilder::ept_pte_address(kEptRoot, kOld);
  const std::uint64_t moved = kEptOffset + 0x200000;
  Processor m(g.state, VmxState{.non_root = true, .vpid = 1});
  m.apply(access_op(kVa));
  m.apply(vm_exit());
  m.apply(store(ept_pte, moved | kEptRwx));
  m.apply(invvpid(1, 1));
  m.apply(vm_entry(1, eptp));
  const auto set = m.allowed(request(kVa, AccessKind::write));
  const auto stale = std::find_if(set.begin(), set.end(), [](const AllowedOutcome& a) {
    return a.outcome.kind == OutcomeKind::translated && a.outcome.physical == kOld + kEptOffset;
  });
  ASSERT_NE(stale, set.end());
  EXPECT_EQ(stale->source, SourceKind::guest_physical_entry);
  EXPECT_TRUE(has_update(stale->outcome, ept_pte, kEptD, true));
  ASSERT_EQ(stale->dirtied_guest_physical.size(), 1u);
  m.apply(access_op(kVa, AccessKind::write), &*stale);
  // The mapping is now cached dirty: another write through it needs no EPT D update.
  bool stale_again = false;
  for (const auto& a : m.allowed(request(kVa, AccessKind::write))) {
    if (a.source != SourceKind::guest_physical_entry || a.outcome.physical != kOld + kEptOffset) continue;
    stale_again = true;
    EXPECT_FALSE(has_update(a.outcome, ept_pte, kEptD, true));
  }
  EXPECT_TRUE(stale_again);
}

// 4.8 / 4.10.4.3 for the guest dirty flag (native): a TLB entry filled by a read of a page
// whose PTE has D = 0 cannot serve a write without setting D in that PTE.
TEST(TlbEptCaching, GuestDirtyFlagThroughTlbEntryFilledClean) {
  GuestBuilder g;
  const std::uint64_t pte = g.map4k(kVa, kOld, P | RW | US | A);
  Processor m(g.state);
  m.apply(access_op(kVa));
  const auto set = m.allowed(request(kVa, AccessKind::write));
  const auto via_tlb = std::find_if(set.begin(), set.end(), [](const AllowedOutcome& a) { return a.source == SourceKind::tlb_entry; });
  ASSERT_NE(via_tlb, set.end());
  EXPECT_TRUE(has_update(via_tlb->outcome, pte, D, false));
}

// VM exit loads the host's CR3/CR4 from the host-state area and VM entry the guest's (Vol.
// 3C, "Loading Host State" / "Loading Guest State"): a guest MOV to CR3 changes the guest's
// CR3 only. Host and guest page tables map kVa differently here.
TEST(TlbEptCaching, HostAndGuestControlRegistersAreSeparate) {
  GuestBuilder g;
  g.map4k(kVa, kOld);                  // guest tables at root 0x1000
  const std::uint64_t guest_root = g.root;
  g.root = 0x80000;
  g.next_table = 0x81000;
  g.map4k(kVa, kOther);                // host tables at root 0x80000
  const std::uint64_t host_root = g.root;
  g.root = 0x90000;
  g.next_table = 0x91000;
  g.map4k(kVa, kNew);                  // a second guest address space at 0x90000
  MachineState host_state = g.state;
  host_state.regs.cr3 = host_root;
  GuestRegisters guest_regs = g.state.regs;
  guest_regs.cr3 = guest_root;
  Processor m(host_state, VmxState{.other_registers = guest_regs});
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOther}));
  m.apply(vm_entry(1));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld}));
  m.apply(with_value(OperationKind::mov_cr3, 0x90000));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kNew}));
  m.apply(vm_exit());
  EXPECT_EQ(m.state().regs.cr3, host_root);
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOther}));
  m.apply(vm_entry(1));
  EXPECT_EQ(m.state().regs.cr3, 0x90000u);
  EXPECT_EQ(translations(m, request(kVa)), (Set{kNew}));
}

// 4.8 does not say whether a walk that later faults marks the entries it used accessed
// (spec::AccessedFlagPolicy: both are allowed). That holds for a walk continuing from a
// paging-structure-cache entry (4.10.3.2) too. The PDE-cache entry points to the old page
// table, whose PTE is now supervisor-only with A = 0; a user read through it faults with
// error code P | U = 0x5, either with A set in that PTE (eager) or without (lazy).
TEST(TlbEptCaching, EarlyAccessedFlagOnWalkFromStructureEntry) {
  GuestBuilder g;
  const std::uint64_t old_pte = g.map4k(kVa, kOld);
  const std::uint64_t pde = g.entry_address(kVa, 2);
  const std::uint64_t new_pt = 0x70000;
  Processor m(g.state);
  m.apply(access_op(kVa, AccessKind::read, 3));
  m.apply(store(new_pt, kNew | P | RW | US | A | D));
  m.apply(store(pde, new_pt | kUpper));
  m.apply(store(old_pte, kOld | P | RW));  // supervisor, A = 0
  std::size_t pde_cache = m.tlb().entries().size();
  for (std::size_t i = 0; i < m.tlb().entries().size(); ++i)
    if (m.tlb().entries()[i].kind == CacheKind::paging_structure && m.tlb().entries()[i].level == 2) pde_cache = i;
  ASSERT_LT(pde_cache, m.tlb().entries().size());
  bool lazy = false, eager = false;
  for (const auto& a : m.allowed(request(kVa, AccessKind::read, 3))) {
    if (a.source != SourceKind::structure_entry || a.entry != pde_cache) continue;
    ASSERT_EQ(a.outcome.kind, OutcomeKind::page_fault);
    EXPECT_EQ(a.outcome.error_code, 0x5u);
    if (a.outcome.required.empty()) lazy = true;
    if (has_update(a.outcome, old_pte, A, false)) eager = true;
  }
  EXPECT_TRUE(lazy);
  EXPECT_TRUE(eager);
}

// ---- Guest-physical paging-structure-cache entries (cached upper EPT entries) ----------
// Vol. 3C 29.4.1: "Guest-physical paging-structure-cache entries. Each of these is a mapping
// from the upper portion of a guest-physical address to the physical address of the EPT
// paging structure used to translate the corresponding region of the guest-physical address
// space, along with information about access privileges", tagged by EP4TA; 29.4.2: with EPT
// in use the processor may use guest-physical mappings of the current EP4TA. GuestBuilder's
// EPT: PML4 at kEptRoot, PDPT +0x1000, PD +0x2000, PT +0x3000 (GPA [0, 1 MByte)).
constexpr std::uint64_t kOld2 = 0x21000;                 // kVa + 4K maps here
constexpr std::uint64_t kEptPde = kEptRoot + 0x2000;     // EPT PD[0]: GPA [0, 2 MByte)
constexpr std::uint64_t kEptPt = kEptRoot + 0x3000;
constexpr std::uint64_t kNewEptPt = kEptRoot + 0x10000;  // a second EPT page table (host)

const CachedEntry* ept_pde_cache_for(const Processor& m, std::uint64_t gpa) {
  for (const auto& e : m.tlb().entries())
    if (e.kind == CacheKind::ept_structure && e.level == 2 && (gpa & e.tags.mask) == e.tags.base) return &e;
  return nullptr;
}
bool uses_ept_pde_cache(const Processor& m, const AllowedOutcome& a) {
  return std::any_of(a.guest_physical_entries.begin(), a.guest_physical_entries.end(), [&](std::size_t i) {
    return m.tlb().entries()[i].kind == CacheKind::ept_structure && m.tlb().entries()[i].level == 2;
  });
}

// The VMM re-points the EPT PDE for GPA [0, 2 MByte) to a new EPT page table that maps kOld
// elsewhere, without INVEPT (the old EPT page table stays in memory unchanged). Only kVa + 4K
// was accessed, so no translation of kOld itself is cached; but the EPT PDE-cache entry
// still leads to the old EPT page table, whose current PTE maps kOld to kEptOffset + kOld:
// old and new host addresses are both allowed. INVVPID removes only linear and combined
// mappings, INVEPT single-context for another EP4TA only that EP4TA's (29.4.3.1); INVEPT
// single-context for this EP4TA removes the entry, and only the new address is left.
TEST(TlbEptCaching, StaleEptPdeCacheEntryUsesTheCurrentLowerEptEntries) {
  GuestBuilder g(true, kEptRoot);
  g.map4k(kVa, kOld);
  g.map4k(kVa + 0x1000, kOld2);
  const std::uint64_t eptp = g.state.ept->eptp;
  const std::uint64_t moved = kEptOffset + 0x200000;
  Processor m(g.state, VmxState{.non_root = true, .vpid = 1});
  m.apply(access_op(kVa + 0x1000));
  const CachedEntry* pde_cache = ept_pde_cache_for(m, kOld);
  ASSERT_NE(pde_cache, nullptr);
  EXPECT_EQ(pde_cache->next_table, kEptPt);
  EXPECT_EQ(pde_cache->page_size(), 0x200000u);
  EXPECT_FALSE(pde_cache->tags.linear_tagged);
  EXPECT_EQ(pde_cache->tags.ep4ta, eptp & ~0xfffull);
  EXPECT_TRUE(pde_cache->ept_rights.read && pde_cache->ept_rights.write && pde_cache->ept_rights.execute);

  m.apply(vm_exit());
  for (std::uint64_t i = 0; i < 256; ++i) m.apply(store(kNewEptPt + 8 * i, m.state().memory.read64(kEptPt + 8 * i)));
  m.apply(store(kNewEptPt + 8 * (kOld >> 12), moved | kEptRwx));
  m.apply(store(kEptPde, kNewEptPt | 0x107));
  m.apply(invvpid(1, 1));
  m.apply(invept(1, 0x900000 | (3u << 3) | 6u));  // another EP4TA
  m.apply(vm_entry(1, eptp));
  const auto set = m.allowed(request(kVa));
  EXPECT_EQ(set.front().outcome.physical, moved);  // the fresh walk
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld + kEptOffset, moved}));
  const auto stale = std::find_if(set.begin(), set.end(), [](const AllowedOutcome& a) {
    return a.outcome.kind == OutcomeKind::translated && a.outcome.physical == kOld + kEptOffset;
  });
  ASSERT_NE(stale, set.end());
  EXPECT_EQ(stale->source, SourceKind::guest_physical_entry);
  EXPECT_TRUE(uses_ept_pde_cache(m, *stale));

  m.apply(vm_exit());
  m.apply(invept(1, eptp));
  m.apply(vm_entry(1, eptp));
  EXPECT_EQ(ept_pde_cache_for(m, kOld), nullptr);
  EXPECT_EQ(translations(m, request(kVa)), (Set{moved}));
}

// 29.4.1: "No guest-physical mappings or combined mappings are created with information
// derived from EPT paging-structure entries that are not present (bits 2:0 are all 0)". The
// EPT PDE for GPA [2 MByte, 4 MByte) is not present, so the access to kFar faults and caches
// nothing for that region; once the VMM makes the EPT PDE present (no INVEPT is needed, the
// SDM says nothing can be cached), the only allowed outcome is the new translation.
TEST(TlbEptCaching, NotPresentEptPdeCreatesNoCacheEntry) {
  constexpr std::uint64_t kFar = 0x200000;
  GuestBuilder g(true, kEptRoot);
  g.map4k(kVa, kFar);
  const std::uint64_t eptp = g.state.ept->eptp;
  Processor m(g.state, VmxState{.non_root = true, .vpid = 1});
  const auto set = m.allowed(request(kVa));
  ASSERT_EQ(set.front().outcome.kind, OutcomeKind::ept_violation);
  EXPECT_EQ(set.front().outcome.guest_physical, kFar);
  m.apply(access_op(kVa), &set.front());
  EXPECT_EQ(ept_pde_cache_for(m, kFar), nullptr);
  for (const auto& e : m.tlb().entries()) {
    const bool covers_far = !e.tags.linear_tagged && (kFar & e.tags.mask) == e.tags.base;
    EXPECT_FALSE(covers_far && e.kind == CacheKind::guest_physical) << e.describe();
    EXPECT_FALSE(covers_far && e.level <= 2) << e.describe();
  }

  m.apply(vm_exit());
  m.apply(store(kNewEptPt, (kEptOffset + 0x300000) | kEptRwx));
  m.apply(store(kEptPde + 8, kNewEptPt | 0x107));
  m.apply(vm_entry(1, eptp));
  for (const auto& a : m.allowed(request(kVa))) {
    EXPECT_EQ(a.outcome.kind, OutcomeKind::translated) << to_string(a.source);
    EXPECT_EQ(a.outcome.physical, kEptOffset + 0x300000);
  }
}

// 29.4.1 "along with information about access privileges": an EPT PDE-cache entry filled
// while the EPT PDE allowed read and execute only keeps those rights after the VMM grants
// write in memory without INVEPT. A guest write to kOld (never accessed before, so no
// translation of it is cached) may then cause an EPT violation through the cached entry:
// Table 28-7 qualification = write (bit 1) | readable (3) | executable (5) | linear address
// valid (7) | access to the final translation (8) = 0x1aa. That violation invalidates the
// guest-physical mappings used to translate kOld (29.4.3.1) - the PDE-cache entry with them
// - so afterwards only the translation is allowed.
TEST(TlbEptCaching, StaleEptPdeCacheEntryKeepsItsAccessRights) {
  GuestBuilder g(true, kEptRoot);
  g.map4k(kVa, kOld);
  g.map4k(kVa + 0x1000, kOld2);
  g.state.memory.write64(kEptPde, kEptPt | 0x105);  // R - X, accessed
  const std::uint64_t eptp = g.state.ept->eptp;
  Processor m(g.state, VmxState{.non_root = true, .vpid = 1});
  m.apply(access_op(kVa + 0x1000));
  const CachedEntry* pde_cache = ept_pde_cache_for(m, kOld);
  ASSERT_NE(pde_cache, nullptr);
  EXPECT_TRUE(pde_cache->ept_rights.read);
  EXPECT_FALSE(pde_cache->ept_rights.write);

  m.apply(vm_exit());
  m.apply(store(kEptPde, kEptPt | 0x107));
  m.apply(invvpid(1, 1));
  m.apply(vm_entry(1, eptp));
  const auto write = request(kVa, AccessKind::write);
  const auto set = m.allowed(write);
  EXPECT_EQ(translations(m, write), (Set{kOld + kEptOffset}));
  const auto violation = std::find_if(set.begin(), set.end(), [](const AllowedOutcome& a) {
    return a.outcome.kind == OutcomeKind::ept_violation;
  });
  ASSERT_NE(violation, set.end());
  EXPECT_EQ(violation->outcome.guest_physical, kOld);
  EXPECT_EQ(violation->outcome.qualification, 0x1aau);
  EXPECT_TRUE(uses_ept_pde_cache(m, *violation));

  m.apply(access_op(kVa, AccessKind::write), &*violation);
  EXPECT_EQ(ept_pde_cache_for(m, kOld), nullptr);
  for (const auto& a : m.allowed(write)) {
    EXPECT_EQ(a.outcome.kind, OutcomeKind::translated) << to_string(a.source);
    EXPECT_EQ(a.outcome.physical, kOld + kEptOffset);
  }
}

}  // namespace
}  // namespace vtspec::model
