// Random inputs for the walk properties: a random physical memory laid out so that walks
// usually get somewhere, random walk shapes, control registers and accesses.
//
// Memory is a pure function of the address (plus explicit overrides), so that the same
// contents can be given to the concrete walk and, as a Z3 array, to the symbolic one:
//   - EPT region L (L = 1..5, eight 4-KByte frames at ept_region(L)) holds EPT entries of
//     level L, whose frames point into region L-1, or for leaves into guest memory;
//   - every other address holds guest paging-structure entries whose frames lie in the
//     first eight frames of memory (or at 2-MByte / 1-GByte aligned frames for large pages).
// Which entry an address holds is picked from a small random pool by hashing the address,
// so pools shrink to small counterexamples.
#pragma once

#include <rapidcheck.h>

#include <cstdint>
#include <map>
#include <ostream>
#include <vector>

#include "spec/ept_violation_qualification.hpp"
#include "spec/ept_walk.hpp"
#include "spec/paging_walk.hpp"

namespace vtspec::checker {

inline constexpr std::uint64_t kFrame = 0x1000;
inline constexpr unsigned kFramesPerRegion = 8;
// Below 2^36, so every MAXPHYADDR the properties use (36..52) can address it.
constexpr std::uint64_t ept_region(unsigned level) { return 0x8'0000'0000ull + level * 0x1000'0000ull; }

// One pool entry: its flag bits, a frame choice and an optional stray high bit.
struct EntryTemplate {
  std::uint64_t flags = 0;  // bits 11:0, 63:52 (guest) / EPT flag bits
  unsigned frame_index = 0;  // 0..7
  bool aligned_large = true; // a large page's frame is 2M/1G aligned (else frame_index * 4K)
  unsigned stray_bit = 0;    // 0, or a bit in 51:36 (reserved above MAXPHYADDR, else an address bit)
  bool messy = false;        // EPT: keep leaf-only bits (memory type, PS) even where they are reserved
};

inline std::ostream& operator<<(std::ostream& os, const EntryTemplate& t) {
  return os << "{flags " << std::hex << t.flags << std::dec << ", frame " << t.frame_index
            << (t.aligned_large ? ", aligned" : ", misaligned") << ", stray " << t.stray_bit
            << (t.messy ? ", messy" : "") << "}";
}

inline std::uint64_t mix(std::uint64_t x) {  // splitmix64 finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

struct RandomPools {
  std::vector<EntryTemplate> guest;
  std::vector<EntryTemplate> ept;
  std::uint64_t salt = 0;
};

inline std::ostream& operator<<(std::ostream& os, const RandomPools& p) {
  os << "guest pool:";
  for (const auto& t : p.guest) os << " " << t;
  os << "\nEPT pool:";
  for (const auto& t : p.ept) os << " " << t;
  return os << "\nsalt " << std::hex << p.salt << std::dec;
}

// The memory the concrete walks read. Records every active read so that the symbolic
// side can be given exactly the same contents.
struct RandomMemory {
  const RandomPools& pools;
  std::map<std::uint64_t, std::uint64_t> overrides;
  mutable std::map<std::uint64_t, std::uint64_t> touched;

  static int ept_level_of(std::uint64_t address) {
    for (unsigned level = 1; level <= spec::kMaxLevels; ++level)
      if (address >= ept_region(level) && address < ept_region(level) + kFramesPerRegion * kFrame) return static_cast<int>(level);
    return 0;
  }
  static std::uint64_t large_frame(const EntryTemplate& t) {
    return t.aligned_large ? (t.frame_index & 1) * 0x4000'0000ull : t.frame_index * kFrame;
  }
  std::uint64_t value_at(std::uint64_t address) const {
    if (auto it = overrides.find(address); it != overrides.end()) return it->second;
    const int ept_level = ept_level_of(address);
    const auto& pool = ept_level ? pools.ept : pools.guest;
    const EntryTemplate& t = pool[mix(address ^ pools.salt) % pool.size()];
    std::uint64_t flags = t.flags;
    // An EPT entry above the leaf levels, or not marked large, is a table pointer: unless
    // the template is deliberately messy, drop the leaf-only bits reserved there (29.3.2).
    if (ept_level >= 4 && !t.messy) flags &= ~(std::uint64_t{1} << 7);
    const bool large = (flags >> 7) & 1;
    if (ept_level > 1 && !large && !t.messy) flags &= ~spec::bit_range(6, 3);
    std::uint64_t frame;
    if (ept_level > 1 && !large) frame = ept_region(ept_level - 1) + t.frame_index * kFrame;
    else if (large) frame = large_frame(t);
    else frame = t.frame_index * kFrame;
    return flags | frame | (t.stray_bit ? std::uint64_t{1} << t.stray_bit : 0);
  }
  std::uint64_t read_host(std::uint64_t address, unsigned /*level*/, bool active) const {
    if (!active) return 0;
    const std::uint64_t v = value_at(address);
    touched[address] = v;
    return v;
  }
};

// ---- generators ---------------------------------------------------------------------------
// RapidCheck scales even inRange() with its size parameter, which starts at 0: every
// generator here runs at full size so that the first cases are as varied as the last
// (and a discarded case does not come back unchanged).
template <class T>
rc::Gen<T> full_size(rc::Gen<T> gen) {
  return rc::gen::resize(rc::kNominalSize, std::move(gen));
}

inline rc::Gen<unsigned> gen_stray_bit() {
  return full_size(rc::gen::exec([] { return *rc::gen::inRange(0, 32) == 0 ? static_cast<unsigned>(*rc::gen::inRange(36, 52)) : 0u; }));
}

// A guest entry: mostly present, mostly permissive, sometimes large, XD or reserved.
inline rc::Gen<EntryTemplate> gen_guest_template() {
  return full_size(rc::gen::exec([] {
    EntryTemplate t;
    const auto bit = [](int one_in) { return *rc::gen::inRange(0, one_in) == 0; };
    t.flags |= bit(32) ? 0 : 1;                     // P, 31/32
    t.flags |= bit(8) ? 0 : 1ull << 1;              // R/W, 7/8
    t.flags |= bit(8) ? 0 : 1ull << 2;              // U/S, 7/8
    t.flags |= static_cast<std::uint64_t>(*rc::gen::inRange(0, 4)) << 3;  // PWT, PCD
    t.flags |= bit(2) ? 1ull << 5 : 0;              // A
    t.flags |= bit(2) ? 1ull << 6 : 0;              // D
    t.flags |= bit(8) ? 1ull << 7 : 0;              // PS (PAT in a PTE)
    t.flags |= bit(2) ? 1ull << 8 : 0;              // G
    t.flags |= bit(16) ? 1ull << 63 : 0;            // XD
    t.flags |= static_cast<std::uint64_t>(*rc::gen::inRange(0, 16)) << 59;  // protection key
    t.frame_index = static_cast<unsigned>(*rc::gen::inRange(0, 8));
    t.aligned_large = !bit(4);
    t.stray_bit = *gen_stray_bit();
    return t;
  }));
}

// An EPT entry: usually RWX, sometimes any of the eight R/W/X patterns, WB mostly, and
// now and then with leaf-only bits left in a table pointer. A `friendly` entry is always
// RWX, WB and free of reserved bits (for properties about successful translations).
inline rc::Gen<EntryTemplate> gen_ept_template(bool friendly = false) {
  return full_size(rc::gen::exec([friendly] {
    EntryTemplate t;
    const auto bit = [friendly](int one_in) { return !friendly && *rc::gen::inRange(0, one_in) == 0; };
    t.flags |= bit(8) ? static_cast<std::uint64_t>(*rc::gen::inRange(0, 8)) : 7;         // R, W, X
    t.flags |= (bit(16) ? static_cast<std::uint64_t>(*rc::gen::inRange(0, 8)) : 6) << 3;  // memory type
    const auto coin = [] { return *rc::gen::arbitrary<bool>(); };
    t.flags |= coin() ? 1ull << 6 : 0;    // ignore PAT
    t.flags |= *rc::gen::inRange(0, 4) == 0 ? 1ull << 7 : 0;  // PS
    t.flags |= coin() ? 1ull << 8 : 0;    // A
    t.flags |= coin() ? 1ull << 9 : 0;    // D
    t.flags |= coin() ? 1ull << 10 : 0;   // XU (MBEC)
    t.frame_index = static_cast<unsigned>(*rc::gen::inRange(0, 8));
    t.aligned_large = !bit(4);
    t.stray_bit = friendly ? 0u : *gen_stray_bit();
    t.messy = bit(32);
    return t;
  }));
}

inline rc::Gen<RandomPools> gen_pools(bool friendly_ept = false) {
  return full_size(rc::gen::exec([friendly_ept] {
    RandomPools p;
    p.guest = *rc::gen::container<std::vector<EntryTemplate>>(static_cast<std::size_t>(*rc::gen::inRange(1, 9)), gen_guest_template());
    p.ept = *rc::gen::container<std::vector<EntryTemplate>>(static_cast<std::size_t>(*rc::gen::inRange(1, 9)),
                                                              gen_ept_template(friendly_ept));
    p.salt = *rc::gen::arbitrary<std::uint64_t>();
    return p;
  }));
}

// Guest-walk inputs other than memory.
struct GuestInputs {
  spec::PagingShape shape;
  spec::PagingControl<spec::Concrete> ctl;
  std::uint64_t cr3 = 0;
  std::uint64_t linear = 0;
  spec::AccessKind kind = spec::AccessKind::read;
  unsigned cpl = 0;
  bool implicit = false;
  unsigned eager_level = 0;  // 0: lazy accessed-flag policy

  spec::Access<spec::Concrete> access() const { return spec::Access<spec::Concrete>::make(kind, cpl, implicit); }
  spec::AccessedFlagPolicy policy() const {
    return eager_level ? spec::AccessedFlagPolicy::eager_at(eager_level) : spec::AccessedFlagPolicy::lazy();
  }
};

inline std::ostream& operator<<(std::ostream& os, const GuestInputs& g) {
  const auto& c = g.ctl;
  return os << std::hex << "levels " << g.shape.levels << " maxphyaddr " << std::dec << g.shape.maxphyaddr
            << " page1gb " << g.shape.page1gb << std::hex << " cr3 " << g.cr3 << " linear " << g.linear << " kind "
            << static_cast<int>(g.kind) << " cpl " << g.cpl << " implicit " << g.implicit << " wp " << c.cr0_wp
            << " smep " << c.cr4_smep << " smap " << c.cr4_smap << " pke " << c.cr4_pke << " pks " << c.cr4_pks
            << " nxe " << c.efer_nxe << " ac " << c.rflags_ac << " pkru " << c.pkru << " pkrs " << c.pkrs
            << " eager " << g.eager_level << std::dec;
}

// MAXPHYADDR values the properties use.
inline rc::Gen<unsigned> gen_maxphyaddr() { return rc::gen::element(36u, 39u, 46u, 52u); }

inline rc::Gen<GuestInputs> gen_guest_inputs() {
  return full_size(rc::gen::exec([] {
    GuestInputs g;
    g.shape.levels = *rc::gen::element(4u, 5u);
    g.shape.maxphyaddr = *gen_maxphyaddr();
    g.shape.page1gb = *rc::gen::arbitrary<bool>();
    auto& c = g.ctl;
    c.cr0_wp = *rc::gen::arbitrary<bool>();
    c.cr4_pge = *rc::gen::arbitrary<bool>();
    c.cr4_smep = *rc::gen::arbitrary<bool>();
    c.cr4_smap = *rc::gen::arbitrary<bool>();
    c.cr4_pke = *rc::gen::arbitrary<bool>();
    c.cr4_pks = *rc::gen::arbitrary<bool>();
    c.efer_nxe = *rc::gen::arbitrary<bool>();
    c.rflags_ac = *rc::gen::arbitrary<bool>();
    // Key registers mostly allow everything, so that key faults do not hide the rest.
    c.pkru = *rc::gen::inRange(0, 4) == 0 ? *rc::gen::arbitrary<std::uint32_t>() : 0u;
    c.pkrs = *rc::gen::inRange(0, 4) == 0 ? *rc::gen::arbitrary<std::uint32_t>() : 0u;
    // CR3: one of the guest frames, with random PCID / PWT / PCD bits.
    g.cr3 = static_cast<std::uint64_t>(*rc::gen::inRange(0, 8)) * kFrame | *rc::gen::inRange<std::uint64_t>(0, 0x1000);
    g.linear = *rc::gen::arbitrary<std::uint64_t>();
    g.kind = *rc::gen::element(spec::AccessKind::read, spec::AccessKind::write, spec::AccessKind::fetch);
    g.cpl = static_cast<unsigned>(*rc::gen::inRange(0, 4));
    g.implicit = *rc::gen::inRange(0, 8) == 0;
    g.eager_level = *rc::gen::inRange(0, 4) == 0 ? static_cast<unsigned>(*rc::gen::inRange(1, 6)) : 0u;
    if (g.eager_level > g.shape.levels) g.eager_level = 0;
    return g;
  }));
}

// EPT inputs other than memory: the shape (capabilities) and the EPTP.
struct EptInputs {
  spec::EptShape shape;
  std::uint64_t eptp = 0;
};

inline std::ostream& operator<<(std::ostream& os, const EptInputs& e) {
  const auto& c = e.shape.caps;
  return os << "EPT levels " << e.shape.levels << " eptp " << std::hex << e.eptp << std::dec << " maxphyaddr "
            << c.maxphyaddr << " execute_only " << c.execute_only << " 2M " << c.page_2m << " 1G " << c.page_1g
            << " mbec " << c.mode_based_execute << " advanced " << c.advanced_exit_info;
}

inline rc::Gen<EptInputs> gen_ept_inputs() {
  return full_size(rc::gen::exec([] {
    EptInputs e;
    e.shape.levels = *rc::gen::element(4u, 5u);
    auto& c = e.shape.caps;
    c.walk_length_5 = true;
    c.maxphyaddr = *gen_maxphyaddr();
    c.execute_only = *rc::gen::arbitrary<bool>();
    c.page_2m = *rc::gen::inRange(0, 4) != 0;
    c.page_1g = *rc::gen::inRange(0, 4) != 0;
    c.mode_based_execute = *rc::gen::arbitrary<bool>();
    c.advanced_exit_info = *rc::gen::arbitrary<bool>();
    const bool ad = *rc::gen::arbitrary<bool>();
    e.eptp = (ept_region(e.shape.levels) + static_cast<std::uint64_t>(*rc::gen::inRange(0, 8)) * kFrame) | 6 |
             (std::uint64_t{e.shape.levels - 1} << spec::eptp::walk_length_lo) | (ad ? 1u << spec::eptp::accessed_dirty : 0u);
    return e;
  }));
}

// One guest-physical access as EPT sees it and how it arose (Table 28-7), chosen consistently.
struct EptAccessInputs {
  spec::EptAccess<spec::Concrete> access;
  spec::EptAccessOrigin<spec::Concrete> origin;
};

inline std::ostream& operator<<(std::ostream& os, const EptAccessInputs& in) {
  const auto& a = in.access;
  const auto& o = in.origin;
  return os << "read " << a.read << " write " << a.write << " fetch " << a.fetch << " rmw " << o.read_modify_write
            << " linear_valid " << o.linear_valid << " final " << o.to_final_translation << " linear_user "
            << a.linear_user;
}

inline rc::Gen<EptAccessInputs> gen_ept_access() {
  return full_size(rc::gen::exec([] {
    EptAccessInputs in;
    auto& a = in.access;
    auto& o = in.origin;
    const int kind = *rc::gen::inRange(0, 4);  // read, write, fetch, read-modify-write
    a.read = kind == 0 || kind == 3;
    a.write = kind == 1 || kind == 3;
    a.fetch = kind == 2;
    o.read_modify_write = kind == 3;
    o.linear_valid = *rc::gen::inRange(0, 8) != 0;
    o.to_final_translation = *rc::gen::arbitrary<bool>();
    a.linear_user = *rc::gen::arbitrary<bool>();
    o.linear_writable = *rc::gen::arbitrary<bool>();
    o.linear_exec_disabled = *rc::gen::arbitrary<bool>();
    return in;
  }));
}

// A guest-physical address that usually lands in the guest frames or the large frames.
inline rc::Gen<std::uint64_t> gen_guest_physical() {
  return full_size(rc::gen::exec([]() -> std::uint64_t {
    const std::uint64_t offset = *rc::gen::inRange<std::uint64_t>(0, 0x20'0000);
    switch (*rc::gen::inRange(0, 4)) {
      case 0: return offset;
      case 1: return 0x4000'0000ull | offset;
      case 2: return *rc::gen::arbitrary<std::uint64_t>() & ((std::uint64_t{1} << 52) - 1);
      default: return offset & 0x7fff;
    }
  }));
}

}  // namespace vtspec::checker
