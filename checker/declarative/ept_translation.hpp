// An independent transcription of EPT translation for one guest-physical access:
// SDM Vol. 3C 29.3.2 (entry formats, Tables 29-1 .. 29-7), 29.3.3.1 (EPT
// misconfigurations), 29.3.3.2 (EPT violations), 29.3.5 (accessed and dirty flags) and
// Table 28-7 (exit qualification for EPT violations). Compared with spec/ept_walk.hpp by the
// obligation "ept-classification". Only the value domain is shared with spec/; the
// capability and access structs are used as plain input records.
#pragma once

#include <vector>
#include <cstdint>

#include "checker/declarative/linear_translation.hpp"
#include "spec/domain.hpp"
#include "spec/ept_pointer.hpp"  // EptCapabilities: a plain record of IA32_VMX_EPT_VPID_CAP bits
#include "spec/ept_violation_qualification.hpp"  // EptAccessOrigin: a plain record of how it arose
#include "spec/ept_walk.hpp"     // EptAccess: a plain record describing the access

namespace vtspec::checker::declarative {

// Reserved bits of a present EPT entry (Tables 29-1 .. 29-7): bits 51:M everywhere; 7:3 in
// a PML5E/PML4E; 6:3 in an entry that references a table (PDPTE/PDE with bit 7 = 0); 29:12
// in a PDPTE mapping 1 GByte, 20:12 in a PDE mapping 2 MBytes. Where a page size is not
// supported (IA32_VMX_EPT_VPID_CAP bits 16/17), bit 7 of that entry is reserved.
constexpr std::uint64_t ept_reserved_bits(unsigned level, bool maps_page, const spec::EptCapabilities& caps) {
  const unsigned m = caps.maxphyaddr;
  std::uint64_t r = m < 52 ? (((std::uint64_t{1} << 52) - 1) & ~((std::uint64_t{1} << m) - 1)) : 0;
  if (level >= 4) return r | 0xf8;  // 7:3
  if (level == 3 && !caps.page_1g) r |= 0x80;
  if (level == 2 && !caps.page_2m) r |= 0x80;
  if (level == 3 || level == 2) {
    if (!maps_page) return r | 0x78;  // 6:3
    return r | (level == 3 ? 0x3ffff000ull : 0x1ff000ull);
  }
  return r;
}

// SDM Vol. 3C 25.6.11 (Table 25-9, EPTP format): bits 5:3 of the EPTP are one less than the EPT
// page-walk length; the walk then starts at the EPT PML4 table (length 4) or PML5 table (5).
inline unsigned eptp_page_walk_length(std::uint64_t eptp) {
  const std::uint64_t length_minus_one = (eptp / 8) % 8;  // bits 5:3
  return static_cast<unsigned>(length_minus_one) + 1;
}

template <class D>
struct EptVerdict {
  using B = typename D::Bool;
  using W = typename D::Word;
  B misconfig, violation, translated;
  W physical;
  W qualification;            // Table 28-7 bits 11:0 (violations)
  W qualification_undefined;  // bits the SDM leaves to the implementation
  std::vector<B> sets_accessed;
  B sets_dirty;
  std::vector<W> entry_address;
};

template <class D, class Read>
EptVerdict<D> translate_guest_physical(unsigned levels, const spec::EptCapabilities& caps,
                                       const typename D::Word& eptp, const typename D::Word& gpa,
                                       const spec::EptAccess<D>& access, const spec::EptAccessOrigin<D>& origin,
                                       Read read) {
  using B = typename D::Bool;
  using W = typename D::Word;
  const unsigned m = caps.maxphyaddr;
  const bool mbec = caps.mode_based_execute;
  EptVerdict<D> v{D::truth(false), D::truth(false), D::truth(false), D::word(0), D::word(0), D::word(0),
                  std::vector<B>(kTopLevel + 1, D::truth(false)), D::truth(false), std::vector<W>(kTopLevel + 1, D::word(0))};
  std::vector<W> entry(kTopLevel + 1, D::word(0));
  // 29.3.2: EPTP bits M-1:12 locate the top table; each entry's bits M-1:12 the next.
  W table = eptp & D::word(bits_below_m(m, 12));
  for (unsigned level = levels; level >= 1; --level) {
    const W index = D::shift_right(gpa, 12 + 9 * (level - 1)) & D::word(0x1ff);
    v.entry_address[level] = table | D::shift_left(index, 3);
    entry[level] = read(v.entry_address[level]);
    table = entry[level] & D::word(bits_below_m(m, 12));
  }

  B reached = D::truth(true);
  B not_present = D::truth(false), misconfigured = D::truth(false), mapped = D::truth(false);
  B all_r = D::truth(true), all_w = D::truth(true), all_x = D::truth(true), all_xu = D::truth(true);
  W physical = D::word(0);
  std::vector<B> used(kTopLevel + 1, D::truth(false));
  W leaf_entry = D::word(0);
  for (unsigned level = levels; level >= 1; --level) {
    const W e = entry[level];
    const B r = D::bit(e, 0), w = D::bit(e, 1), x = D::bit(e, 2);
    const B xu = mbec ? D::bit(e, 10) : D::truth(false);
    // 29.3.2: "an entry is present if any of bits 2:0 is 1" (or bit 10 with MBEC).
    const B present = r || w || x || xu;
    const bool size_supported = (level == 3 && caps.page_1g) || (level == 2 && caps.page_2m);
    const B maps_page = level == 1 ? D::truth(true) : size_supported ? D::bit(e, 7) : D::truth(false);
    const W rsvd = D::ite(maps_page, D::word(ept_reserved_bits(level, true, caps)), D::word(ept_reserved_bits(level, false, caps)));
    const W mem_type = D::shift_right(e, 3u) & D::word(7);
    // 29.3.3.1: a present entry is misconfigured when ...
    const B misconfig_here =
        (!r && w)                                                   // write permission without read
        || (caps.execute_only ? D::truth(false) : (!r && (x || xu)))  // execute-only not supported
        || ((e & rsvd) != D::word(0))                               // a reserved bit is set
        || (maps_page && (mem_type == D::word(2) || mem_type == D::word(3) || mem_type == D::word(7)));  // reserved memory type
    not_present = not_present || (reached && !present);
    misconfigured = misconfigured || (reached && present && misconfig_here);
    // Table 28-7 bits 3-6: AND over the entries read, a not-present one included.
    all_r = all_r && (!reached || r);
    all_w = all_w && (!reached || w);
    all_x = all_x && (!reached || x);
    all_xu = all_xu && (!reached || xu);
    const B good = reached && present && !misconfig_here;
    used[level] = good;
    const B maps = good && maps_page;
    const unsigned page_shift = 12 + 9 * (level - 1);
    const std::uint64_t offset = (std::uint64_t{1} << page_shift) - 1;
    physical = D::ite(maps, (e & D::word(bits_below_m(m, page_shift))) | (gpa & D::word(offset)), physical);
    leaf_entry = D::ite(maps, e, leaf_entry);
    mapped = mapped || maps;
    reached = good && !maps_page;
  }

  // 29.3.3.2: a violation when an entry is not present, or the access is not permitted:
  // a read needs bit 0, a write bit 1, a fetch bit 2 (MBEC: bit 2 for supervisor-mode
  // linear addresses, bit 10 for user-mode ones) in every entry.
  const B exec_ok = mbec ? D::ite(access.linear_user, all_xu, all_x) : all_x;
  const B permitted = (!access.read || all_r) && (!access.write || all_w) && (!access.fetch || exec_ok);
  v.misconfig = misconfigured;
  v.violation = !misconfigured && (not_present || (mapped && !permitted));
  v.translated = !misconfigured && mapped && permitted;
  v.physical = physical;

  // Table 28-7.
  const auto set_if = [](const B& b, unsigned n) { return D::ite(b, D::word(std::uint64_t{1} << n), D::word(0)); };
  const B advanced = D::truth(caps.advanced_exit_info) && origin.linear_valid && origin.to_final_translation;
  W q = set_if(access.read, 0) | set_if(access.write, 1) | set_if(access.fetch, 2) |
        set_if(all_r, 3) | set_if(all_w, 4) | set_if(all_x, 5) | set_if(D::truth(mbec) && all_xu, 6) |
        set_if(origin.linear_valid, 7) | set_if(origin.linear_valid && origin.to_final_translation, 8) |
        set_if(advanced && access.linear_user, 9) | set_if(advanced && origin.linear_writable, 10) |
        set_if(advanced && origin.linear_exec_disabled, 11);
  // Bit 0 for the locked read-modify-write of an A/D update without EPT A/D is
  // implementation-specific; bits 11:9 are undefined for an access to a paging structure.
  W undefined = set_if(origin.read_modify_write, 0) |
                D::ite(D::truth(caps.advanced_exit_info) && origin.linear_valid && !origin.to_final_translation,
                       D::word(0xe00), D::word(0));
  v.qualification = D::ite(v.violation, q, D::word(0));
  v.qualification_undefined = D::ite(v.violation, undefined, D::word(0));

  // 29.3.5: with EPTP bit 6 = 1, a successful translation sets A in every entry it used
  // (that does not have it), and D in the leaf on a write.
  const B ad = D::bit(eptp, 6);
  for (unsigned level = levels; level >= 1; --level) v.sets_accessed[level] = ad && v.translated && used[level] && !D::bit(entry[level], 8);
  v.sets_dirty = ad && v.translated && access.write && !D::bit(leaf_entry, 9);
  return v;
}

}  // namespace vtspec::checker::declarative
