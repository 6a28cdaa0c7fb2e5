// A copy of spec::decide_access (spec/paging_access_rights.hpp) with injectable bugs, and
// the re-decision of a finished spec walk with it. Used only by mutation tests.
#pragma once

#include <vector>

#include "checker/mutants/mutation.hpp"
#include "spec/page_fault_error_code.hpp"
#include "spec/paging_access_rights.hpp"
#include "spec/paging_walk.hpp"

namespace vtspec::checker::mutants {

template <class D>
spec::AccessDecision<D> decide_access(Mutation m, const spec::PagingControl<D>& ctl, const spec::Access<D>& acc,
                                      const spec::CombinedRights<D>& r) {
  using B = typename D::Bool;
  const B data = !acc.fetch;
  const B read = data && !acc.write;
  const B supervisor = !acc.user;
  const B supervisor_address = !r.user;
  const B smap_blocks = m == Mutation::smap_ac_covers_implicit ? ctl.cr4_smap && !ctl.rflags_ac  // BUG
                                                                : ctl.cr4_smap && (acc.implicit || !ctl.rflags_ac);
  const B write_ok = m == Mutation::ignore_cr0_wp ? r.writable || supervisor  // BUG
                                                  : r.writable || (supervisor && !ctl.cr0_wp);
  const B xd = m == Mutation::xd_inverted ? !r.exec_disabled : r.exec_disabled;  // BUG when mutated
  const B executable = !(ctl.efer_nxe && xd);
  const B user_ok = r.user && ((read) || (acc.write && r.writable) || (acc.fetch && executable));
  const B supervisor_data_ok = (supervisor_address || !smap_blocks) && (read || write_ok);
  const B supervisor_fetch_ok = executable && (supervisor_address || !ctl.cr4_smep);
  const B paging_ok = D::ite(acc.user, user_ok, D::ite(acc.fetch, supervisor_fetch_ok, supervisor_data_ok));
  const B keys_apply = D::ite(r.user, ctl.cr4_pke, ctl.cr4_pks);
  const typename D::Word keys = D::ite(r.user, ctl.pkru, ctl.pkrs);
  const B access_disable = spec::key_bit<D>(keys, r.protection_key, 0);
  const B write_disable = spec::key_bit<D>(keys, r.protection_key, 1);
  const B key_fault = keys_apply && data && (access_disable || (acc.write && write_disable && (acc.user || ctl.cr0_wp)));
  return {paging_ok && !key_fault, key_fault};
}

inline bool mutates_access_rights(Mutation m) {
  return m == Mutation::ignore_cr0_wp || m == Mutation::smap_ac_covers_implicit || m == Mutation::xd_inverted;
}

// Re-decide a native (port-fault-free) spec walk with the mutated rights: the structure of
// the walk (entries, not-present and reserved-bit stops) is unchanged; only the final
// access-rights decision and what follows from it (4.6, 4.7) differ.
template <class D>
void redecide(Mutation m, const spec::PagingControl<D>& ctl, const spec::Access<D>& acc, spec::PagingWalk<D>& w) {
  if (!mutates_access_rights(m)) return;
  const spec::AccessDecision<D> d = decide_access<D>(m, ctl, acc, w.rights);
  const typename D::Bool rights_fault = w.reached_leaf && !d.allowed;
  const typename D::Bool key_fault = rights_fault && d.protection_key_fault;
  w.translated = w.reached_leaf && d.allowed;
  // Without a leaf the walk stopped on a not-present entry or a reserved bit; its error
  // code is unaffected.
  w.page_fault = !w.reached_leaf || rights_fault;
  w.key_fault = key_fault;
  w.error_code = D::ite(w.reached_leaf,
                        D::ite(rights_fault,
                               spec::page_fault_error_code<D>(ctl, acc, D::truth(false), D::truth(false), key_fault),
                               D::word(0)),
                        w.error_code);
}

// The walk's A/D update references (its update_entry_flags requests, by level) with an
// injectable bug: guest-dirty-on-non-leaf - a write also updates every non-leaf entry it used
// (as if it needed a dirty flag there, issue 18 mutant 664). Natively invisible (no flag
// changes); in a two-dimensional walk each is an EPT-checked write.
template <class D>
void redecide_updates(Mutation m, const spec::Access<D>& acc, const spec::PagingWalk<D>& w,
                      std::vector<typename D::Bool>& update) {
  if (m != Mutation::guest_dirty_on_non_leaf) return;
  for (unsigned level = 2; level < update.size() && level <= 5; ++level)
    update[level] = update[level] || (w.translated && acc.write && w.used[level] && w.leaf_level != D::word(level));
}

}  // namespace vtspec::checker::mutants
