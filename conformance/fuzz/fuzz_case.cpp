#include "conformance/fuzz/fuzz_case.hpp"

#include <map>
#include <ostream>

#include <fmt/format.h>

#include "model/operation_table.hpp"
#include "spec/control_registers.hpp"
#include "spec/paging_entry.hpp"
#include "vectors/format/model_evaluation.hpp"
#include "vectors/format/vector_address_space.hpp"

namespace vtspec::conformance::fuzz {

using model::Feature;

FuzzSpace fuzz_space(const Capabilities& caps) {
  FuzzSpace s;
  s.min_maxphyaddr = caps.min_maxphyaddr;
  s.max_maxphyaddr = caps.max_maxphyaddr;
  for (std::size_t i = 0; i < model::kFeatureCount; ++i) {
    s.can_have[i] = caps.features[i].can_have;
    s.can_lack[i] = caps.features[i].can_lack;
  }
  s.abilities = caps.abilities;
  return s;
}

namespace {

namespace gen = rc::gen;

// One of `options` by weight, for option lists built at run time (rc::gen::weightedElement
// takes only an initializer list). The draw shrinks towards the first option.
template <typename T>
T pick(const std::vector<std::pair<std::size_t, T>>& options) {
  std::size_t total = 0;
  for (const auto& o : options) total += o.first;
  std::size_t r = *gen::inRange<std::size_t>(0, total);
  for (const auto& [weight, value] : options) {
    if (r < weight) return value;
    r -= weight;
  }
  return options.back().second;
}

// A feature's presence: drawn where the target can build both, else what it can build.
bool feature_gen(const FuzzSpace& s, Feature f, bool usual) {
  const bool have = s.feature(f, true), lack = s.feature(f, false);
  if (have && lack) return *gen::weightedElement<bool>({{3, usual}, {1, !usual}});
  return have;
}

// The weights below (docs/fuzzing.md, "Weights"): mostly-valid trees with one thing wrong
// find more than uniformly random bits, since a walk stops at the first failing entry.
EntryFlags entry_flags_gen(unsigned level, bool leaf) {
  EntryFlags f;
  f.p = *gen::weightedElement<bool>({{12, true}, {1, false}});  // shrinks towards present
  f.rw = *gen::weightedElement<bool>({{1, false}, {3, true}});
  f.us = *gen::weightedElement<bool>({{1, false}, {3, true}});
  f.xd = *gen::weightedElement<bool>({{4, false}, {1, true}});
  f.a = *gen::weightedElement<bool>({{1, false}, {1, true}});
  f.d = leaf && *gen::weightedElement<bool>({{1, false}, {1, true}});
  f.g = leaf && *gen::weightedElement<bool>({{5, false}, {1, true}});
  f.pwt = *gen::weightedElement<bool>({{8, false}, {1, true}});
  f.pcd = *gen::weightedElement<bool>({{8, false}, {1, true}});
  // Reserved bits (SDM Vol. 3A 4.5, Tables 4-14..4-20): 0 = none; 1 = bit MAXPHYADDR;
  // 2 = bit 51; 3 = PS in a PML4E (bit 7), or bit 13 in a 2-MByte/1-GByte leaf.
  const bool level_specific = level == 4 || (leaf && level > 1);
  f.reserved = *gen::weightedElement<unsigned>({{16, 0u}, {1, 1u}, {1, 2u}, {level_specific ? 1u : 0u, 3u}});
  return f;
}

MappingSpec mapping_gen(const FuzzSpace& s, unsigned index, std::optional<unsigned> systematic) {
  MappingSpec m;
  // PML4 slots: the low half (0, 1), its top (255), the high half's first (256) and last
  // usable (510: 511 is the harness's). Shared slots share subtrees.
  m.pml4 = *gen::weightedElement<unsigned>({{6, 0u}, {2, 1u}, {1, 255u}, {1, 256u}, {1, 510u}});
  m.pdpt = *gen::weightedElement<unsigned>({{6, 0u}, {2, 1u}, {1, 511u}});
  m.pd = *gen::weightedElement<unsigned>({{4, 2u}, {2, 3u}, {1, 0u}, {1, 511u}});
  m.pt = *gen::inRange<unsigned>(0, 512);
  if (*gen::weightedElement<bool>({{3, false}, {1, true}})) m.pt = index;  // neighbours share a table
  m.leaf = *gen::weightedElement<unsigned>({{8, 1u}, {3, 2u}, {1, 3u}});
  for (unsigned level = 4; level >= 1; --level) m.flags[level] = entry_flags_gen(level, level == m.leaf);
  if (s.feature(Feature::pku, true)) m.pkey = *gen::weightedElement<unsigned>({{4, 0u}, {1, 1u}, {1, 15u}});
  m.alias = index > 0 && *gen::weightedElement<bool>({{5, false}, {1, true}}) ? static_cast<int>(*gen::inRange<unsigned>(0, index)) : -1;
  m.table_as_data = m.leaf == 1 && m.alias < 0 && *gen::weightedElement<bool>({{8, false}, {1, true}});
  if (systematic) {
    // Phase 1: leaf level and the leaf's P/RW/US/XD/A/D from the case number.
    const unsigned k = *systematic;
    m.leaf = 1 + (k / 64) % 3;
    if (m.leaf == 3 && !s.feature(Feature::page1gb, true)) m.leaf = 2;
    EntryFlags& leaf = m.flags[m.leaf];
    leaf = EntryFlags{};
    leaf.p = k & 1, leaf.rw = k & 2, leaf.us = k & 4, leaf.xd = k & 8, leaf.a = k & 16, leaf.d = k & 32;
    for (unsigned level = 4; level > m.leaf; --level) m.flags[level] = EntryFlags{true, true, true};
    m.alias = -1;
    m.table_as_data = false;
  }
  return m;
}

OpSpec op_gen(const FuzzSpace& s, const FuzzCase& c) {
  OpSpec o;
  std::vector<std::pair<std::size_t, OpKind>> kinds = {
      {10, OpKind::read}, {8, OpKind::write}, {4, OpKind::fetch}, {4, OpKind::store_entry}, {3, OpKind::invlpg},
      {1, OpKind::mov_cr3}, {1, OpKind::mov_cr0}, {1, OpKind::mov_cr4}, {1, OpKind::wrmsr_efer}};
  if (c.cr4_pke && s.can("wrpkru")) kinds.push_back({1, OpKind::wrpkru});
  // INVPCID touches the feature (its presence decides #UD): only where the target can build
  // the drawn CPU with or without it.
  if (s.can("invpcid") && s.feature(Feature::invpcid, c.invpcid)) kinds.push_back({1, OpKind::invpcid});
  o.kind = pick(kinds);
  o.mapping = *gen::inRange<unsigned>(0, 8);
  o.size = *gen::element<unsigned>(8, 1, 2, 4);
  // Offsets: the page's start, its end (the last size bytes), or a random aligned place.
  // Writes stay off the first 8 bytes, where a fetch finds its RET.
  const unsigned at = *gen::weightedElement<unsigned>({{2, 0u}, {1, 1u}, {2, 2u}});
  o.offset = at == 0 ? 8 : at == 1 ? 4096 - o.size : 8 + (*gen::inRange<unsigned>(1, 500)) * 8;
  std::vector<std::pair<std::size_t, unsigned>> cpls = {{4, 0u}, {4, 3u}};
  if (s.can("read at CPL 1")) cpls.push_back({1, 1u});
  if (s.can("read at CPL 2")) cpls.push_back({1, 2u});
  o.cpl = pick(cpls);
  o.implicit = o.cpl == 0 && s.can("implicit supervisor read") && *gen::weightedElement<bool>({{10, false}, {1, true}});
  o.value = *gen::arbitrary<std::uint64_t>();
  o.level = *gen::weightedElement<unsigned>({{4, 1u}, {2, 2u}, {1, 3u}, {1, 4u}});
  o.type = *gen::inRange<unsigned>(0, 4);
  o.reserved = o.kind == OpKind::mov_cr0 && *gen::weightedElement<bool>({{3, false}, {1, true}});
  return o;
}

}  // namespace

// Operations per random case: long sequences amortize a target's cost per vector (a KVM
// vector costs a guest entry and the staging of its memory), and shrinking removes what a
// divergence does not need.
constexpr unsigned kMaxOperations = 48;

unsigned systematic_cases(const FuzzSpace& s) { return s.feature(Feature::page1gb, true) ? 192 : 128; }

rc::Gen<FuzzCase> fuzz_case_gen(const FuzzSpace& s, std::optional<unsigned> systematic) {
  return gen::exec([s, systematic] {
    FuzzCase c;
    const unsigned lo = s.min_maxphyaddr, hi = s.max_maxphyaddr;
    c.maxphyaddr = *gen::weightedElement<unsigned>({{4, lo}, {2, hi}, {1, std::min(hi, std::max(lo, 39u))}, {1, std::min(hi, std::max(lo, 46u))}});
    c.nx = feature_gen(s, Feature::nx, true);
    c.smep = feature_gen(s, Feature::smep, true);
    c.smap = feature_gen(s, Feature::smap, true);
    c.pku = feature_gen(s, Feature::pku, true);
    c.page1gb = feature_gen(s, Feature::page1gb, true);
    c.pcid = feature_gen(s, Feature::pcid, false);
    c.invpcid = feature_gen(s, Feature::invpcid, false);
    c.cr0_wp = *gen::weightedElement<bool>({{1, false}, {3, true}});
    c.cr4_smep = c.smep && *gen::weightedElement<bool>({{1, false}, {1, true}});
    c.cr4_smap = c.smap && *gen::weightedElement<bool>({{1, false}, {1, true}});
    c.cr4_pke = c.pku && *gen::weightedElement<bool>({{1, false}, {1, true}});
    c.cr4_pge = *gen::weightedElement<bool>({{2, false}, {1, true}});
    c.efer_nxe = c.nx && *gen::weightedElement<bool>({{1, false}, {3, true}});
    c.rflags_ac = *gen::weightedElement<bool>({{2, false}, {1, true}});
    if (c.cr4_pke) c.pkru = *gen::weightedElement<std::uint32_t>({{3, 0u}, {1, 0x55555554u}, {1, 0xaaaaaaa8u}, {1, 0xcu}});
    const unsigned mappings = systematic ? 1 : *gen::inRange<unsigned>(1, 7);
    for (unsigned i = 0; i < mappings; ++i) c.mappings.push_back(mapping_gen(s, i, systematic));
    if (systematic) {
      // The six accesses access.c makes at each flag combination.
      for (OpKind k : {OpKind::read, OpKind::write, OpKind::fetch})
        for (unsigned cpl : {0u, 3u}) {
          OpSpec o;
          o.kind = k;
          o.cpl = cpl;
          o.offset = k == OpKind::fetch ? 0 : 8;
          o.value = 0x1122334455667788ull;
          c.ops.push_back(o);
        }
      return c;
    }
    // A container generator: its shrinks remove any operation, not only the last ones.
    const FuzzCase regs = c;
    // The container's size sets its length (up to kMaxOperations); each operation is drawn
    // at the nominal size, since gen::inRange scales its range with the size.
    c.ops = *gen::resize(kMaxOperations,
                         gen::nonEmpty(gen::container<std::vector<OpSpec>>(
                             gen::resize(rc::kNominalSize, gen::exec([s, regs] { return op_gen(s, regs); })))));
    return c;
  });
}

std::ostream& operator<<(std::ostream& out, const FuzzCase& c) {
  return out << fmt::format("FuzzCase({} mappings, {} operations, MAXPHYADDR {})", c.mappings.size(), c.ops.size(), c.maxphyaddr);
}

namespace {

constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kRoot = 0x1000;
constexpr std::uint64_t kFirstTable = 0x2000;
constexpr std::uint64_t kFirstPage = 0x200000;        // 4-KByte data pages
constexpr std::uint64_t kFirstLargePage = 0x800000;   // 2-MByte data pages
constexpr std::uint64_t kRet = 0xc3;                  // a fetch executes it and returns to the harness

std::uint64_t bit(unsigned n) { return std::uint64_t{1} << n; }

std::uint64_t entry_bits(const EntryFlags& f, unsigned level, bool leaf, unsigned maxphyaddr) {
  namespace pte = spec::pte;
  std::uint64_t e = 0;
  if (f.p) e |= bit(pte::present);
  if (f.rw) e |= bit(pte::writable);
  if (f.us) e |= bit(pte::user);
  if (f.pwt) e |= bit(pte::write_through);
  if (f.pcd) e |= bit(pte::cache_disable);
  if (f.a) e |= bit(pte::accessed);
  if (leaf && f.d) e |= bit(pte::dirty);
  if (leaf && f.g) e |= bit(pte::global);
  if (f.xd) e |= bit(pte::execute_disable);
  if (leaf && level > 1) e |= bit(pte::page_size);
  switch (f.reserved) {
    case 1: if (maxphyaddr < 52) e |= bit(maxphyaddr); break;
    case 2: e |= bit(51); break;
    case 3: e |= level == 4 ? bit(pte::page_size) : (leaf && level > 1 ? bit(13) : 0); break;
  }
  return e;
}

std::uint64_t linear_of(const MappingSpec& m) {
  std::uint64_t va = (std::uint64_t{m.pml4} << 39) | (std::uint64_t{m.pdpt} << 30);
  if (m.leaf <= 2) va |= std::uint64_t{m.pd} << 21;
  if (m.leaf == 1) va |= std::uint64_t{m.pt} << 12;
  if (m.pml4 >= 256) va |= 0xffff000000000000ull;  // canonical: bits 63:48 copy bit 47
  return va;
}

// The state as a vtspec/state/1 block: registers, features and every non-zero 8 bytes of
// memory as a raw write (the loader rebuilds exactly this memory).
std::string state_yaml(const model::MachineState& s) {
  const auto& f = s.features;
  std::string out = fmt::format(
      "features: {{ maxphyaddr: {}, nx: {}, page1gb: {}, smep: {}, smap: {}, pku: {}, pcid: {}, invpcid: {} }}\n"
      "registers: {{ cr0: {:#x}, cr3: {:#x}, cr4: {:#x}, efer: {:#x}, rflags: {:#x}, pkru: {:#x} }}\n",
      f.maxphyaddr, f.nx, f.page1gb, f.smep, f.smap, f.pku, f.pcid, f.invpcid, s.regs.cr0, s.regs.cr3, s.regs.cr4,
      s.regs.efer, s.regs.rflags, s.regs.pkru);
  std::string writes;
  for (std::uint64_t frame : s.memory.frame_numbers())
    for (std::uint64_t at = frame * kPage; at < (frame + 1) * kPage; at += 8)
      if (const std::uint64_t v = s.memory.read64(at)) writes += fmt::format("  - {{ hpa: {:#x}, u64: {:#x} }}\n", at, v);
  if (!writes.empty()) out += "memory:\n" + writes;
  return out;
}

model::Operation make(const char* name) { return model::make_operation(*model::find_operation(name)); }

}  // namespace

std::optional<BuiltVector> build_vector(const FuzzCase& c, const std::string& id, const FuzzSpace& space) {
  BuiltVector out;
  vectors::Vector& v = out.vector;
  v.id = id;
  model::MachineState& s = v.initial;
  s.features.maxphyaddr = c.maxphyaddr;
  s.features.nx = c.nx, s.features.smep = c.smep, s.features.smap = c.smap, s.features.pku = c.pku;
  s.features.page1gb = c.page1gb, s.features.pcid = c.pcid, s.features.invpcid = c.invpcid;
  namespace cr0 = spec::cr0;
  namespace cr4 = spec::cr4;
  s.regs.cr0 = cr0::pe | cr0::pg | (c.cr0_wp ? cr0::wp : 0);
  s.regs.cr3 = kRoot;
  s.regs.cr4 = cr4::pae | (c.cr4_smep ? cr4::smep : 0) | (c.cr4_smap ? cr4::smap : 0) | (c.cr4_pke ? cr4::pke : 0) |
               (c.cr4_pge ? cr4::pge : 0);
  s.regs.efer = spec::efer::lme | spec::efer::lma | (c.efer_nxe ? spec::efer::nxe : 0);
  s.regs.rflags = 0x2 | (c.rflags_ac ? spec::rflags::ac : 0);
  s.regs.pkru = c.pkru;

  // Tables, allocated as mappings need them; shared slots keep the first mapping's entry.
  std::uint64_t next_table = kFirstTable;
  std::map<std::uint64_t, std::uint64_t> table_at;  // slot -> table it points to
  s.memory.write64(kRoot, 0);
  struct Placed {
    std::uint64_t linear = 0, page = 0, slot[5] = {};
    unsigned leaf = 1;
    bool table_as_data = false;  // the page is the page table holding the leaf: no RET there
  };
  std::vector<Placed> placed;
  for (std::size_t i = 0; i < c.mappings.size(); ++i) {
    const MappingSpec& m = c.mappings[i];
    const unsigned leaf = m.leaf == 3 && !c.page1gb ? 3 : m.leaf;  // without 1G pages a PDPTE PS=1 is reserved: kept
    Placed p;
    p.leaf = leaf;
    p.linear = linear_of(m);
    std::uint64_t table = kRoot;
    const unsigned index[5] = {0, m.pt, m.pd, m.pdpt, m.pml4};
    bool covered = false;
    for (unsigned level = 4; level > leaf; --level) {
      const std::uint64_t slot = table + index[level] * 8;
      p.slot[level] = slot;
      if (auto it = table_at.find(slot); it != table_at.end()) {
        table = it->second;
        continue;
      }
      if (s.memory.read64(slot) != 0) {  // a leaf of an earlier mapping: this one lies inside it
        covered = true;
        break;
      }
      const std::uint64_t fresh = next_table;
      next_table += kPage;
      s.memory.write64(fresh, 0);
      s.memory.write64(slot, fresh | entry_bits(m.flags[level], level, false, c.maxphyaddr));
      table_at[slot] = fresh;
      table = fresh;
    }
    if (covered) continue;
    const std::uint64_t slot = table + index[leaf] * 8;
    if (table_at.count(slot) || s.memory.read64(slot) != 0) continue;  // the slot is taken
    p.slot[leaf] = slot;
    const std::uint64_t size = std::uint64_t{1} << spec::index_shift(leaf);
    if (m.alias >= 0 && static_cast<std::size_t>(m.alias) < placed.size() && placed[m.alias].leaf == leaf)
      p.page = placed[m.alias].page, p.table_as_data = placed[m.alias].table_as_data;
    else if (m.table_as_data && leaf == 1)
      p.page = table, p.table_as_data = true;
    else
      p.page = leaf == 1 ? kFirstPage + i * kPage : leaf == 2 ? kFirstLargePage + i * size : 0;
    std::uint64_t e = p.page | entry_bits(m.flags[leaf], leaf, true, c.maxphyaddr);
    if (c.pku) e |= std::uint64_t{m.pkey} << spec::pte::protection_key_lo;
    s.memory.write64(slot, e);
    if (!p.table_as_data) s.memory.write64(p.page, (std::uint64_t{i + 1} << 8) | kRet);  // data, with a RET at offset 0
    placed.push_back(p);
  }
  if (placed.empty()) return std::nullopt;
  for (std::size_t i = 0; i < placed.size() && v.entries.size() < vectors::kMaxCheckedEntries; ++i)
    v.entries.push_back({fmt::format("m{}", i), placed[i].slot[placed[i].leaf]});

  // Operations, each about one placed mapping.
  bool wp = c.cr0_wp, smep = c.cr4_smep, smap = c.cr4_smap, pge = c.cr4_pge, nxe = c.efer_nxe;
  for (const OpSpec& o : c.ops) {
    const Placed& p = placed[o.mapping % placed.size()];
    model::Operation op;
    switch (o.kind) {
      case OpKind::read:
      case OpKind::write:
      case OpKind::fetch: {
        const bool fetch = o.kind == OpKind::fetch && !p.table_as_data;  // a fetch needs the RET
        op = make(fetch ? "fetch" : o.kind == OpKind::write ? "write" : "read");
        // A write through a page table mapped as data changes one flag byte of a live entry:
        // byte 0 (P, RW, US, PWT, PCD, A, D, PS/PAT) or byte 7 (XD, protection key), never its
        // address field, so every translation stays in the vector's guest-physical window
        // (vectors/format/vector_address_space.h).
        const bool flag_byte_only = o.kind == OpKind::write && p.table_as_data;
        const unsigned size = fetch || flag_byte_only ? 1 : o.size;
        std::uint64_t offset = fetch ? 0 : std::min<std::uint64_t>(o.offset, kPage - size);
        if (flag_byte_only) offset = (offset & ~std::uint64_t{7}) | ((o.value >> 8) & 1 ? 7 : 0);
        model::set_member(op, model::Member::linear, p.linear + offset);
        if (!fetch) model::set_member(op, model::Member::size, size);
        model::set_member(op, model::Member::cpl, o.cpl);
        if (o.implicit && !fetch) model::set_member(op, model::Member::implicit, 1);
        if (o.kind == OpKind::write) {
          const std::uint64_t value = size == 8 ? o.value : o.value & ((std::uint64_t{1} << (8 * size)) - 1);
          model::set_member(op, model::Member::value, value);
        }
        break;
      }
      case OpKind::store_entry: {
        unsigned level = std::max(o.level, p.leaf);
        if (level > 4) level = 4;
        const std::uint64_t slot = p.slot[level] ? p.slot[level] : p.slot[p.leaf];
        // Flip one flag of the entry as the state holds it at the start (P, RW, US, A, D, XD, or bit 51).
        static constexpr unsigned kFlippable[] = {0, 1, 2, 5, 6, 63, 51};
        const std::uint64_t flipped = s.memory.read64(slot) ^ bit(kFlippable[o.value % 7]);
        op = make("store_entry");
        model::set_member(op, model::Member::gpa, slot);
        model::set_member(op, model::Member::value, flipped);
        break;
      }
      case OpKind::invlpg:
        op = make("invlpg");
        model::set_member(op, model::Member::linear, p.linear);
        break;
      case OpKind::mov_cr3:
        op = make("mov_cr3");
        model::set_member(op, model::Member::value, kRoot);
        break;
      case OpKind::mov_cr0: {
        // Toggle WP; now and then set bit 32 (reserved: #GP, SDM Vol. 3A 2.5) to probe the check.
        op = make("mov_cr0");
        const bool reserved = o.reserved;
        if (!reserved) wp = !wp;
        model::set_member(op, model::Member::value,
                          cr0::pe | cr0::pg | (wp ? cr0::wp : 0) | (reserved ? bit(32) : 0));
        break;
      }
      case OpKind::mov_cr4: {
        op = make("mov_cr4");
        switch (o.value % 3) {
          case 0: smep = c.smep ? !smep : smep; break;
          case 1: smap = c.smap ? !smap : smap; break;
          case 2: pge = !pge; break;
        }
        model::set_member(op, model::Member::value,
                          cr4::pae | (smep ? cr4::smep : 0) | (smap ? cr4::smap : 0) | (c.cr4_pke ? cr4::pke : 0) |
                              (pge ? cr4::pge : 0));
        break;
      }
      case OpKind::wrmsr_efer:
        op = make("wrmsr_efer");
        nxe = c.nx ? !nxe : nxe;
        model::set_member(op, model::Member::value, spec::efer::lme | spec::efer::lma | (nxe ? spec::efer::nxe : 0));
        break;
      case OpKind::wrpkru:
        op = make("wrpkru");
        model::set_member(op, model::Member::value, o.value & 0xfffffffc);
        break;
      case OpKind::invpcid:
        op = make("invpcid");
        model::set_member(op, model::Member::type, o.type);
        if (o.type == 0) model::set_member(op, model::Member::linear, p.linear);
        break;
    }
    if (space.can(model::ability(op))) v.operations.push_back(op);
  }
  if (v.operations.empty()) return std::nullopt;
  if (vectors::check_vector_address_space(v.initial, v.operations, {}).has_value()) return std::nullopt;
  const auto steps = vectors::evaluate_on_model(v, nullptr, vectors::StepTrace::omit);  // the trace is not kept
  for (const auto& step : steps) {
    v.expectations.push_back(step.expectation);
    v.notes.insert(step.notes.begin(), step.notes.end());
  }
  out.state_yaml = state_yaml(s);
  return out;
}

}  // namespace vtspec::conformance::fuzz
