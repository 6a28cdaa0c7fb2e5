// Global TLB entries (CR4.PGE = 1, PTE bit 8) under INVLPG and every INVPCID type, with
// PCIDs enabled, the entry cached under the current PCID or under another one. Expected
// values from the SDM, not from a run of the model:
//   SDM Vol. 3A 4.10.2.4: a global TLB entry may be used with any PCID.
//   4.10.4.1 INVLPG: "invalidates any TLB entries for the page ... associated with the
//     current PCID ... It also invalidates any global TLB entries for the page ...
//     regardless of PCID"; non-global entries of other PCIDs are not required to go.
//   INVPCID (Vol. 2): type 0 "individual-address" - the address and PCID, except global
//     translations; type 1 "single-context" - the PCID, except global translations;
//   type 2 "all-context, including global translations"; type 3 "all-context" - except
//     global translations.
// Each scenario caches the page's translation, changes the PTE without invalidating (so
// both the old and the new translation are allowed, 4.10.4.3), then invalidates: a removed
// entry leaves only the new translation.
#include <gtest/gtest.h>

#include "model/tests/tlb_test_support.hpp"

namespace vtspec::model {
namespace {

using namespace testing;

constexpr std::uint64_t kVa = 0x400000;
constexpr std::uint64_t kOld = 0x20000, kNew = 0x30000;
constexpr std::uint64_t kNoFlush = std::uint64_t{1} << 63;

struct Scenario {
  GuestBuilder g;
  std::uint64_t pte = 0;
  explicit Scenario(std::uint64_t flags) {
    g.state.regs.cr4 |= cr4::pge | cr4::pcide;
    pte = g.map4k(kVa, kOld, flags);
  }
  // Caches kVa under PCID `cached_in`, changes the PTE, then runs in PCID `current`.
  Processor stale(std::uint64_t cached_in, std::uint64_t current, std::uint64_t flags) {
    Processor m(g.state);
    m.apply(with_value(OperationKind::mov_cr3, g.root | cached_in | kNoFlush));
    m.apply(access_op(kVa));
    m.apply(store(pte, kNew | flags));
    m.apply(with_value(OperationKind::mov_cr3, g.root | current | kNoFlush));
    return m;
  }
};

constexpr std::uint64_t kGlobal = P | RW | A | D | G;
constexpr std::uint64_t kLocal = P | RW | A | D;

TEST(TlbGlobalInvalidation, StaleGlobalEntryServesAnotherPcidBeforeInvalidation) {
  Scenario s(kGlobal);
  Processor m = s.stale(1, 2, kGlobal);
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld, kNew}));  // 4.10.2.4
}

TEST(TlbGlobalInvalidation, InvlpgRemovesGlobalEntryOfTheCurrentPcid) {
  Scenario s(kGlobal);
  Processor m = s.stale(1, 1, kGlobal);
  m.apply(invlpg(kVa));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kNew}));
}

TEST(TlbGlobalInvalidation, InvlpgRemovesGlobalEntryCachedUnderAnotherPcid) {
  Scenario s(kGlobal);
  Processor m = s.stale(1, 2, kGlobal);
  m.apply(invlpg(kVa));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kNew}));
  // Gone for every PCID: back in PCID 1 (no flush) only the new translation remains.
  m.apply(with_value(OperationKind::mov_cr3, s.g.root | 1 | kNoFlush));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kNew}));
}

TEST(TlbGlobalInvalidation, InvlpgNeedNotRemoveNonGlobalEntryOfAnotherPcid) {
  Scenario s(kLocal);
  Processor m = s.stale(1, 2, kLocal);
  m.apply(invlpg(kVa));
  m.apply(with_value(OperationKind::mov_cr3, s.g.root | 1 | kNoFlush));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld, kNew}));
}

TEST(TlbGlobalInvalidation, InvpcidIndividualAddressKeepsGlobalEntry) {
  Scenario s(kGlobal);
  Processor m = s.stale(1, 1, kGlobal);
  m.apply(invpcid(0, 1, kVa));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld, kNew}));
}

TEST(TlbGlobalInvalidation, InvpcidSingleContextKeepsGlobalEntry) {
  Scenario s(kGlobal);
  Processor m = s.stale(1, 1, kGlobal);
  m.apply(invpcid(1, 1));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld, kNew}));
}

TEST(TlbGlobalInvalidation, InvpcidAllContextsIncludingGlobalsRemovesGlobalEntryOfAnotherPcid) {
  Scenario s(kGlobal);
  Processor m = s.stale(1, 2, kGlobal);
  m.apply(invpcid(2, 0));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kNew}));
}

TEST(TlbGlobalInvalidation, InvpcidAllContextsKeepsGlobalEntry) {
  Scenario s(kGlobal);
  Processor m = s.stale(1, 2, kGlobal);
  m.apply(invpcid(3, 0));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kOld, kNew}));
}

TEST(TlbGlobalInvalidation, InvpcidSingleContextRemovesNonGlobalEntryOfThatPcid) {
  Scenario s(kLocal);
  Processor m = s.stale(1, 1, kLocal);
  m.apply(invpcid(1, 1));
  EXPECT_EQ(translations(m, request(kVa)), (Set{kNew}));
}

}  // namespace
}  // namespace vtspec::model
