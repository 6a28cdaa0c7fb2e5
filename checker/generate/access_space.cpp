// The access-test space's enumeration (access_space.hpp; docs/access-space.md). The rules
// that drop combinations are access.c's (x86/access.c, ac_test_legal) where they say what is
// tested; its two SMEP rules are not kept, because they only protect access.c's own code,
// which runs on the pages it tests (vtspec's harness does not).
#include "checker/generate/access_space.hpp"

#include <bit>

#include <fmt/format.h>

#include "vectors/format/vector_address_space.h"

namespace vtspec::generate::access_space {

namespace {

using namespace bit;

// The permissive entries above and below the two a walk varies. A preset, so no walk writes
// an entry two cases share (each case's configuration is its own); D preset in the leaf.
constexpr std::uint64_t kUpper = P | RW | US | A;

// The reserved bits an entry's value sets: its reserved address bits, bit 13 of a large
// leaf, PS of a PML4E, and XD while EFER.NXE = 0 (SDM Vol. 3A 4.5.4, Table 4-20).
unsigned reserved_count(std::uint64_t entry, bool nxe, bool pml4e) {
  std::uint64_t mask = R51 | R36 | R13 | (pml4e ? PS : 0) | (nxe ? 0 : XD);
  return static_cast<unsigned>(std::popcount(entry & mask));
}

// Every value of an entry over `bits`, in increasing order of the bit pattern.
template <typename F>
void each_value(const std::vector<std::uint64_t>& bits, F&& f) {
  for (std::uint64_t n = 0; n < (std::uint64_t{1} << bits.size()); ++n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < bits.size(); ++i)
      if (n & (std::uint64_t{1} << i)) v |= bits[i];
    f(v);
  }
}

std::vector<std::uint64_t> with(std::vector<std::uint64_t> bits, const std::vector<std::uint64_t>& more) {
  bits.insert(bits.end(), more.begin(), more.end());
  return bits;
}

std::string flag_names(std::uint64_t e, bool pml4e) {
  static const std::pair<std::uint64_t, const char*> names[] = {{P, "P"},     {RW, "RW"},   {US, "US"},   {A, "A"},
                                                                 {D, "D"},     {PS, "PS"},   {XD, "XD"},   {R13, "r13"},
                                                                 {R36, "r36"}, {R51, "r51"}};
  std::string out;
  for (const auto& [b, name] : names)
    if (e & b) {
      if (!out.empty()) out += ' ';
      out += (b == PS && pml4e) ? "r7" : name;
    }
  return "[" + out + "]";
}

}  // namespace

const char* to_string(Family family) { return family == Family::pt ? "pt" : "pdpt"; }

unsigned Walk::leaf_level() const {
  if (family == Family::pt) return (upper & PS) ? 2 : 1;
  return (lower & PS) ? 3 : 1;
}

std::string Walk::describe() const {
  std::string key = pkey ? " pkey 1" : "";
  if (family == Family::pt) {
    std::string pdpte = pdpte_writable ? "" : "PDPTE[P US A] ";
    if (upper & PS) return fmt::format("{}PDE{}{}", pdpte, flag_names(upper, false), key);
    return fmt::format("{}PDE{} PTE{}{}", pdpte, flag_names(upper, false), flag_names(lower, false), key);
  }
  return fmt::format("PML4E{} PDPTE{}{}", flag_names(upper, true), flag_names(lower, false), key);
}

std::string Access::describe() const {
  static const char* const modes[] = {"user", "supervisor", "implicit supervisor (CPL 0)", "implicit supervisor (CPL 3)"};
  static const char* const kinds[] = {"read", "write", "fetch"};
  return fmt::format("{} {}{}", modes[static_cast<int>(mode)], kinds[static_cast<int>(kind)], twice ? ", twice" : "");
}

std::uint64_t Registers::pkru() const {
  if (!pke) return 0;
  // PKRU bits 2k and 2k+1 are key k's AD and WD (SDM Vol. 3A 2.7). Key 2 denies everything:
  // a walk that took its key from a non-leaf entry (which carries 2) would show.
  return (pkru_ad ? 0x4u : 0) | (pkru_wd ? 0x8u : 0) | 0x30u;
}

std::string Registers::id() const {
  return fmt::format("wp{:d}-smep{:d}-smap{:d}-ac{:d}-nxe{:d}-pke{:d}-ad{:d}-wd{:d}", wp, smep, smap, ac, nxe, pke, pkru_ad,
                     pkru_wd);
}

std::vector<std::uint64_t> reserved_address_bits(unsigned maxphyaddr) {
  std::vector<std::uint64_t> bits;
  if (maxphyaddr <= 51) bits.push_back(R51);
  if (maxphyaddr <= 36) bits.push_back(R36);
  return bits;
}

