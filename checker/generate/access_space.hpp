// The access-test space: kvm-unit-tests' x86/access.c flag space as vtspec cases, plus what
// access.c lacks (docs/access-space.md has the definition, the count formula and how it
// relates to access.c's count).
//
// A case is one machine configuration and one access (two for "twice"):
//   - registers: CR0.WP, CR4.SMEP, CR4.SMAP with RFLAGS.AC, EFER.NXE, CR4.PKE with the
//     protection-key rights of key 1 (SDM Vol. 3A 2.5, 4.6, 4.6.2);
//   - a walk: the flags of two adjacent paging-structure entries, every combination under
//     access.c's rules (at most one reserved bit; bit 13 only in a large leaf), with the
//     entries above and below at permissive defaults (SDM Vol. 3A 4.5, Tables 4-14..4-20):
//       family pt:   PDE (non-leaf or 2-MByte leaf) and PTE, and the PDPTE's R/W (access.c's);
//       family pdpt: PML4E and PDPTE (non-leaf or 1-GByte leaf) - access.c has neither;
//   - an access: user (CPL 3), supervisor (CPL 0), or implicit supervisor-mode at CPL 0 or
//     3 (SDM Vol. 3A 4.6), read, write or fetch (implicit ones read or write), once or after
//     a supervisor read of the same address ("twice", access.c's AC_ACCESS_TWICE).
// This file enumerates the space (no model work); access_space_vectors.cpp packs it into
// vectors with expectations from the model.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/cpu_needs.hpp"
#include "spec/paging_access_rights.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::generate::access_space {

// The entry bits the space varies, as they sit in an entry (SDM Vol. 3A Tables 4-14..4-20).
namespace bit {
inline constexpr std::uint64_t P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80;
inline constexpr std::uint64_t XD = 1ull << 63;
inline constexpr std::uint64_t R13 = 1ull << 13;  // reserved in a 2-MByte or 1-GByte leaf (address bits 20:13 / 29:13)
inline constexpr std::uint64_t R36 = 1ull << 36;  // reserved when MAXPHYADDR <= 36
inline constexpr std::uint64_t R51 = 1ull << 51;  // reserved when MAXPHYADDR <= 51
}  // namespace bit

enum class Family : std::uint8_t { pt, pdpt };
const char* to_string(Family family);

struct Walk {
  Family family = Family::pt;
  bool nxe = true;            // the walk's rules depend on EFER.NXE (XD is reserved without it)
  std::uint64_t upper = 0;    // pt: the PDE; pdpt: the PML4E (entry bits above)
  std::uint64_t lower = 0;    // pt: the PTE (none under a 2-MByte PDE); pdpt: the PDPTE
  bool pdpte_writable = true; // pt: access.c's AC_PDPTE_NO_WRITABLE clear
  bool pkey = false;          // the leaf's protection key is 1 (else 0); its parent has 2 in bits 62:59

  unsigned leaf_level() const;  // 1: 4-KByte, 2: 2-MByte (PDE.PS), 3: 1-GByte (PDPTE.PS)
  // The entries a case checks (the two the walk varies; one under a 2-MByte PDE).
  unsigned checked_entries() const { return family == Family::pt && leaf_level() == 2 ? 1 : 2; }
  std::string describe() const;  // e.g. "PDE[P RW US A] PTE[P US XD r51] pkey 1"
  friend bool operator==(const Walk&, const Walk&) = default;
};

enum class Mode : std::uint8_t { user, supervisor, implicit_cpl0, implicit_cpl3 };

struct Access {
  Mode mode = Mode::supervisor;
  spec::AccessKind kind = spec::AccessKind::read;
  bool twice = false;  // a supervisor read of the same address first (access.c's AC_ACCESS_TWICE)
  bool implicit() const { return mode == Mode::implicit_cpl0 || mode == Mode::implicit_cpl3; }
  unsigned cpl() const { return mode == Mode::user || mode == Mode::implicit_cpl3 ? 3 : 0; }
  unsigned operations() const { return twice ? 2 : 1; }
  std::string describe() const;  // e.g. "user write, twice"
};

