// Linear-address translation with 4-level and 5-level paging, SDM Vol. 3A 4.5, with the
// checks of 4.6 (access rights), 4.7 (page-fault exceptions) and 4.8 (accessed and dirty
// flags). The loop is bounded by the level count, so the symbolic domain unrolls it.
#pragma once

#include "spec/guest_physical_port.hpp"
#include "spec/page_fault_error_code.hpp"
#include "spec/paging_access_rights.hpp"
#include "spec/paging_entry.hpp"
#include "spec/per_level.hpp"

namespace vtspec::spec {

struct PagingShape : WalkShape {
  bool page1gb = true;  // CPUID.80000001H:EDX.Page1GB
};

template <class D>
struct PagingWalk {
  using W = typename D::Word;
  using B = typename D::Bool;

  // Exactly one of these holds.
  B translated;   // the access is allowed; `physical` is its address
  B page_fault;   // #PF with `error_code`; CR2 = the linear address
  B port_fault;   // a paging-structure reference (or A/D update) faulted in the port

  W physical;
  W error_code;
  W leaf_level;            // 1 = 4 KByte, 2 = 2 MByte, 3 = 1 GByte (valid when the leaf was reached)
  B reached_leaf;          // a present leaf without reserved bits was found
  CombinedRights<D> rights;
  B key_fault;
  // Per level (SDM numbering): the entry's address and value as read, whether it was
  // read at all, and whether it was used (present, no reserved bit) by this translation.
  PerLevel<W> entry_address;
  PerLevel<W> entry;
  PerLevel<B> read;
  PerLevel<B> used;
  // A/D updates the processor must perform on success (4.8), and the ones it may perform.
  PerLevel<B> sets_accessed;
  B sets_dirty;            // on the leaf
  PerLevel<B> may_set_accessed;

