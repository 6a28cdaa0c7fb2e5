// The ASID tag of AMD-V TLB entries and the hypervisor's TLB controls, on the model's TLB
// (AMD64 APM Vol. 2 15.16, 15.25). The guest runs under nested paging (GPA g -> host
// kEptOffset + g) and changes a leaf PTE without a flush; which translations stay allowed
// then depends only on the APM's rules for the entry's ASID:
//  - 15.16: "TLB entries are tagged with the ASID"; a guest only uses entries of its own ASID;
//  - 15.16.1 TLB_CONTROL: 0 flushes nothing, 1 the entire TLB (every ASID), 3 this guest's
//    ASID, 7 this guest's non-global entries;
//  - 15.16.2 INVLPGA: the mapping of one linear address in the ASID named by ECX, whatever
//    ASID the guest runs in.
// Expected values are the test's own page tables and these rules, never the model's output.
#include <gtest/gtest.h>

#include "model/tests/tlb_test_support.hpp"

namespace vtspec::model {
namespace {

using namespace testing;
using spec::AccessKind;
constexpr std::uint64_t kVa = 0x400000, kVa2 = 0x401000;  // PML4[0] PDPT[0] PD[2] PT[0], PT[1]
constexpr std::uint64_t kOld = 0x20000, kNew = 0x30000, kOld2 = 0x21000, kNew2 = 0x31000;
constexpr std::uint64_t kLeaf = P | RW | US | A | D;

// A guest in ASID `asid` that has read kVa (so its TLB may hold kVa -> kOld) and then
// pointed kVa's PTE at kNew without a flush.
struct StaleGuest {
  GuestBuilder g = GuestBuilder::nested();
  std::uint64_t pte = 0;
  Processor m;
  explicit StaleGuest(unsigned asid = 1, std::uint64_t cr4_extra = 0, std::uint64_t leaf_extra = 0)
      : g(GuestBuilder::nested(asid)), pte(g.map4k(kVa, kOld, kLeaf | leaf_extra)), m(prepare(g, cr4_extra)) {
    m.apply(access_op(kVa));
    m.apply(store(pte, kNew | kLeaf | leaf_extra));
  }
  static MachineState prepare(GuestBuilder& g, std::uint64_t cr4_extra) {
    g.state.regs.cr4 |= cr4_extra;
    return g.state;
  }
  Set now() const { return translations(m, request(kVa)); }
};
const Set kStale{kOld + kEptOffset, kNew + kEptOffset};
const Set kFresh{kNew + kEptOffset};

// 15.16: the stale entry belongs to ASID 1. TLB_CONTROL 0 keeps it, so ASID 1 still sees it
// after a VMRUN; in ASID 2 it is not used; back in ASID 1 it is there again.
TEST(TlbAsid, EntriesServeOnlyTheirOwnAsid) {
  StaleGuest s;
  EXPECT_EQ(s.now(), kStale);
  s.m.apply(vmrun(1, 0));
  EXPECT_EQ(s.now(), kStale);
  s.m.apply(vmrun(2, 0));
  EXPECT_EQ(s.now(), kFresh);
  s.m.apply(vmrun(1, 0));
  EXPECT_EQ(s.now(), kStale);
  EXPECT_TRUE(s.m.tlb().exact());
}

// 15.16.1: TLB_CONTROL 3 flushes the guest's own ASID only - an entry of ASID 1 survives a
// VMRUN into ASID 2 with TLB_CONTROL 3; a VMRUN into ASID 1 with 3 removes it.
TEST(TlbAsid, FlushThisGuestReachesOnlyTheEnteredAsid) {
  StaleGuest s;
  s.m.apply(vmrun(2, 3));
  s.m.apply(vmrun(1, 0));
  EXPECT_EQ(s.now(), kStale);
  s.m.apply(vmrun(1, 3));
  EXPECT_EQ(s.now(), kFresh);
}

// 15.16.1: TLB_CONTROL 1 flushes every ASID's entries, from whichever guest's VMRUN.
TEST(TlbAsid, FlushAllReachesEveryAsid) {
  StaleGuest s;
  s.m.apply(vmrun(2, 1));
  s.m.apply(vmrun(1, 0));
  EXPECT_EQ(s.now(), kFresh);
}

// 15.16.1: TLB_CONTROL 7 keeps the guest's global entries (PTE.G with the guest's CR4.PGE,
// APM Vol. 2 5.5.2) and removes the others: kVa is global, kVa2 is not.
TEST(TlbAsid, FlushNonGlobalKeepsGlobalEntries) {
  StaleGuest s(1, cr4::pge, G);
  const std::uint64_t pte2 = s.g.map4k(kVa2, kOld2);  // builder copy: write into the model too
  s.m.apply(store(pte2, kOld2 | kLeaf));
  s.m.apply(access_op(kVa2));
  s.m.apply(store(pte2, kNew2 | kLeaf));
  EXPECT_EQ(translations(s.m, request(kVa2)), (Set{kOld2 + kEptOffset, kNew2 + kEptOffset}));
  s.m.apply(vmrun(1, 7));
  EXPECT_EQ(s.now(), kStale);
  EXPECT_EQ(translations(s.m, request(kVa2)), (Set{kNew2 + kEptOffset}));
  s.m.apply(vmrun(1, 3));  // 3 removes global entries too
  EXPECT_EQ(s.now(), kFresh);
}

// 15.16.2: INVLPGA names its ASID. For ASID 2 it spares ASID 1's entry; for ASID 1 it
// removes it. It also reaches an ASID other than the running one: ASID 2's entry, removed
// while ASID 1 runs, is gone when ASID 2 runs again.
TEST(TlbAsid, InvlpgaReachesTheAsidItNames) {
  StaleGuest s;
  s.m.apply(invlpga(kVa, 2));
  EXPECT_EQ(s.now(), kStale);
  s.m.apply(invlpga(kVa + 0x1000, 1));  // another page
  EXPECT_EQ(s.now(), kStale);
  s.m.apply(invlpga(kVa, 1));
  EXPECT_EQ(s.now(), kFresh);

  StaleGuest t(2);
  t.m.apply(vmrun(1, 0));
  t.m.apply(invlpga(kVa | 0xabc, 2));  // any address in the page (15.16.2: rAX is a linear address)
  t.m.apply(vmrun(2, 0));
  EXPECT_EQ(t.now(), kFresh);
}

// 15.15.3: with the ASID clean bit (bit 2) set, the processor may use the ASID it cached at
// the last VMRUN of this VMCB instead of the VMCB's new one. A VMRUN into ASID 2 that sets
// it may leave the guest in ASID 1, whose entry may serve kVa: old and new both allowed. The
// next VMRUN without the bit reads ASID 2: new only. TLB_CONTROL 3 while it is unknown which
// ASID is "this guest's" removes nothing for certain, so the old translation stays allowed.
// Setting the bit without changing the ASID changes nothing.
TEST(TlbAsid, AsidCleanBitMayKeepTheCachedAsid) {
  constexpr std::uint64_t kAsidClean = 1u << 2;
  StaleGuest s;
  s.m.apply(vmrun(2, 0, kAsidClean));
  EXPECT_EQ(s.now(), kStale);
  EXPECT_TRUE(s.m.tlb().sound());
  s.m.apply(vmrun(2, 0));
  EXPECT_EQ(s.now(), kFresh);

  StaleGuest t;
  t.m.apply(vmrun(2, 3, kAsidClean));
  EXPECT_FALSE(t.m.tlb().exact());  // the flush left out: a superset from here on
  t.m.apply(vmrun(1, 0));
  EXPECT_EQ(t.now(), kStale);

  StaleGuest u;
  u.m.apply(vmrun(1, 0, kAsidClean));
  EXPECT_EQ(u.now(), kStale);
  u.m.apply(vmrun(1, 3, kAsidClean));
  EXPECT_EQ(u.now(), kFresh);
  EXPECT_TRUE(u.m.tlb().exact());
}

// 15.25.5/15.25.6: a write through a cached translation (the read left one) whose nested entry is read-only is a
// #VMEXIT(NPF): EXITINFO1 is a #PF error code with P (protection), W (write) and U (every
// nested access is a user access) and bit 32 (the fault was on the final guest-physical
// address, not on a guest table); EXITINFO2 is that guest-physical address.
TEST(TlbAsid, WriteThroughReadOnlyNestedEntryIsANestedPageFault) {
  GuestBuilder g = GuestBuilder::nested();
  g.map4k(kVa, kOld);
  const std::uint64_t npte = GuestBuilder::nested_pte_address(0x800000, kOld);
  g.state.memory.write64(npte, (kOld + kEptOffset) | P | US | A | D);
  Processor m(g.state);
  m.apply(access_op(kVa));
  const auto set = m.allowed(request(kVa + 0x18, AccessKind::write));
  // The fresh walk and the cached entry both give it; nothing else is allowed.
  ASSERT_FALSE(set.empty());
  bool from_entry = false;
  for (const auto& a : set) {
    EXPECT_EQ(a.outcome.kind, OutcomeKind::nested_page_fault);
    EXPECT_EQ(a.outcome.qualification, 0x100000007ull);
    EXPECT_EQ(a.outcome.guest_physical, kOld + 0x18);
    from_entry = from_entry || a.source == SourceKind::tlb_entry;
  }
  EXPECT_TRUE(from_entry);
}

}  // namespace
}  // namespace vtspec::model