struct Registers {
  bool wp = true, smep = false, smap = false, ac = false, nxe = true;
  bool pke = false, pkru_ad = false, pkru_wd = false;  // key 1's AD and WD (SDM Vol. 3A 2.7)
  std::uint64_t pkru() const;  // key 1 per AD/WD, key 2 both set (access.c's), 0 without PKE
  std::string id() const;      // e.g. "wp1-smep0-smap1-ac0-nxe1-pke1-ad0-wd1"
};

struct Options {
  unsigned maxphyaddr = 36;  // the virtual CPU's; bit 36 is a reserved bit only at 36, bit 51 below 52
  // The part access.c covers: family pt, SMEP = SMAP = AC = 0, explicit accesses; protection
  // keys (PKE, AD, WD, the leaf's key) only when `pku` - access.c leaves them out when CR4.PKE
  // cannot be set.
  bool kvm_unit_tests_only = false;
  bool pku = true;
  // A sample: one chunk in `every` (1: the whole space). The count is still the space's.
  std::uint64_t every = 1;
  // Render GeneratedVector::state_yaml (for vector files; an in-memory run needs none).
  bool state_text = true;
};

// The reserved address bits the space sets at this MAXPHYADDR (bit 51, bit 36).
std::vector<std::uint64_t> reserved_address_bits(unsigned maxphyaddr);

std::vector<Walk> walks(const Options& options, Family family, bool nxe);
std::vector<Access> accesses(const Options& options);
std::vector<Registers> registers(const Options& options, bool nxe);

// The space packed into vectors: each chunk is the (walk, access) pairs of one vector, which
// runs once per register configuration of its NXE. A chunk's cases share what a target must
// provide (1-GByte pages or not, implicit accesses or not), and fit the vector limits
// (vectors/format/vector_address_space.h: 32 checked entries, 1024 operations).
struct Chunk {
  Family family = Family::pt;
  bool nxe = true;
  std::uint64_t index = 0;  // in the space's order
  std::vector<std::pair<Walk, Access>> cases;
};
void for_each_chunk(const Options& options, const std::function<void(const Chunk&)>& visit);

// The number of cases the generator enumerates: the sum over chunks of cases x register
// configurations. docs/access-space.md gives the closed form (tested against this).
std::uint64_t enumerated_cases(const Options& options);

// ---- Vectors (access_space_vectors.cpp) -------------------------------------------------

struct GeneratedVector {
  vectors::Vector vector;
  std::string state_yaml;  // the vector's state block (vectors/format/vector_writer.hpp), if Options::state_text
  std::uint64_t cases = 0;
};

struct Report {
  std::uint64_t cases = 0, vectors = 0, operations = 0;     // generated
  std::map<std::string, std::uint64_t> not_runnable;         // reason -> cases the target cannot run
  std::uint64_t not_runnable_cases() const;
};

// One chunk's vector for one register configuration, with the model's expectations. Cases
// are laid out in order: case n's operations (its supervisor read first when "twice", then
// its access) and its checked entries "c<n>.<entry>" (pde/pte, or pml4e/pdpte).
GeneratedVector build_vector(const Options& options, const Chunk& chunk, const Registers& registers);

// The target's decision for a vector's needs: nullopt when it can run it, else why not
// (conformance/runner/skip_decision.hpp, given by the caller: checker does not know targets).
using Admit = std::function<std::optional<std::string>(const model::CpuNeeds&)>;

// Streams the space: for each vector the target admits, fills in the model's expectations
// (vectors/format/model_evaluation.hpp) and hands it to `sink`; the rest are counted by
// reason. Memory stays bounded by one chunk. `limit`: stop after that many cases (0: all).
Report generate(const Options& options, const Admit& admit, const std::function<void(GeneratedVector&&)>& sink,
                std::uint64_t limit = 0);

}  // namespace vtspec::generate::access_space
