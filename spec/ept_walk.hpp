// Guest-physical-address translation through EPT, SDM Vol. 3C 29.3.2 (translation),
// 29.3.3.1 (misconfigurations), 29.3.3.2 (violations), 29.3.5 (accessed and dirty flags)
// and Table 28-7 (exit qualification for EPT violations).
#pragma once

#include "spec/ept_entry.hpp"
#include "spec/ept_pointer.hpp"
#include "spec/per_level.hpp"

namespace vtspec::spec {

struct EptShape {
  unsigned levels = 4;                // from EPTP[5:3]
  EptCapabilities caps;
};

// One guest-physical access as EPT sees it.
template <class D>
struct EptAccess {
  using B = typename D::Bool;
  using W = typename D::Word;
  B read = D::truth(true);
  B write = D::truth(false);
  B fetch = D::truth(false);
  // A locked read-modify-write (an accessed/dirty update of a guest paging-structure entry
  // without EPT A/D): Table 28-7 says bit 1 is set and bit 0 is implementation-specific.
  B read_modify_write = D::truth(false);
  B linear_valid = D::truth(true);      // qualification bit 7
  B to_final_translation = D::truth(true);  // bit 8: the access is to the linear translation, not to a paging structure
  // Facts about the guest linear translation, for MBEC (29.3.3.2) and bits 11:9.
  B linear_user = D::truth(false);
  B linear_writable = D::truth(false);
  B linear_exec_disabled = D::truth(false);
};

namespace ept_qualification {
inline constexpr unsigned read = 0, write = 1, fetch = 2;
inline constexpr unsigned readable = 3, writable = 4, executable = 5, user_executable = 6;
inline constexpr unsigned linear_valid = 7, final_translation = 8;
inline constexpr unsigned linear_user = 9, linear_writable = 10, linear_exec_disabled = 11;
}  // namespace ept_qualification

template <class D>
struct EptWalk {
  using W = typename D::Word;
  using B = typename D::Bool;
  B translated;
  B violation;
  B misconfig;
  W physical;
  W qualification;            // valid for a violation
  W qualification_undefined;  // bits whose value the SDM leaves to the implementation
  W leaf_level;
  B readable, writable, executable, user_executable;  // AND over the entries used
  PerLevel<W> entry_address;
  PerLevel<W> entry;
  PerLevel<B> read;
  PerLevel<B> sets_accessed;  // with EPTP[6] = 1 on success
  B sets_dirty;
  PerLevel<B> may_set_accessed;

