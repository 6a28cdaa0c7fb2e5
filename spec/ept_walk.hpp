// Guest-physical-address translation through EPT, SDM Vol. 3C 29.3.2 (translation),
// 29.3.3.1 (misconfigurations), 29.3.3.2 (violations) and 29.3.5 (accessed and dirty flags).
//
// The walk is a pure translation: it returns either the translation or what failed - a
// misconfiguration with its cause, or a violation with the access and the rights the entries
// grant - and nothing about how a VMM is told. The VM-exit qualification of a violation
// (Table 28-7) is a separate rule, spec/ept_violation_qualification.hpp, so a walk of
// EPT-format tables serves wherever such tables are walked.
#pragma once

#include "spec/ept_entry.hpp"
#include "spec/ept_pointer.hpp"
#include "spec/per_level.hpp"

namespace vtspec::spec {

struct EptShape {
  unsigned levels = 4;                // from EPTP[5:3]
  EptCapabilities caps;
};

// One guest-physical access as EPT sees it: the kind of access the rights are checked
// against (29.3.3.2).
template <class D>
struct EptAccess {
  using B = typename D::Bool;
  B read = D::truth(true);
  B write = D::truth(false);
  B fetch = D::truth(false);
  // With mode-based execute control a fetch is checked against bit 10 when the linear
  // address is user-mode and bit 2 when it is supervisor-mode (29.3.3.2).
  B linear_user = D::truth(false);
};

// What the entries a walk read allow: the AND of bits 0, 1, 2 and 10 over every entry
// read, a not-present one included (it contributes zeros).
template <class D>
struct EptRights {
  using B = typename D::Bool;
  B readable = D::truth(true);
  B writable = D::truth(true);
  B executable = D::truth(true);
  B user_executable = D::truth(true);
};

// Why a walk ended in an EPT misconfiguration (29.3.3.1), of the misconfigured entry - the
// last one read. Several causes may hold in the one entry.
template <class D>
struct EptMisconfiguration {
  using B = typename D::Bool;
  using W = typename D::Word;
  B reserved_bit = D::truth(false);              // a reserved bit is set
  B write_without_read = D::truth(false);        // bit 1 set, bit 0 clear
  B execute_only_unsupported = D::truth(false);  // bit 0 clear, execute set, no capability
  B memory_type = D::truth(false);               // a leaf with memory type 2, 3 or 7
  W level = D::word(0);
};

// The result of a walk, a tagged union: exactly one of `translated`, `violation` and
// `misconfig` holds. A translation has `physical` and `leaf_level`; a violation has the
// `access` it refused, the `rights` it was checked against and `not_present`; a
// misconfiguration has `misconfiguration`. The per-level records say which entries were
// read and what the accessed/dirty rules of 29.3.5 do with them.
template <class D>
struct EptWalk {
  using W = typename D::Word;
  using B = typename D::Bool;
  B translated;
  B violation;
  B misconfig;
  W physical;
  W leaf_level;
  EptAccess<D> access;
  EptRights<D> rights;
  B not_present;              // violation: an entry was not present (else the rights refused the access)
  EptMisconfiguration<D> misconfiguration;
  PerLevel<W> entry_address;
  PerLevel<W> entry;
  PerLevel<B> read;
  PerLevel<B> sets_accessed;  // with EPTP[6] = 1 on success
  B sets_dirty;
  PerLevel<B> may_set_accessed;

  explicit EptWalk(const EptAccess<D>& a)
      : translated(D::truth(false)), violation(D::truth(false)), misconfig(D::truth(false)),
        physical(D::word(0)), leaf_level(D::word(0)), access(a), not_present(D::truth(false)),
        entry_address(D::word(0)), entry(D::word(0)), read(D::truth(false)), sets_accessed(D::truth(false)),
        sets_dirty(D::truth(false)), may_set_accessed(D::truth(false)) {}
  EptWalk() : EptWalk(EptAccess<D>{}) {}
};

// EPT memory is host-physical and is read directly: `read_host(address, level, active)`.
template <class D, class HostMemory>
EptWalk<D> walk_ept(const EptShape& shape, const typename D::Word& eptp_value,
                    const typename D::Word& guest_physical, const EptAccess<D>& access,
                    HostMemory& memory) {
  using W = typename D::Word;
  using B = typename D::Bool;
  EptWalk<D> w(access);
  const unsigned maxphyaddr = shape.caps.maxphyaddr;
  const std::uint64_t frame = frame_mask(maxphyaddr);
  const bool mbec = shape.caps.mode_based_execute;

  W table = eptp_value & D::word(frame);
  B active = D::truth(true);
  B not_present = D::truth(false);
  B misconfig = D::truth(false);
  // Per level: was this entry read and misconfigured, and which conditions of 29.3.3.1 hold.
  PerLevel<B> misconfigured_here(D::truth(false));
  PerLevel<EptMisconfiguration<D>> conditions{EptMisconfiguration<D>{}};
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
    misconfigured_here[level] = active && bad;
    conditions[level].reserved_bit = has_reserved;
    conditions[level].write_without_read = write_without_read;
    conditions[level].execute_only_unsupported = unsupported_execute_only;
    conditions[level].memory_type = bad_type;
    const B used = active && present && !bad;
    w.may_set_accessed[level] = used;
    // Access rights are the AND over every entry the translation reads, including a
    // not-present one (which contributes zeros).
    EptRights<D>& rights = w.rights;
    rights.readable = rights.readable && (!active || r);
    rights.writable = rights.writable && (!active || wr);
    rights.executable = rights.executable && (!active || x);
    rights.user_executable = rights.user_executable && (!active || xu);

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
  const EptRights<D>& rights = w.rights;
  const B may_execute = mbec ? D::ite(access.linear_user, rights.user_executable, rights.executable) : rights.executable;
  const B rights_ok = (!access.read || rights.readable) && (!access.write || rights.writable) && (!access.fetch || may_execute);
  w.misconfig = misconfig;
  w.violation = !misconfig && (not_present || (leaf_seen && !rights_ok));
  w.not_present = !misconfig && not_present;
  w.translated = leaf_seen && !misconfig && rights_ok;

  // The cause, of the one entry that was both read and misconfigured (the walk stops there).
  // Built after the walk so that its terms follow the walk's own.
  EptMisconfiguration<D>& cause = w.misconfiguration;
  for (unsigned level = shape.levels; level >= 1; --level) {
    const B here = misconfigured_here[level];
    const EptMisconfiguration<D>& found = conditions[level];
    cause.reserved_bit = cause.reserved_bit || (here && found.reserved_bit);
    cause.write_without_read = cause.write_without_read || (here && found.write_without_read);
    cause.execute_only_unsupported = cause.execute_only_unsupported || (here && found.execute_only_unsupported);
    cause.memory_type = cause.memory_type || (here && found.memory_type);
    cause.level = D::ite(here, D::word(level), cause.level);
    if (level == 1) break;
  }

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