std::vector<Walk> walks(const Options& options, Family family, bool nxe) {
  std::vector<Walk> out;
  if (options.kvm_unit_tests_only && family != Family::pt) return out;
  const std::vector<std::uint64_t> rb = reserved_address_bits(options.maxphyaddr);
  const std::vector<bool> keys = options.pku ? std::vector<bool>{false, true} : std::vector<bool>{false};
  if (family == Family::pt) {
    // access.c's PDE and PTE: P RW US A D NX, PS in the PDE, the reserved bits; PDE.bit13 only
    // with PS ("meaningless if there is a PTE"); one reserved bit at a time.
    each_value(with({P, RW, US, A, D, XD, PS, R13}, rb), [&](std::uint64_t pde) {
      if (!(pde & PS) && (pde & R13)) return;
      const unsigned used = reserved_count(pde, nxe, false);
      if (used > 1) return;
      auto emit = [&](std::uint64_t pte) {
        for (bool writable : {true, false})
          for (bool key : keys) out.push_back({Family::pt, nxe, pde, pte, writable, key});
      };
      if (pde & PS) {
        emit(0);  // a 2-MByte leaf: no PTE (access.c writes none either)
        return;
      }
      each_value(with({P, RW, US, A, D, XD}, rb), [&](std::uint64_t pte) {
        if (used + reserved_count(pte, nxe, false) <= 1) emit(pte);
      });
    });
    return out;
  }
  // The PML4E (P RW US A NX, PS reserved there) and the PDPTE (like access.c's PDE: a
  // non-leaf or, with PS, a 1-GByte leaf), same rules; PDE and PTE below at their defaults.
  each_value(with({P, RW, US, A, XD, PS}, rb), [&](std::uint64_t pml4e) {
    const unsigned used = reserved_count(pml4e, nxe, true);
    if (used > 1) return;
    each_value(with({P, RW, US, A, D, XD, PS, R13}, rb), [&](std::uint64_t pdpte) {
      if (!(pdpte & PS) && (pdpte & R13)) return;
      if (used + reserved_count(pdpte, nxe, false) > 1) return;
      // Family pt already has these walks: the PML4E and PDPTE as access.c has them.
      if (pml4e == kUpper && (pdpte == (P | US | A) || pdpte == kUpper)) return;
      for (bool key : keys) out.push_back({Family::pdpt, nxe, pml4e, pdpte, true, key});
    });
  });
  return out;
}

std::vector<Access> accesses(const Options& options) {
  std::vector<Access> out;
  using K = spec::AccessKind;
  for (bool twice : {false, true}) {
    for (Mode mode : {Mode::user, Mode::supervisor})
      for (K kind : {K::read, K::write, K::fetch}) out.push_back({mode, kind, twice});
    if (options.kvm_unit_tests_only) continue;
    // Implicit supervisor-mode accesses are data accesses (to system structures).
    for (Mode mode : {Mode::implicit_cpl0, Mode::implicit_cpl3})
      for (K kind : {K::read, K::write}) out.push_back({mode, kind, twice});
  }
  return out;
}

std::vector<Registers> registers(const Options& options, bool nxe) {
  std::vector<Registers> out;
  const bool all = !options.kvm_unit_tests_only;
  for (bool pke : options.pku ? std::vector<bool>{false, true} : std::vector<bool>{false})
    for (int rights = 0; rights < (pke ? 4 : 1); ++rights)  // AD and WD matter only with PKE (access.c)
      for (bool smep : all ? std::vector<bool>{false, true} : std::vector<bool>{false})
        for (int smap_ac = 0; smap_ac < (all ? 3 : 1); ++smap_ac)  // AC matters only with SMAP
          for (bool wp : {true, false}) {
            Registers r;
            r.wp = wp;
            r.smep = smep;
            r.smap = smap_ac >= 1;
            r.ac = smap_ac == 2;
            r.nxe = nxe;
            r.pke = pke;
            r.pkru_ad = rights & 1;
            r.pkru_wd = rights & 2;
            out.push_back(r);
          }
  return out;
}

void for_each_chunk(const Options& options, const std::function<void(const Chunk&)>& visit) {
  const std::vector<Access> all_accesses = accesses(options);
  std::uint64_t index = 0;
  for (Family family : {Family::pt, Family::pdpt})
    for (bool nxe : {true, false}) {
      const std::vector<Walk> all_walks = walks(options, family, nxe);
      // Chunks never mix what a target may lack: 1-GByte pages, implicit accesses.
      for (bool large : {false, true})
        for (bool implicit : {false, true}) {
          Chunk chunk{family, nxe, 0, {}};
          unsigned operations = 0;
          auto flush = [&] {
            if (chunk.cases.empty()) return;
            chunk.index = index++;
            visit(chunk);
            chunk.cases.clear();
            operations = 0;
          };
          // A group of walks that fills a vector, then each access in turn over the same
          // group: consecutive vectors start from the same memory but for the A/D bits the
          // previous one set, so a target that reuses its VM restages little.
          std::vector<const Walk*> group;
          unsigned group_entries = 0;
          auto run_group = [&] {
            for (const Access& a : all_accesses) {
              if (a.implicit() != implicit) continue;
              for (const Walk* w : group) {
                if (operations + a.operations() > VTSPEC_VECTOR_MAX_OPERATIONS) flush();
                chunk.cases.emplace_back(*w, a);
                operations += a.operations();
              }
              flush();
            }
            group.clear();
            group_entries = 0;
          };
          for (const Walk& w : all_walks) {
            if ((w.leaf_level() == 3) != large) continue;
            if (group_entries + w.checked_entries() > VTSPEC_VECTOR_MAX_CHECKED_ENTRIES) run_group();
            group.push_back(&w);
            group_entries += w.checked_entries();
          }
          run_group();
        }
    }
}

std::uint64_t enumerated_cases(const Options& options) {
  const std::uint64_t configs[2] = {registers(options, false).size(), registers(options, true).size()};
  std::uint64_t n = 0;
  for_each_chunk(options, [&](const Chunk& c) { n += c.cases.size() * configs[c.nxe]; });
  return n;
}

}  // namespace vtspec::generate::access_space
