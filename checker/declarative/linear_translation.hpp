// An independent transcription of 4-level and 5-level paging (SDM Vol. 3A 4.5), the
// page-fault conditions and error code (4.7), for comparison with spec/paging_walk.hpp.
//
// Formulated differently from the spec walk on purpose: first the chain of entries the
// processor would read (each entry's address from the previous entry's bits M-1:12 and the
// linear address's 9-bit index, 4.5.4/4.5.5), then the *level at which the walk stops* and
// why (not present, reserved bit, or a page mapped), then the verdict.
#pragma once

#include <vector>
#include <cstdint>

#include "checker/declarative/access_rights_table.hpp"
#include "spec/domain.hpp"

namespace vtspec::checker::declarative {

inline constexpr unsigned kTopLevel = 5;

struct LinearShape {
  unsigned levels = 4;       // 4: CR4.LA57=0; 5: CR4.LA57=1
  unsigned maxphyaddr = 46;  // M
  bool page1gb = true;       // CPUID.80000001H:EDX.Page1GB[bit 26]
};

// Bits M-1:from of a 64-bit value.
constexpr std::uint64_t bits_below_m(unsigned m, unsigned from) {
  return ((std::uint64_t{1} << m) - 1) & ~((std::uint64_t{1} << from) - 1);
}

// Tables 4-15 .. 4-20: reserved bits of a present entry. Bit 63 (XD) is added when
// IA32_EFER.NXE = 0, at run time.
constexpr std::uint64_t reserved_bits_of(unsigned level, bool maps_page, const LinearShape& s) {
  std::uint64_t r = s.maxphyaddr < 52 ? (((std::uint64_t{1} << 52) - 1) & ~((std::uint64_t{1} << s.maxphyaddr) - 1)) : 0;
  switch (level) {
    case 5:
    case 4: r |= std::uint64_t{1} << 7; break;  // PML5E/PML4E: bit 7 (PS) must be 0
    case 3:
      if (maps_page) r |= s.page1gb ? 0x3fffe000ull /* 29:13 */ : (std::uint64_t{1} << 7);
      break;
    case 2:
      if (maps_page) r |= 0x1fe000ull;  // 20:13
      break;
    default: break;
  }
  return r;
}

template <class D>
struct LinearVerdict {
  using B = typename D::Bool;
  using W = typename D::Word;
  B page_fault;
  W error_code;
  W physical;
  std::vector<W> entry_address;  // chain of entry addresses, index = level
  std::vector<W> entry;
  // 4.8: the entries a successful access writes back to set flags - every entry it used
  // whose A flag is 0, and for a write the entry that maps the page if its D flag is 0.
  // (Each is a write to a paging structure: in a two-dimensional walk EPT checks it.)
  std::vector<B> flag_update;    // index = level
};

// `read(address)` returns the 8-byte entry at a physical address.
template <class D, class Read>
LinearVerdict<D> translate_linear(const LinearShape& s, const RightsFacts<D>& access_and_controls,
                                  const typename D::Word& cr3, const typename D::Word& linear, Read read) {
  using B = typename D::Bool;
  using W = typename D::Word;
  LinearVerdict<D> v{D::truth(false), D::word(0), D::word(0), std::vector<W>(kTopLevel + 1, D::word(0)),
                     std::vector<W>(kTopLevel + 1, D::word(0)), std::vector<B>(kTopLevel + 1, D::truth(false))};
  std::vector<B> used(kTopLevel + 1, D::truth(false)), maps_here(kTopLevel + 1, D::truth(false));

  // The chain: CR3 bits M-1:12 locate the top table (4.5.4 / 4.5.5).
  W table = cr3 & D::word(bits_below_m(s.maxphyaddr, 12));
  for (unsigned level = s.levels; level >= 1; --level) {
    const unsigned shift = 12 + 9 * (level - 1);
    const W index = D::shift_right(linear, shift) & D::word(0x1ff);
    v.entry_address[level] = table | D::shift_left(index, 3);
    v.entry[level] = read(v.entry_address[level]);
    table = v.entry[level] & D::word(bits_below_m(s.maxphyaddr, 12));
  }

  // Why the walk stops at a level, given that it got there.
  const RightsFacts<D>& f = access_and_controls;
  B reached = D::truth(true);
  B not_present = D::truth(false), reserved = D::truth(false), mapped = D::truth(false);
  B user_everywhere = D::truth(true), rw_everywhere = D::truth(true), xd_somewhere = D::truth(false);
  W key = D::word(0), physical = D::word(0);
  for (unsigned level = s.levels; level >= 1; --level) {
    const W e = v.entry[level];
    const B p = D::bit(e, 0);
    const B ps = (level == 2 || level == 3) ? D::bit(e, 7) : D::truth(level == 1);
    const W rsvd_page = D::word(reserved_bits_of(level, true, s));
    const W rsvd_table = D::word(reserved_bits_of(level, false, s));
    const W rsvd = D::ite(ps, rsvd_page, rsvd_table) | D::ite(f.efer_nxe, D::word(0), D::word(std::uint64_t{1} << 63));
    const B has_rsvd = (e & rsvd) != D::word(0);
    const B stops_not_present = reached && !p;
    const B stops_reserved = reached && p && has_rsvd;
    const B ok = reached && p && !has_rsvd;
    not_present = not_present || stops_not_present;
    reserved = reserved || stops_reserved;
    user_everywhere = user_everywhere && (!ok || D::bit(e, 2));
    rw_everywhere = rw_everywhere && (!ok || D::bit(e, 1));
    xd_somewhere = xd_somewhere || (ok && D::bit(e, 63));
    const B maps = ok && ps;
    used[level] = ok;
    maps_here[level] = maps;
    // The page frame: bits M-1:12 (4K), M-1:21 (2M) or M-1:30 (1G) of the entry, the rest
    // from the linear address (4.5.4, Figures 4-8 .. 4-10).
    const unsigned page_shift = 12 + 9 * (level - 1);
    const std::uint64_t offset_mask = (std::uint64_t{1} << page_shift) - 1;
    physical = D::ite(maps, (e & D::word(bits_below_m(s.maxphyaddr, page_shift))) | (linear & D::word(offset_mask)), physical);
    key = D::ite(maps, D::shift_right(e, 59u) & D::word(0xf), key);
    mapped = mapped || maps;
    reached = ok && !ps;
  }

  RightsFacts<D> facts = f;
  facts.user_address = user_everywhere;
  facts.rw_everywhere = rw_everywhere;
  facts.xd_somewhere = xd_somewhere;
  facts.key = key;
  const RightsVerdict<D> rights = judge_access<D>(facts);
  const B rights_fault = mapped && !rights.permitted;
  v.page_fault = not_present || reserved || rights_fault;
  v.physical = physical;

  // 4.7, Figure 4-12: P, W/R, U/S, RSVD, I/D, PK.
  const auto set_if = [](const B& b, unsigned n) { return D::ite(b, D::word(std::uint64_t{1} << n), D::word(0)); };
  W code = set_if(!not_present, 0) | set_if(f.write, 1) | set_if(f.user_access, 2) | set_if(reserved, 3) |
           set_if(f.fetch && (f.cr4_smep || f.efer_nxe), 4) | set_if(rights_fault && rights.key_denies, 5);
  v.error_code = D::ite(v.page_fault, code, D::word(0));
  for (unsigned level = s.levels; level >= 1; --level) {
    const B accessed = D::bit(v.entry[level], 5), dirty = D::bit(v.entry[level], 6);
    v.flag_update[level] = !v.page_fault && used[level] && (!accessed || (maps_here[level] && f.write && !dirty));
  }
  return v;
}

}  // namespace vtspec::checker::declarative
