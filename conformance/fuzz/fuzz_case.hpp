// What `vtspec fuzz` generates: a FuzzCase is a compact description of one vector (the
// virtual CPU's registers, a paging tree given as mappings with flags per level, and an
// operation sequence), drawn from RapidCheck generators so that RapidCheck's shrinking
// (fewer operations, fewer mappings, fewer set bits) comes from the same source.
// build_vector() turns a case into a vtspec/vector/1 vector whose expectations are the
// model's allowed sets. Weights and why: docs/fuzzing.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <rapidcheck.h>

#include "conformance/capabilities.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::conformance::fuzz {

// What the target can build and run (from its capabilities): the generator draws only
// vectors the target can run, so no case is wasted on a skip.
struct FuzzSpace {
  unsigned min_maxphyaddr = model::kMinMaxPhyAddr;
  unsigned max_maxphyaddr = model::kMaxMaxPhyAddr;
  std::array<bool, model::kFeatureCount> can_have{};
  std::array<bool, model::kFeatureCount> can_lack{};
  std::optional<std::set<std::string>> abilities;  // model::ability names; nullopt: every one
  bool can(const std::string& ability) const { return !abilities || abilities->count(ability); }
  bool feature(model::Feature f, bool present) const {
    return present ? can_have[static_cast<std::size_t>(f)] : can_lack[static_cast<std::size_t>(f)];
  }
};
FuzzSpace fuzz_space(const Capabilities& capabilities);

// The flags of one paging-structure entry (SDM Vol. 3A 4.5, Tables 4-14..4-20).
struct EntryFlags {
  bool p = true, rw = false, us = false, pwt = false, pcd = false, a = false, d = false, g = false, xd = false;
  unsigned reserved = 0;  // 0: none; else a bit the entry's format reserves (set in the entry)
};

struct MappingSpec {
  unsigned pml4 = 0, pdpt = 0, pd = 0, pt = 0;  // table indices (pml4 from a few slots, low and high half)
  unsigned leaf = 1;                            // 1: 4 KByte, 2: 2 MByte, 3: 1 GByte
  std::array<EntryFlags, 5> flags{};            // [level], 1..4
  unsigned pkey = 0;
  // The page it maps: its own (-1), the page of an earlier mapping (an alias), or, with
  // `table_as_data`, the page table holding its own leaf (stores through it hit live entries).
  int alias = -1;
  bool table_as_data = false;
};

enum class OpKind : std::uint8_t { read, write, fetch, store_entry, invlpg, mov_cr3, mov_cr0, mov_cr4, wrmsr_efer, wrpkru, invpcid };

struct OpSpec {
  OpKind kind = OpKind::read;
  unsigned mapping = 0;     // which mapping it concerns (modulo the number of mappings)
  unsigned offset = 0;      // within the page (accesses)
  unsigned size = 8;
  unsigned cpl = 0;
  bool implicit = false;
  std::uint64_t value = 0;  // written value; for store_entry the flag flipped; for control registers the bit toggled
  unsigned level = 1;       // store_entry: the entry's level
  unsigned type = 0;        // invpcid
  bool reserved = false;    // mov_cr0: also set a reserved bit (bit 32: #GP, SDM Vol. 3A 2.5)
};

struct FuzzCase {
  unsigned maxphyaddr = 36;
  bool nx = true, smep = true, smap = true, pku = false, page1gb = false, pcid = false, invpcid = false;
  bool cr0_wp = true, cr4_smep = false, cr4_smap = false, cr4_pke = false, cr4_pge = false, efer_nxe = true, rflags_ac = false;
  std::uint32_t pkru = 0;
  std::vector<MappingSpec> mappings;
  std::vector<OpSpec> ops;
};

std::ostream& operator<<(std::ostream& out, const FuzzCase& c);

// Cases of `space`. `systematic` < systematic_cases(): case k of the first phase, which
// visits every combination of the leaf's P/RW/US/XD/A/D at each leaf level before random
// depth; otherwise a random case.
rc::Gen<FuzzCase> fuzz_case_gen(const FuzzSpace& space, std::optional<unsigned> systematic);
unsigned systematic_cases(const FuzzSpace& space);

// The vector of a case: its state, operations, checked entries (the leaf entry of each
// mapping) and the model's allowed outcomes. `id` names it. Also the state as YAML (for a
// vector file). nullopt when the case builds no valid vector (e.g. no mapping survived).
struct BuiltVector {
  vectors::Vector vector;
  std::string state_yaml;
};
// Operations the target cannot execute (space.can(model::ability(op)) is false, e.g. a
// user access in the upper half where the hypervisor reserves it) are left out.
std::optional<BuiltVector> build_vector(const FuzzCase& c, const std::string& id, const FuzzSpace& space);

}  // namespace vtspec::conformance::fuzz
