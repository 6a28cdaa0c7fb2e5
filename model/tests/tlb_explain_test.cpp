// Tlb::explain: each invalidation a cached entry survived is reported with the restriction
// of its reach that spared the entry and the SDM section stating it. The expected reasons
// come from the SDM's description of each operation, not from the model.
#include <gtest/gtest.h>

#include <string>

#include "model/tests/tlb_test_support.hpp"

namespace vtspec::model {
namespace {

using namespace testing;

constexpr std::uint64_t kVa = 0x400000;

// The TLB entry (not a paging-structure-cache entry) for kVa.
std::size_t tlb_entry(const Processor& m) {
  const auto& entries = m.tlb().entries();
  for (std::size_t i = 0; i < entries.size(); ++i)
    if (entries[i].kind == CacheKind::tlb && entries[i].tags.base == kVa) return i;
  ADD_FAILURE() << "no TLB entry for " << kVa;
  return 0;
}

bool mentions(const std::string& line, const std::string& part) { return line.find(part) != std::string::npos; }

// 4.10.4.1: MOV to CR3 with CR4.PCIDE = 0 invalidates TLB entries of PCID 000H except
// global ones (4.10.2.4); INVLPG of another page reaches only the TLB entries of that page.
TEST(TlbExplain, GlobalEntrySurvivesMovCr3AndInvlpgOfAnotherPage) {
  GuestBuilder g;
  g.state.regs.cr4 |= cr4::pge;
  g.map4k(kVa, 0x20000, P | RW | A | D | G);
  Processor m(g.state, {}, {.capacity = 0, .keep_log = true});
  m.apply(access_op(kVa));                                 // step 0 fills
  m.apply(with_value(OperationKind::mov_cr3, g.root));     // step 1
  m.apply(invlpg(kVa + 0x1000));                           // step 2
  const auto lines = m.tlb().explain(tlb_entry(m));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(mentions(lines[0], "step 0")) << lines[0];
  EXPECT_TRUE(mentions(lines[1], "step 1") && mentions(lines[1], "global") && mentions(lines[1], "4.10.4.1")) << lines[1];
  EXPECT_TRUE(mentions(lines[2], "step 2") && mentions(lines[2], "page of 0x401000") && mentions(lines[2], "4.10.4.1"))
      << lines[2];
}

// INVPCID single-context (type 1) reaches the named PCID only (4.10.4.1); INVEPT reaches
// guest-physical and combined mappings, not linear ones (29.4.3.1); INVVPID single-context
// reaches the named VPID only (29.4.3.1).
TEST(TlbExplain, EntrySurvivesInvalidationsOfOtherContextsAndKinds) {
  GuestBuilder g;
  g.state.regs.cr4 |= cr4::pcide;
  g.state.regs.cr3 = g.root | 1;  // PCID 1
  g.map4k(kVa, 0x20000);
  Processor m(g.state, VmxState{.non_root = true, .vpid = 3}, {.capacity = 0, .keep_log = true});
  m.apply(access_op(kVa));
  m.apply(invpcid(1, 2));
  m.apply(invept(2, 0));
  m.apply(invvpid(1, 4));
  const auto lines = m.tlb().explain(tlb_entry(m));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_TRUE(mentions(lines[1], "PCID 0x2 only") && mentions(lines[1], "4.10.1")) << lines[1];
  EXPECT_TRUE(mentions(lines[2], "does not reach linear mappings") && mentions(lines[2], "29.4.3.1")) << lines[2];
  EXPECT_TRUE(mentions(lines[3], "VPID 4 only") && mentions(lines[3], "29.4.3.1")) << lines[3];
}

}  // namespace
}  // namespace vtspec::model
