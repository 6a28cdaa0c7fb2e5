// Access rights of a completed linear-address translation, SDM Vol. 3A 4.6
// ("Access Rights") and 4.6.2 ("Protection Keys").
#pragma once

#include "spec/paging_control.hpp"

namespace vtspec::spec {

// The rights accumulated over every entry of a translation (SDM 4.6.1: the combined
// rights are the AND of R/W and of U/S, and the OR of XD, over all levels).
template <class D>
struct CombinedRights {
  using B = typename D::Bool;
  using W = typename D::Word;
  B user = D::truth(true);        // user-mode address: U/S = 1 at every level
  B writable = D::truth(true);    // R/W = 1 at every level
  B exec_disabled = D::truth(false);  // XD = 1 at some level
  W protection_key = D::word(0);  // bits 62:59 of the leaf
};

template <class D>
struct AccessDecision {
  using B = typename D::Bool;
  B allowed;
  B protection_key_fault;  // the PK bit of the #PF error code (SDM 4.7)
};

// SDM 4.6.2: PKRU holds, for key i, AD (bit 2i) and WD (bit 2i+1); IA32_PKRS has the same
// layout for supervisor-mode addresses when CR4.PKS = 1.
template <class D>
typename D::Bool key_bit(const typename D::Word& keys, const typename D::Word& key, unsigned which) {
  return D::bit(D::shift_right(keys, D::shift_left(key, 1u) | D::word(which)), 0u) ;
}

template <class D>
AccessDecision<D> decide_access(const PagingControl<D>& ctl, const Access<D>& acc, const CombinedRights<D>& r) {
  using B = typename D::Bool;
  const B data = !acc.fetch;
  const B read = data && !acc.write;
  const B supervisor = !acc.user;
  const B supervisor_address = !r.user;

  // SMAP (4.6.1): a supervisor-mode data access to a user-mode address is blocked when
  // CR4.SMAP = 1 unless it is explicit and EFLAGS.AC = 1.
  const B smap_blocks = ctl.cr4_smap && (acc.implicit || !ctl.rflags_ac);
  // A write needs R/W=1 everywhere, except a supervisor write with CR0.WP = 0.
  const B write_ok = r.writable || (supervisor && !ctl.cr0_wp);
  // XD only counts when EFER.NXE = 1 (otherwise bit 63 is reserved and never reaches here).
  const B executable = !(ctl.efer_nxe && r.exec_disabled);

  const B user_ok = r.user && ((read) || (acc.write && r.writable) || (acc.fetch && executable));
  const B supervisor_data_ok = (supervisor_address || !smap_blocks) && (read || write_ok);
  const B supervisor_fetch_ok = executable && (supervisor_address || !ctl.cr4_smep);
  const B paging_ok = D::ite(acc.user, user_ok,
                             D::ite(acc.fetch, supervisor_fetch_ok, supervisor_data_ok));

  // Protection keys (4.6.2) restrict data accesses only. PKRU governs user-mode addresses
  // when CR4.PKE = 1; PKRS governs supervisor-mode addresses when CR4.PKS = 1. Write-disable
  // applies to user-mode accesses, and to supervisor-mode accesses when CR0.WP = 1.
  const B keys_apply = D::ite(r.user, ctl.cr4_pke, ctl.cr4_pks);
  const typename D::Word keys = D::ite(r.user, ctl.pkru, ctl.pkrs);
  const B access_disable = key_bit<D>(keys, r.protection_key, 0);
  const B write_disable = key_bit<D>(keys, r.protection_key, 1);
  const B key_fault = keys_apply && data &&
                      (access_disable || (acc.write && write_disable && (acc.user || ctl.cr0_wp)));

  return {paging_ok && !key_fault, key_fault};
}

}  // namespace vtspec::spec
