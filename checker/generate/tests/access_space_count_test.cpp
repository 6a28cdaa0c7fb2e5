// The access-test space's size (docs/access-space.md) from two sides: the closed form of the
// docs, written out here, against the generator's own enumeration; and kvm-unit-tests'
// x86/access.c emulated independently (its AC_* flags, invalid mask and ac_test_legal, as
// the docs describe them) against the part of the space that covers it.
#include <gtest/gtest.h>
#include <utility>
#include <string>
#include <tuple>
#include <set>

#include <algorithm>
#include <bit>
#include <vector>

#include "checker/generate/access_space.hpp"

namespace vtspec::generate::access_space {
namespace {

// ---- The closed form (docs/access-space.md, "The count") --------------------------------

struct Formula {
  unsigned maxphyaddr;
  bool kvm_unit_tests_only;
  bool pku;

  std::uint64_t k() const { return (maxphyaddr <= 51) + (maxphyaddr <= 36); }  // reserved address bits
  std::uint64_t keys() const { return pku ? 2 : 1; }
  // Family pt, per PDPTE variant and leaf key: NXE = 1 and NXE = 0.
  std::uint64_t pt() const {
    return 1024 * 4 * (1 + 2 * k()) + 64 * (2 + k()) + 1024 * (3 + 2 * k()) + 32 * (3 + k());
  }
  // Family pdpt, per leaf key, before the walks family pt already has (2 per NXE and key).
  std::uint64_t pdpt() const { return 2048 * (5 + 4 * k()) + 512 * (9 + 4 * k()); }
  std::uint64_t walks() const {
    const std::uint64_t w_pt = 2 * keys() * pt();
    return kvm_unit_tests_only ? w_pt : w_pt + keys() * pdpt() - 4 * keys();
  }
  std::uint64_t registers_per_nxe() const {  // WP x SMEP x (SMAP, AC) x (PKE, AD, WD)
    return 2 * (kvm_unit_tests_only ? 1 : 2 * 3) * (pku ? 5 : 1);
  }
  std::uint64_t accesses() const { return kvm_unit_tests_only ? 12 : 20; }
  std::uint64_t cases() const { return walks() * registers_per_nxe() * accesses(); }
};

TEST(AccessSpaceCount, FormulaAgreesWithTheGenerator) {
  for (unsigned m : {36u, 40u, 48u, 52u})
    for (bool kut : {false, true})
      for (bool pku : {false, true}) {
        SCOPED_TRACE(testing::Message() << "MAXPHYADDR " << m << (kut ? " kvm-unit-tests part" : " whole space")
                                        << (pku ? " with" : " without") << " protection keys");
        Options o;
        o.maxphyaddr = m;
        o.kvm_unit_tests_only = kut;
        o.pku = pku;
        EXPECT_EQ(enumerated_cases(o), (Formula{m, kut, pku}.cases()));
      }
}

// The figures docs/access-space.md quotes.
TEST(AccessSpaceCount, TheDocumentedCounts) {
  EXPECT_EQ((Formula{36, false, true}.cases()), 219484800u);  // the whole space at MAXPHYADDR 36
  EXPECT_EQ((Formula{48, false, true}.cases()), 145296000u);  // at 48, this host's
  EXPECT_EQ((Formula{48, true, false}.cases()), 850944u);     // access.c's distinct cases here
}

// ---- x86/access.c, emulated ---------------------------------------------------------------

// access.c's AC_* flags in its enum order (bit i of a case's flag word).
enum AcFlag : unsigned {
  PTE_W, PTE_U, PTE_A, PTE_D, PTE_NX, PTE_P, PTE_51, PTE_36,
  PDE_W, PDE_U, PDE_A, PDE_D, PDE_PSE, PDE_NX, PDE_P, PDE_51, PDE_36, PDE_13,
  PDPTE_NO_W, PKU_AD, PKU_WD, PKU_PKEY,
  ACC_USER, ACC_WRITE, ACC_FETCH, ACC_TWICE,
  CPU_NX, CPU_WP, CPU_SMEP, CPU_PKE, FEP, NR_FLAGS
};
constexpr std::uint32_t f(AcFlag a) { return std::uint32_t{1} << a; }

// ac_test_legal: which flag words access.c runs.
bool legal(std::uint32_t w) {
  auto F = [&](AcFlag a) { return (w & f(a)) != 0; };
  if (F(CPU_SMEP)) return false;  // SMEP cases are all skipped
  if (F(ACC_FETCH) && F(ACC_WRITE)) return false;
  if (F(ACC_USER) && F(CPU_SMEP)) return false;
  if (!F(CPU_PKE) && (F(PKU_AD) || F(PKU_WD))) return false;
  if (!F(PDE_PSE) && F(PDE_13)) return false;
  std::uint32_t reserved = f(PDE_51) | f(PDE_36) | f(PDE_13) | f(PTE_51) | f(PTE_36);
  if (!F(CPU_NX)) reserved |= f(PDE_NX) | f(PTE_NX);
  return std::popcount(w & reserved) <= 1;
}

// The flags ac_test_run masks out on a CPU: bits 51/36 where they are address bits, forced
// emulation, and the protection keys where CR4.PKE cannot be set.
std::uint32_t invalid_mask(unsigned maxphyaddr, bool pku) {
  std::uint32_t m = f(FEP);
  if (maxphyaddr >= 52) m |= f(PDE_51) | f(PTE_51);
  if (maxphyaddr >= 37) m |= f(PDE_36) | f(PTE_36);
  if (!pku) m |= f(PKU_AD) | f(PKU_WD) | f(PKU_PKEY) | f(CPU_PKE);
  return m;
}

// One case as the machine configuration it sets up, keyed the same way for both sides.
std::uint64_t key(std::uint64_t pde, std::uint64_t pte, bool pdpte_w, bool pkey, bool user, int kind, bool twice, bool nxe,
                  bool wp, bool pke, bool ad, bool wd) {
  auto squeeze = [](std::uint64_t e) {  // the ten bits the space varies, in order
    const std::uint64_t bits[] = {bit::P, bit::RW, bit::US, bit::A, bit::D, bit::PS, bit::XD, bit::R13, bit::R36, bit::R51};
    std::uint64_t k = 0;
    for (unsigned i = 0; i < 10; ++i)
      if (e & bits[i]) k |= std::uint64_t{1} << i;
    return k;
  };
  return squeeze(pde) | squeeze(pte) << 10 | std::uint64_t{pdpte_w} << 20 | std::uint64_t{pkey} << 21 |
         std::uint64_t{user} << 22 | std::uint64_t(kind) << 23 | std::uint64_t{twice} << 25 | std::uint64_t{nxe} << 26 |
         std::uint64_t{wp} << 27 | std::uint64_t{pke} << 28 | std::uint64_t{ad} << 29 | std::uint64_t{wd} << 30;
}

// Every case access.c runs on a CPU (ac_test_bump: the flag word counts up, skipping the
// masked bits and the illegal words), as configurations: its PDE and PTE as ac_test_setup_ptes
// writes them (no PTE under PDE.PSE: access.c writes none), the PDPTE's R/W, the access.
struct AccessC {
  std::uint64_t cases = 0;
  std::vector<std::uint64_t> configurations;  // sorted, distinct
};
AccessC access_c(unsigned maxphyaddr, bool pku) {
  AccessC out;
  const std::uint32_t invalid = invalid_mask(maxphyaddr, pku);
  for (std::uint32_t w = 0; w < f(NR_FLAGS); w = ((w | invalid) + 1) & ~invalid) {
    if (!legal(w)) continue;
    ++out.cases;
    auto F = [&](AcFlag a) { return (w & f(a)) != 0; };
    auto entry = [&](AcFlag p, AcFlag rw, AcFlag us, AcFlag a, AcFlag d, AcFlag nx, AcFlag b51, AcFlag b36) {
      return (F(p) ? bit::P : 0) | (F(rw) ? bit::RW : 0) | (F(us) ? bit::US : 0) | (F(a) ? bit::A : 0) | (F(d) ? bit::D : 0) |
             (F(nx) ? bit::XD : 0) | (F(b51) ? bit::R51 : 0) | (F(b36) ? bit::R36 : 0);
    };
    const std::uint64_t pde = entry(PDE_P, PDE_W, PDE_U, PDE_A, PDE_D, PDE_NX, PDE_51, PDE_36) | (F(PDE_PSE) ? bit::PS : 0) |
                              (F(PDE_13) ? bit::R13 : 0);
    const std::uint64_t pte = F(PDE_PSE) ? 0 : entry(PTE_P, PTE_W, PTE_U, PTE_A, PTE_D, PTE_NX, PTE_51, PTE_36);
    const int kind = F(ACC_FETCH) ? 2 : F(ACC_WRITE) ? 1 : 0;
    out.configurations.push_back(key(pde, pte, !F(PDPTE_NO_W), F(PKU_PKEY), F(ACC_USER), kind, F(ACC_TWICE), F(CPU_NX),
                                     F(CPU_WP), F(CPU_PKE), F(PKU_AD), F(PKU_WD)));
  }
  std::sort(out.configurations.begin(), out.configurations.end());
  out.configurations.erase(std::unique(out.configurations.begin(), out.configurations.end()), out.configurations.end());
  return out;
}

// The space's cases, keyed; sorted, with any case the generator makes twice kept twice.
std::vector<std::uint64_t> space_cases(const Options& o) {
  std::vector<std::uint64_t> out;
  const std::vector<Registers> configs[2] = {registers(o, false), registers(o, true)};
  for_each_chunk(o, [&](const Chunk& c) {
    for (const auto& [w, a] : c.cases)
      for (const Registers& r : configs[c.nxe]) {
        EXPECT_EQ(w.family, Family::pt);
        EXPECT_FALSE(r.smep || r.smap || r.ac || a.implicit());
        out.push_back(key(w.upper, w.lower, w.pdpte_writable, w.pkey, a.mode == Mode::user, static_cast<int>(a.kind),
                          a.twice, w.nxe, r.wp, r.pke, r.pkru_ad, r.pkru_wd));
      }
  });
  std::sort(out.begin(), out.end());
  return out;
}

// On this machine kind (MAXPHYADDR 48, no usable PKU): 1,916,928 cases, the figure issue 10
// measured, which are 850,944 configurations - exactly the space's kvm-unit-tests part.
TEST(AccessSpaceCount, KvmUnitTestsPartIsAccessCsCasesOnThisMachineKind) {
  const AccessC ac = access_c(48, false);
  EXPECT_EQ(ac.cases, 1916928u);
  EXPECT_EQ(ac.cases, 48u * 1024u * 39u);  // docs/access-space.md: 48 x 1024 x (19 + 20k), k = 1
  Options o;
  o.maxphyaddr = 48;
  o.kvm_unit_tests_only = true;
  o.pku = false;
  const auto ours = space_cases(o);
  EXPECT_EQ(ours.size(), enumerated_cases(o));
  EXPECT_EQ(ours, ac.configurations);  // the same cases, none twice
}

// Bit 36 reserved too (MAXPHYADDR 36), and, where CR4.PKE can be set, access.c's protection
// keys: ten times as many flag words (PKE = 0 with either leaf key; PKE = 1 with AD, WD, key).
TEST(AccessSpaceCount, KvmUnitTestsPartIsAccessCsCasesAtMaxPhyAddr36) {
  const AccessC ac = access_c(36, false);
  EXPECT_EQ(ac.cases, 48u * 1024u * 59u);  // 48 x 1024 x (19 + 20k), k = 2
  Options o;
  o.maxphyaddr = 36;
  o.kvm_unit_tests_only = true;
  o.pku = false;
  EXPECT_EQ(space_cases(o), ac.configurations);
}
TEST(AccessSpaceCount, KvmUnitTestsPartIsAccessCsCasesWithProtectionKeys) {
  const AccessC ac = access_c(52, true);
  EXPECT_EQ(ac.cases, 10u * 48u * 1024u * 19u);  // k = 0
  Options o;
  o.maxphyaddr = 52;
  o.kvm_unit_tests_only = true;
  o.pku = true;
  EXPECT_EQ(space_cases(o), ac.configurations);
}

// The whole space contains the kvm-unit-tests part: its axes are subsets of the whole's.
TEST(AccessSpaceCount, WholeSpaceContainsTheKvmUnitTestsPart) {
  Options part, all;
  part.kvm_unit_tests_only = true;
  // Looked up in a set: the whole space has ~10^5 walks (a linear search per walk is slow
  // under the sanitizers).
  auto key = [](const Walk& w) { return std::tuple(w.family, w.nxe, w.upper, w.lower, w.pdpte_writable, w.pkey); };
  for (bool nxe : {false, true}) {
    std::set<decltype(key(std::declval<Walk>()))> whole;
    for (const Walk& w : walks(all, Family::pt, nxe)) whole.insert(key(w));
    for (const Walk& w : walks(part, Family::pt, nxe)) EXPECT_TRUE(whole.count(key(w)));
    std::set<std::string> regs;
    for (const Registers& r : registers(all, nxe)) regs.insert(r.id());
    for (const Registers& r : registers(part, nxe)) EXPECT_TRUE(regs.count(r.id())) << r.id();
  }
  const auto acc = accesses(all);
  for (const Access& a : accesses(part))
    EXPECT_TRUE(std::any_of(acc.begin(), acc.end(), [&](const Access& x) {
      return x.mode == a.mode && x.kind == a.kind && x.twice == a.twice;
    }));
}

}  // namespace
}  // namespace vtspec::generate::access_space