  EptWalk()
      : translated(D::truth(false)), violation(D::truth(false)), misconfig(D::truth(false)),
        physical(D::word(0)), qualification(D::word(0)), qualification_undefined(D::word(0)),
        leaf_level(D::word(0)), readable(D::truth(true)), writable(D::truth(true)),
        executable(D::truth(true)), user_executable(D::truth(true)), entry_address(D::word(0)),
        entry(D::word(0)), read(D::truth(false)), sets_accessed(D::truth(false)),
        sets_dirty(D::truth(false)), may_set_accessed(D::truth(false)) {}
};

// EPT memory is host-physical and is read directly: `read_host(address, level, active)`.
template <class D, class HostMemory>
EptWalk<D> walk_ept(const EptShape& shape, const typename D::Word& eptp_value,
                    const typename D::Word& guest_physical, const EptAccess<D>& access,
                    HostMemory& memory) {
  using W = typename D::Word;
  using B = typename D::Bool;
  EptWalk<D> w;
  const unsigned maxphyaddr = shape.caps.maxphyaddr;
  const std::uint64_t frame = frame_mask(maxphyaddr);
  const bool mbec = shape.caps.mode_based_execute;

  W table = eptp_value & D::word(frame);
  B active = D::truth(true);
  B not_present = D::truth(false);
  B misconfig = D::truth(false);
  B leaf_seen = D::truth(false);

  for (unsigned level = shape.levels; level >= 1; --level) {
    if (!D::may_be_true(active)) break;
    const W address = table | D::shift_left(D::field(guest_physical, index_shift(level) + 8, index_shift(level)), 3);
    const W e = memory.read_host(address, level, active);
    w.entry_address[level] = address;
    w.entry[level] = e;
    w.read[level] = active;

    const B r = D::bit(e, epte::read);
    const B wr = D::bit(e, epte::write);
    const B x = D::bit(e, epte::execute);
    const B xu = mbec ? D::bit(e, epte::user_execute) : D::truth(false);
    // 29.3.2: present when any of bits 2:0 is set (or bit 10 with MBEC).
    const B present = r || wr || x || xu;

    bool large_possible = (level == 3 && shape.caps.page_1g) || (level == 2 && shape.caps.page_2m);
    const B large = large_possible ? D::bit(e, epte::page_size) : D::truth(false);
    const B leaf = level == 1 ? D::truth(true) : large;
    // Without the page-size capability, PS is a reserved bit at that level.
    const std::uint64_t ps_reserved = (level == 3 || level == 2) && !large_possible ? bit_at(epte::page_size) : 0;
    const W reserved_bits = D::ite(large, D::word(epte::reserved_mask(level, true, maxphyaddr)),
                                   D::word(epte::reserved_mask(level, false, maxphyaddr) | ps_reserved));
    const B has_reserved = D::any(e & reserved_bits, ~std::uint64_t{0});
    // 29.3.3.1: write-only or write/execute (bit 0 clear, bit 1 set); execute-only
    // without the capability; a reserved memory type in the leaf.
    const B write_without_read = !r && wr;
    const B unsupported_execute_only = shape.caps.execute_only ? D::truth(false) : (!r && (x || xu));
    const W type = D::field(e, 5, epte::memory_type_lo);
    const B bad_type = leaf && (type == D::word(2) || type == D::word(3) || type == D::word(7));
    const B bad = present && (has_reserved || write_without_read || unsupported_execute_only || bad_type);

    not_present = not_present || (active && !present);
    misconfig = misconfig || (active && bad);
    const B used = active && present && !bad;
    w.may_set_accessed[level] = used;
    // Access rights are the AND over every entry the translation reads, including a
    // not-present one (which contributes zeros) - Table 28-7 bits 3-6.
    w.readable = w.readable && (!active || r);
    w.writable = w.writable && (!active || wr);
    w.executable = w.executable && (!active || x);
    w.user_executable = w.user_executable && (!active || xu);

    const B is_leaf = used && leaf;
    const std::uint64_t offset = (std::uint64_t{1} << index_shift(level)) - 1;
    w.physical = D::ite(is_leaf, (e & D::word(frame & ~offset)) | (guest_physical & D::word(offset)), w.physical);
    w.leaf_level = D::ite(is_leaf, D::word(level), w.leaf_level);
    leaf_seen = leaf_seen || is_leaf;
    table = e & D::word(frame);
    active = used && !leaf;
    if (level == 1) break;
  }

  // 29.3.3.2: with MBEC a fetch needs bit 2 for a supervisor-mode linear address and
  // bit 10 for a user-mode one; without it, bit 2.
  const B may_execute = mbec ? D::ite(access.linear_user, w.user_executable, w.executable) : w.executable;
  const B rights_ok = (!access.read || w.readable) && (!access.write || w.writable) && (!access.fetch || may_execute);
  w.misconfig = misconfig;
  w.violation = !misconfig && (not_present || (leaf_seen && !rights_ok));
  w.translated = leaf_seen && !misconfig && rights_ok;

  namespace q = ept_qualification;
  const auto flag = [](const B& b, unsigned n) { return D::shift_left(D::from_bool(b), n); };
  W qual = flag(access.read, q::read) | flag(access.write, q::write) | flag(access.fetch, q::fetch);
  qual = qual | flag(w.readable, q::readable) | flag(w.writable, q::writable) | flag(w.executable, q::executable);
  if (mbec) qual = qual | flag(w.user_executable, q::user_executable);
  qual = qual | flag(access.linear_valid, q::linear_valid);
  qual = qual | flag(access.linear_valid && access.to_final_translation, q::final_translation);
  const B advanced = D::truth(shape.caps.advanced_exit_info) && access.linear_valid && access.to_final_translation;
  qual = qual | flag(advanced && access.linear_user, q::linear_user) |
         flag(advanced && access.linear_writable, q::linear_writable) |
         flag(advanced && access.linear_exec_disabled, q::linear_exec_disabled);
  w.qualification = D::ite(w.violation, qual, D::word(0));
  // Bit 0 of a read-modify-write is implementation-specific (Table 28-7, note to bit 0);
  // bits 11:9 are undefined when bit 8 is clear (paging-structure access).
  const W rmw_read_bit = D::ite(access.read_modify_write, D::word(bit_at(q::read)), D::word(0));
  const W advanced_undefined =
      D::ite(access.to_final_translation || !D::truth(shape.caps.advanced_exit_info), D::word(0),
             D::word(bit_range(11, 9)));
  w.qualification_undefined = D::ite(w.violation, rmw_read_bit | advanced_undefined, D::word(0));

  // 29.3.5: with EPTP[6] = 1 a successful translation marks every entry used accessed,
  // and a write marks the leaf dirty.
  const B ad = D::bit(eptp_value, eptp::accessed_dirty);
  for (unsigned level = shape.levels; level >= 1; --level) {
    w.sets_accessed[level] = ad && w.translated && w.may_set_accessed[level] && !D::bit(w.entry[level], epte::accessed);
    const B leaf_here = w.leaf_level == D::word(level);
    w.sets_dirty = w.sets_dirty || (ad && w.translated && leaf_here && access.write && !D::bit(w.entry[level], epte::dirty));
    w.may_set_accessed[level] = ad && w.may_set_accessed[level];
    if (level == 1) break;
  }
  return w;
}

}  // namespace vtspec::spec
