// The VT-d walk mutants (checker/mutants/vtd_mutant.hpp) on hand-built tables: each
// expected value is computed by hand from the Intel VT-d specification (entry layouts 9.1,
// 9.3, 9.8; fault reasons 7.1.3 / Appendix A), not taken from spec/. The real walk faults
// where the spec says so, and the mutant does not.
#include <gtest/gtest.h>

#include <map>

#include "checker/mutants/vtd_mutant.hpp"
#include "model/iommu/remapping_unit.hpp"

namespace vtspec::checker {
namespace {

using spec::Concrete;

struct Words {
  std::map<std::uint64_t, std::uint64_t> w;
  std::uint64_t read_host(std::uint64_t a, unsigned, bool) const {
    const auto it = w.find(a);
    return it == w.end() ? 0 : it->second;
  }
};

// 9.8: R bit 0, W bit 1. 9.3: context AW in bits 66:64 (001b 39-bit, 010b 48-bit), DID 87:72.
constexpr std::uint64_t R = 1, W = 2;
// Root table 0x10000; context table 0x11000 for bus 0. Source 00:03.0 (devfn 0x18): AW 48-bit,
// SL-PML4 0x12000 -> SL-PDPT 0x13000 -> SL-PD 0x14000 -> SL-PT 0x15000 -> page 0x40000 (read
// only). Source 00:04.0 (devfn 0x20): AW 39-bit, the same tables from the SL-PDPT down.
// IOVA 0x80_8060_4567: SL-PML4 index (bits 47:39) 1, SL-PDPT index (38:30) 2, SL-PD index
// (29:21) 3, SL-PT index (20:12) 4, offset 0x567.
constexpr std::uint64_t kRta = 0x10000, kSid48 = 0x0018, kSid39 = 0x0020, kIova = 0x80'8060'4567;

class VtdMutants : public ::testing::Test {
 protected:
  Words mem;
  spec::iommu::VtdShape shape;
  void SetUp() override {
    const auto p = model::iommu::profile("qemu-7.2-aw48");  // SAGAW 39 + 48, MGAW 48
    shape.cap.raw = p.cap;
    shape.ecap.raw = p.ecap;
    shape.haw = 48;
    mem.w[kRta] = 0x11000 | 1;                              // bus 0: P, CTP 0x11000
    mem.w[0x11000 + 0x18 * 16] = 0x12000 | 1;               // P, TT 00b, SLPTPTR 0x12000
    mem.w[0x11000 + 0x18 * 16 + 8] = 0b010 | (7u << 8);     // AW 48-bit, DID 7
    mem.w[0x11000 + 0x20 * 16] = 0x13000 | 1;               // P, TT 00b, SLPTPTR 0x13000
    mem.w[0x11000 + 0x20 * 16 + 8] = 0b001 | (8u << 8);     // AW 39-bit, DID 8
    mem.w[0x12000 + 8 * 1] = 0x13000 | R | W;
    mem.w[0x13000 + 8 * 2] = 0x14000 | R | W;
    mem.w[0x14000 + 8 * 3] = 0x15000 | R | W;
    mem.w[0x15000 + 8 * 4] = 0x40000 | R;                   // read-only 4 KiB page
  }
  spec::iommu::VtdWalk<Concrete> walk(Mutation m, std::uint64_t sid, std::uint64_t iova, bool write) {
    return mutants::walk_vtd_mutant<Concrete>(m, shape, kRta, spec::iommu::DmaAccess<Concrete>{sid, iova, write}, mem);
  }
  static unsigned reason(const spec::iommu::VtdWalk<Concrete>& w) {
    return static_cast<unsigned>(spec::iommu::fault_reason_of(w));
  }
};

TEST_F(VtdMutants, UnmutatedReadTranslatesAndWriteToReadOnlyPageIsReason5) {
  const auto r = walk(Mutation::none, kSid48, kIova, false);
  EXPECT_TRUE(r.translated);
  EXPECT_EQ(r.physical, 0x40567u);
  const auto w = walk(Mutation::none, kSid48, kIova, true);
  EXPECT_FALSE(w.translated);
  EXPECT_EQ(reason(w), 0x5u);
}

TEST_F(VtdMutants, IgnoreWritePermissionWritesAReadOnlyPage) {
  const auto w = walk(Mutation::vtd_ignore_write_permission, kSid48, kIova, true);
  EXPECT_TRUE(w.translated);
  EXPECT_EQ(w.physical, 0x40567u);
  // Reads are unchanged.
  EXPECT_EQ(walk(Mutation::vtd_ignore_write_permission, kSid48, kIova, false).physical, 0x40567u);
}

TEST_F(VtdMutants, IgnoreWritePermissionWritesThroughANotPresentEntry) {
  mem.w[0x14000 + 8 * 3] = 0x15000;  // SL-PD entry R = W = 0: not present (9.8)
  EXPECT_EQ(reason(walk(Mutation::none, kSid48, kIova, true)), 0x5u);   // 7.1.3: write, W = 0
  EXPECT_EQ(reason(walk(Mutation::none, kSid48, kIova, false)), 0x6u);  // read, R = 0
  const auto w = walk(Mutation::vtd_ignore_write_permission, kSid48, kIova, true);
  EXPECT_TRUE(w.translated);  // follows the not-present entry's stale address
  EXPECT_EQ(w.physical, 0x40567u);
}

TEST_F(VtdMutants, AddressWidthUncheckedAliasesAnIovaBeyondMgaw) {
  // AGAW 48, MGAW 48: X = 48, so bit 48 set is beyond the width (reason 4).
  const std::uint64_t beyond = kIova | (std::uint64_t{1} << 48);
  EXPECT_EQ(reason(walk(Mutation::none, kSid48, beyond, false)), 0x4u);
  EXPECT_EQ(reason(walk(Mutation::none, kSid48, kIova | (std::uint64_t{1} << 63), false)), 0x4u);
  const auto m = walk(Mutation::vtd_address_width_unchecked, kSid48, beyond, false);
  EXPECT_TRUE(m.translated);
  EXPECT_EQ(m.physical, 0x40567u);  // bits 63:48 dropped: the page of kIova
}

TEST_F(VtdMutants, AddressWidthUncheckedAliasesAnIovaBeyondA39BitAgaw) {
  // 00:04.0 has AW 001b: AGAW 39 < MGAW 48, X = 39. IOVA 0x80_8060_4567 has bit 39 set.
  EXPECT_EQ(reason(walk(Mutation::none, kSid39, kIova, false)), 0x4u);
  EXPECT_EQ(walk(Mutation::none, kSid39, kIova & ((std::uint64_t{1} << 39) - 1), false).physical, 0x40567u);
  const auto m = walk(Mutation::vtd_address_width_unchecked, kSid39, kIova, false);
  EXPECT_TRUE(m.translated);
  EXPECT_EQ(m.physical, 0x40567u);
  // Within the width the mutant is the real walk.
  EXPECT_EQ(walk(Mutation::vtd_address_width_unchecked, kSid48, kIova, true).failure,
            walk(Mutation::none, kSid48, kIova, true).failure);
}

}  // namespace
}  // namespace vtspec::checker
