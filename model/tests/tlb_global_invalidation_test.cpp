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

#include <iterator>
#include <optional>
#include <string>

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

// One scenario: the leaf's flags, the PCID the page is cached under and the one the CPU runs
// in, the invalidation (none: 4.10.2.4 alone), and the translations allowed afterwards, first
// in the current PCID and then back in the PCID the page was cached under.
struct Case {
  const char* name;
  std::uint64_t flags;
  std::uint64_t cached_in, current;
  std::optional<Operation> invalidation;
  Set allowed, allowed_back;
};

const Case kCases[] = {
    {"StaleGlobalEntryServesAnotherPcid", kGlobal, 1, 2, std::nullopt, {kOld, kNew}, {kOld, kNew}},
    {"InvlpgRemovesGlobalEntryOfTheCurrentPcid", kGlobal, 1, 1, invlpg(kVa), {kNew}, {kNew}},
    {"InvlpgRemovesGlobalEntryCachedUnderAnotherPcidForEveryPcid", kGlobal, 1, 2, invlpg(kVa), {kNew}, {kNew}},
    {"InvlpgNeedNotRemoveNonGlobalEntryOfAnotherPcid", kLocal, 1, 2, invlpg(kVa), {kNew}, {kOld, kNew}},
    {"InvpcidIndividualAddressKeepsGlobalEntry", kGlobal, 1, 1, invpcid(0, 1, kVa), {kOld, kNew}, {kOld, kNew}},
    {"InvpcidSingleContextKeepsGlobalEntry", kGlobal, 1, 1, invpcid(1, 1), {kOld, kNew}, {kOld, kNew}},
    {"InvpcidSingleContextRemovesNonGlobalEntryOfThatPcid", kLocal, 1, 1, invpcid(1, 1), {kNew}, {kNew}},
    {"InvpcidAllContextsWithGlobalsRemovesGlobalEntryOfAnotherPcid", kGlobal, 1, 2, invpcid(2, 0), {kNew}, {kNew}},
    {"InvpcidAllContextsKeepsGlobalEntry", kGlobal, 1, 2, invpcid(3, 0), {kOld, kNew}, {kOld, kNew}},
};

class TlbGlobalInvalidation : public ::testing::TestWithParam<std::size_t> {};

TEST_P(TlbGlobalInvalidation, AllowsExactlyWhatTheSdmLeaves) {
  ASSERT_LT(GetParam(), std::size(kCases));
  const Case& c = kCases[GetParam()];
  Scenario s(c.flags);
  Processor m = s.stale(c.cached_in, c.current, c.flags);
  if (c.invalidation) m.apply(*c.invalidation);
  EXPECT_EQ(translations(m, request(kVa)), c.allowed);
  m.apply(with_value(OperationKind::mov_cr3, s.g.root | c.cached_in | kNoFlush));
  EXPECT_EQ(translations(m, request(kVa)), c.allowed_back);
}

INSTANTIATE_TEST_SUITE_P(Cases, TlbGlobalInvalidation, ::testing::Range<std::size_t>(0, std::size(kCases)),
                         [](const auto& info) { return std::string(kCases[info.param].name); });

}  // namespace
}  // namespace vtspec::model
