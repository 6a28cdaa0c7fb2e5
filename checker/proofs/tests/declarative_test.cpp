// The declarative transcriptions against cases worked by hand from the SDM text, so the
// tables the obligations compare against are themselves checked against the SDM.
#include <gtest/gtest.h>

#include <map>

#include "checker/declarative/ept_translation.hpp"
#include "checker/declarative/linear_translation.hpp"

namespace vtspec::checker::declarative {
namespace {

using spec::Concrete;

RightsFacts<Concrete> facts(bool user_access, Kind kind) {
  RightsFacts<Concrete> f{};
  f.user_access = user_access;
  f.write = kind == Kind::write;
  f.fetch = kind == Kind::fetch;
  f.implicit = false;
  f.cr0_wp = true;
  f.efer_nxe = true;
  f.cr4_smep = f.cr4_smap = f.cr4_pke = f.cr4_pks = f.rflags_ac = false;
  f.pkru = f.pkrs = 0;
  f.user_address = true;
  f.rw_everywhere = true;
  f.xd_somewhere = false;
  f.key = 0;
  return f;
}

// SDM Vol. 3C Table 25-9: EPTP 0x1e is memory type WB (6) with bits 5:3 = 3, a 4-level walk;
// 0x26 has bits 5:3 = 4, a 5-level walk.
TEST(EptTranslationTable, EptpBits5To3AreTheWalkLengthMinusOne) {
  EXPECT_EQ(eptp_page_walk_length(0x1e), 4u);
  EXPECT_EQ(eptp_page_walk_length(0x8000000 | 0x5e), 4u);  // with EPT A/D (bit 6) and a root
  EXPECT_EQ(eptp_page_walk_length(0x26), 5u);
}

TEST(AccessRightsTable, SupervisorWritesToReadOnlyPagesDependOnWP) {  // SDM 4.6.1, data writes
  auto f = facts(false, Kind::write);
  f.user_address = false;
  f.rw_everywhere = false;
  EXPECT_FALSE(judge_access<Concrete>(f).permitted);
  f.cr0_wp = false;
  EXPECT_TRUE(judge_access<Concrete>(f).permitted);
}

TEST(AccessRightsTable, UserWritesToReadOnlyPagesFaultEvenWithWP0) {
  auto f = facts(true, Kind::write);
  f.rw_everywhere = false;
  f.cr0_wp = false;
  EXPECT_FALSE(judge_access<Concrete>(f).permitted);
}

TEST(AccessRightsTable, SmapAllowsExplicitAccessesWithAcButNeverImplicitOnes) {
  auto f = facts(false, Kind::read);
  f.cr4_smap = true;
  EXPECT_FALSE(judge_access<Concrete>(f).permitted);
  f.rflags_ac = true;
  EXPECT_TRUE(judge_access<Concrete>(f).permitted);
  f.implicit = true;
  EXPECT_FALSE(judge_access<Concrete>(f).permitted);
}

TEST(AccessRightsTable, SmepBlocksSupervisorFetchesFromUserPages) {
  auto f = facts(false, Kind::fetch);
  EXPECT_TRUE(judge_access<Concrete>(f).permitted);
  f.cr4_smep = true;
  EXPECT_FALSE(judge_access<Concrete>(f).permitted);
  f.user_address = false;
  EXPECT_TRUE(judge_access<Concrete>(f).permitted);
}

TEST(AccessRightsTable, ProtectionKeysRestrictDataAccessesOnly) {  // SDM 4.6.2
  auto f = facts(true, Kind::read);
  f.cr4_pke = true;
  f.key = 1;
  f.pkru = 1u << 2;  // AD1
  EXPECT_FALSE(judge_access<Concrete>(f).permitted);
  EXPECT_TRUE(judge_access<Concrete>(f).key_denies);
  f.fetch = true;
  EXPECT_TRUE(judge_access<Concrete>(f).permitted);
  f = facts(false, Kind::write);
  f.cr4_pke = true;
  f.key = 2;
  f.pkru = 1u << 5;  // WD2: supervisor writes blocked only with WP=1
  EXPECT_FALSE(judge_access<Concrete>(f).permitted);
  f.cr0_wp = false;
  EXPECT_TRUE(judge_access<Concrete>(f).permitted);
}

// A 4-level table at 0x1000.. mapping linear 0x400000 with the given leaf flags.
struct Tables {
  std::map<std::uint64_t, std::uint64_t> mem;
  std::uint64_t read(std::uint64_t a) const { auto it = mem.find(a); return it == mem.end() ? 0 : it->second; }
  explicit Tables(std::uint64_t leaf) {
    mem[0x1000] = 0x2000 | 0x7;
    mem[0x2000] = 0x3000 | 0x7;
    mem[0x3000 + 2 * 8] = 0x4000 | 0x7;
    mem[0x4000] = 0x5000 | leaf;
  }
};

TEST(LinearTranslation, ErrorCodesOfWorkedExamples) {  // SDM 4.7, Figure 4-12
  const LinearShape shape{4, 46, true};
  auto run = [&](const Tables& t, RightsFacts<Concrete> f) {
    return translate_linear<Concrete>(shape, f, 0x1000, 0x400123, [&](std::uint64_t a) { return t.read(a); });
  };
  auto ok = run(Tables(0x7), facts(true, Kind::read));
  EXPECT_FALSE(ok.page_fault);
  EXPECT_EQ(ok.physical, 0x5123u);
  EXPECT_EQ(run(Tables(0x6), facts(true, Kind::write)).error_code, 0x6u);            // not present, user write
  EXPECT_EQ(run(Tables(0x5), facts(true, Kind::write)).error_code, 0x7u);            // read-only, user write
  EXPECT_EQ(run(Tables(0x7 | (1ull << 47)), facts(false, Kind::read)).error_code, 0x9u);  // bit 47 is in 51:MAXPHYADDR: RSVD
  auto xd = run(Tables(0x7 | (1ull << 63)), facts(true, Kind::fetch));
  EXPECT_EQ(xd.error_code, 0x15u);  // P, U/S, I/D
  auto pk = facts(true, Kind::read);
  pk.cr4_pke = true;
  pk.pkru = 1u << 6;  // AD3
  EXPECT_EQ(run(Tables(0x7 | (3ull << 59)), pk).error_code, 0x25u);  // P, U/S, PK
}

TEST(EptTranslation, WorkedExamplesOfTable28_7) {
  spec::EptCapabilities caps;
  std::map<std::uint64_t, std::uint64_t> mem = {{0x1000, 0x2007}, {0x2000, 0x3007}, {0x3000, 0x4007}};
  auto run = [&](std::uint64_t leaf, bool read, bool write, bool fetch) {
    mem[0x4000] = 0x9000 | leaf;
    spec::EptAccess<Concrete> a;
    a.read = read;
    a.write = write;
    a.fetch = fetch;
    return translate_guest_physical<Concrete>(4, caps, 0x1000 | 6 | (3 << 3), 0x10, a, spec::EptAccessOrigin<Concrete>{},
                                              [&](std::uint64_t x) { auto it = mem.find(x); return it == mem.end() ? 0 : it->second; });
  };
  EXPECT_TRUE(run(0x2 | (6 << 3), true, false, false).misconfig);   // write-only: 29.3.3.1
  EXPECT_TRUE(run(0x7 | (2 << 3), true, false, false).misconfig);   // memory type 2 reserved
  auto xo = run(0x4 | (6 << 3), false, false, true);                // execute-only, supported
  EXPECT_TRUE(xo.translated);
  EXPECT_EQ(xo.physical, 0x9010u);
  auto v = run(0x4 | (6 << 3), true, false, false);                 // read of an execute-only page
  EXPECT_TRUE(v.violation);
  EXPECT_EQ(v.qualification, 0x1u | 0x20u | 0x80u | 0x100u);       // read; X; linear valid; final
  auto np = run(0, false, true, false);                             // not present
  EXPECT_TRUE(np.violation);
  EXPECT_EQ(np.qualification, 0x2u | 0x80u | 0x100u);
}

}  // namespace
}  // namespace vtspec::checker::declarative