  explicit PagingWalk()
      : translated(D::truth(false)), page_fault(D::truth(false)), port_fault(D::truth(false)),
        physical(D::word(0)), error_code(D::word(0)), leaf_level(D::word(0)),
        reached_leaf(D::truth(false)), key_fault(D::truth(false)),
        entry_address(D::word(0)), entry(D::word(0)), read(D::truth(false)),
        used(D::truth(false)), sets_accessed(D::truth(false)), sets_dirty(D::truth(false)),
        may_set_accessed(D::truth(false)) {}
};

// `root` is CR3 (bits 11:0 and 63:52 are flags or PCID and do not form the address).
template <class D, class Port>
  requires GuestPhysicalPort<Port, D>
PagingWalk<D> walk_paging(const PagingShape& shape, const PagingControl<D>& ctl,
                          const typename D::Word& root, const typename D::Word& linear,
                          const Access<D>& access, Port& port,
                          AccessedFlagPolicy policy = AccessedFlagPolicy::lazy()) {
  using W = typename D::Word;
  using B = typename D::Bool;
  PagingWalk<D> w;
  const std::uint64_t frame = frame_mask(shape.maxphyaddr);
  const W no_execute_reserved = D::ite(ctl.efer_nxe, D::word(0), D::word(bit_at(pte::execute_disable)));

  W table = root & D::word(frame);
  B active = D::truth(true);   // the walk has not stopped yet
  B not_present = D::truth(false);
  B reserved = D::truth(false);
  B port_fault = D::truth(false);

  for (unsigned level = shape.levels; level >= 1; --level) {
    if (!D::may_be_true(active)) break;
    const W address = table | D::shift_left(D::field(linear, index_shift(level) + 8, index_shift(level)), 3);
    const PortRead<D> r = port.read_entry(address, level, active);
    w.entry_address[level] = address;
    w.entry[level] = r.value;
    w.read[level] = active;
    port_fault = port_fault || (active && r.fault);
    active = active && !r.fault;

    const W e = r.value;
    const B present = D::bit(e, pte::present);
    const B large = pte::level_can_map(level) && level > 1 ? D::bit(e, pte::page_size) : D::truth(false);
    const W reserved_bits =
        D::ite(large, D::word(pte::reserved_mask(level, true, shape.maxphyaddr, shape.page1gb)),
               D::word(pte::reserved_mask(level, false, shape.maxphyaddr, shape.page1gb))) |
        no_execute_reserved;
    const B has_reserved = D::any(e & reserved_bits, ~std::uint64_t{0});

    not_present = not_present || (active && !present);
    reserved = reserved || (active && present && has_reserved);
    const B used = active && present && !has_reserved;
    const B leaf = used && (level == 1 ? D::truth(true) : large);
    w.used[level] = used;
    w.may_set_accessed[level] = used;

    w.rights.user = w.rights.user && (!used || D::bit(e, pte::user));
    w.rights.writable = w.rights.writable && (!used || D::bit(e, pte::writable));
    w.rights.exec_disabled = w.rights.exec_disabled || (used && D::bit(e, pte::execute_disable));

    const std::uint64_t offset = (std::uint64_t{1} << index_shift(level)) - 1;
    w.physical = D::ite(leaf, (e & D::word(pte::leaf_frame_mask(level, shape.maxphyaddr))) | (linear & D::word(offset)),
                        w.physical);
    w.leaf_level = D::ite(leaf, D::word(level), w.leaf_level);
    w.rights.protection_key = D::ite(leaf, D::field(e, 62, pte::protection_key_lo), w.rights.protection_key);
    w.reached_leaf = w.reached_leaf || leaf;

    // An eager accessed-flag update happens as the entry is used (see AccessedFlagPolicy).
    if (policy.eager(level)) {
      const B update = used && !D::bit(e, pte::accessed);
      const B fault = port.update_entry_flags(address, level, update);
      port_fault = port_fault || (update && fault);
      active = active && !(update && fault);
    }
    table = e & D::word(frame);
    active = active && used && !leaf;
    if (level == 1) break;
  }

  const AccessDecision<D> decision = decide_access<D>(ctl, access, w.rights);
  const B walk_complete = w.reached_leaf && !port_fault;
  const B rights_fault = walk_complete && !decision.allowed;
  w.key_fault = rights_fault && decision.protection_key_fault;
  w.page_fault = !port_fault && (not_present || reserved || rights_fault);
  w.error_code = D::ite(w.page_fault, page_fault_error_code<D>(ctl, access, not_present, reserved, w.key_fault),
                        D::word(0));

  // A successful access marks every entry it used accessed, and a write marks the leaf
  // dirty (4.8). Those updates are writes to the paging structures, which can themselves
  // fault in a two-dimensional walk (SDM Vol. 3C 29.3.3.2), top level first.
  B succeeded = walk_complete && decision.allowed;
  for (unsigned level = shape.levels; level >= 1; --level) {
    const B leaf_here = w.used[level] && w.leaf_level == D::word(level);
    const B needs_accessed = w.used[level] && !D::bit(w.entry[level], pte::accessed);
    const B needs_dirty = leaf_here && access.write && !D::bit(w.entry[level], pte::dirty);
    const B already_done = D::truth(policy.eager(level));
    const B update = succeeded && ((needs_accessed && !already_done) || needs_dirty);
    B update_faulted = D::truth(false);
    if (D::may_be_true(update)) {
      update_faulted = update && port.update_entry_flags(w.entry_address[level], level, update);
      port_fault = port_fault || update_faulted;
    }
    // An update that faulted (an EPT violation on the entry's page) did not happen.
    succeeded = succeeded && !update_faulted;
    w.sets_accessed[level] = succeeded && needs_accessed;
    w.sets_dirty = w.sets_dirty || (succeeded && needs_dirty);
    if (level == 1) break;
  }
  w.port_fault = port_fault;
  w.translated = succeeded;
  return w;
}

}  // namespace vtspec::spec
