// ASID tagging and the AMD-V invalidations (AMD64 APM Vol. 2 15.16, 15.16.1 TLB_CONTROL, the
// INVLPGA page), through spec/tlb_tags.hpp and spec/tlb_invalidation.hpp. Expected values
// from the APM: TLB_CONTROL 1 flushes every ASID, 3 the guest's ASID, 7 its non-global
// entries; INVLPGA one page of one ASID, globals too; guest instructions act in their ASID.
#include <gtest/gtest.h>

#include "spec/tlb_invalidation.hpp"

namespace vtspec::spec {
namespace {

EntryTags<Concrete> tlb_entry(std::uint64_t asid, std::uint64_t page, bool global = false) {
  EntryTags<Concrete> t;
  t.asid = asid;
  t.global = global;
  t.base = page;
  t.mask = ~std::uint64_t{0xfff};
  return t;
}

bool removed(InvalidationKind kind, unsigned type, std::uint64_t asid, const EntryTags<Concrete>& t,
             std::uint64_t linear = 0x5000, std::uint64_t current_asid = 0) {
  InvalidationRequest<Concrete> r;
  r.kind = kind;
  r.type = type;
  r.asid = asid;
  r.linear = linear;
  r.current_asid = current_asid;
  return removes<Concrete>(required_invalidation<Concrete>(r), t);
}

TEST(AsidTags, AnEntryServesOnlyItsAsid) {
  LookupContext<Concrete> c;
  c.asid = 5;
  EXPECT_TRUE(may_serve_linear<Concrete>(tlb_entry(5, 0x5000), c, 0x5123));
  EXPECT_FALSE(may_serve_linear<Concrete>(tlb_entry(6, 0x5000), c, 0x5123));
  EXPECT_FALSE(may_serve_linear<Concrete>(tlb_entry(0, 0x5000, true), c, 0x5123));  // the host's global page
}

TEST(TlbControl, FlushAllReachesEveryAsidAndGlobals) {
  EXPECT_TRUE(removed(InvalidationKind::svm_tlb_control, 1, 5, tlb_entry(0, 0x5000, true)));
  EXPECT_TRUE(removed(InvalidationKind::svm_tlb_control, 1, 5, tlb_entry(9, 0x7000)));
}

TEST(TlbControl, FlushGuestReachesOnlyTheGuestAsid) {
  EXPECT_TRUE(removed(InvalidationKind::svm_tlb_control, 3, 5, tlb_entry(5, 0x5000, true)));
  EXPECT_FALSE(removed(InvalidationKind::svm_tlb_control, 3, 5, tlb_entry(6, 0x5000)));
  InvalidationRequest<Concrete> r;
  r.kind = InvalidationKind::svm_tlb_control;
  r.type = 3;
  r.asid = 5;
  EXPECT_EQ(sparing_clause(required_invalidation<Concrete>(r), tlb_entry(6, 0x5000)), ReachClause::asid);
}

TEST(TlbControl, FlushGuestNonGlobalKeepsGlobals) {
  EXPECT_FALSE(removed(InvalidationKind::svm_tlb_control, 7, 5, tlb_entry(5, 0x5000, true)));
  EXPECT_TRUE(removed(InvalidationKind::svm_tlb_control, 7, 5, tlb_entry(5, 0x5000, false)));
}

TEST(TlbControl, DoNothingKeepsEverything) {
  EXPECT_FALSE(removed(InvalidationKind::svm_tlb_control, 0, 5, tlb_entry(5, 0x5000)));
}

TEST(Invlpga, OnePageOfOneAsidGlobalsIncluded) {
  EXPECT_TRUE(removed(InvalidationKind::invlpga, 0, 5, tlb_entry(5, 0x5000, true), 0x5abc));
  EXPECT_FALSE(removed(InvalidationKind::invlpga, 0, 5, tlb_entry(5, 0x6000), 0x5abc));
  EXPECT_FALSE(removed(InvalidationKind::invlpga, 0, 5, tlb_entry(6, 0x5000), 0x5abc));
}

TEST(GuestInvlpg, ActsInTheCurrentAsidOnly) {
  EXPECT_TRUE(removed(InvalidationKind::invlpg, 0, 0, tlb_entry(5, 0x5000), 0x5000, 5));
  EXPECT_FALSE(removed(InvalidationKind::invlpg, 0, 0, tlb_entry(6, 0x5000), 0x5000, 5));
}

}  // namespace
}  // namespace vtspec::spec
