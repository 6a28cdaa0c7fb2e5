// An independent transcription of AMD nested paging's reference rules, for comparison with
// spec/svm by the obligations "npt-composition" and "npt-isolation". Sources: AMD64 APM
// Vol. 2 15.25.5 ("Nested Table Walk") and 15.25.6 ("Nested versus Guest Page Faults, Fault
// Ordering").
#pragma once

#include "spec/paging_control.hpp"

namespace vtspec::checker::declarative {

// The two kinds of guest-physical reference a guest walk under nested paging makes.
enum class NestedReference { guest_table_read, guest_table_update, final_read, final_write, final_fetch };

// 15.25.5, as a table: every nested access is at user level; guest page-table accesses,
// whether they only read an entry or update its A/D bits, are checked as user writes; the
// final access is checked as what the guest did.
//   reference            user  write  fetch
//   guest_table_read      1     1      0
//   guest_table_update    1     1      0
//   final_read            1     0      0
//   final_write           1     1      0
//   final_fetch           1     0      1
template <class D>
spec::Access<D> nested_reference_access(NestedReference r) {
  struct Row { bool user, write, fetch; };
  static constexpr Row table[] = {{true, true, false}, {true, true, false}, {true, false, false}, {true, true, false},
                                  {true, false, true}};
  const Row row = table[static_cast<unsigned>(r)];
  spec::Access<D> a;
  a.user = D::truth(row.user);
  a.write = D::truth(row.write);
  a.fetch = D::truth(row.fetch);
  a.implicit = D::truth(false);
  return a;
}

// The control bits a nested walk runs with, written out (15.25.5): the nested walk is a
// user-level walk of long-mode tables in the host's paging mode, so only the host's EFER.NXE
// reaches it (bit 63 is NX when it is 1, reserved otherwise); supervisor-only rules (CR0.WP,
// SMEP, SMAP) and protection keys decide nothing for a user access without PKE.
template <class D>
spec::PagingControl<D> nested_walk_control(bool host_nxe) {
  spec::PagingControl<D> c;
  c.cr0_wp = D::truth(false);
  c.cr4_pge = D::truth(false);
  c.cr4_smep = D::truth(false);
  c.cr4_smap = D::truth(false);
  c.cr4_pke = D::truth(false);
  c.cr4_pks = D::truth(false);
  c.efer_nxe = D::truth(host_nxe);
  c.rflags_ac = D::truth(false);
  return c;
}

// 15.25.6: EXITINFO1 of #VMEXIT(NPF) is the nested fault's page-fault error code in bits
// 31:0, with bit 32 set for a fault on the final guest-physical address and bit 33 for one on
// a guest page-table access.
template <class D>
typename D::Word npf_exit_info1(const typename D::Word& nested_error_code, bool final_address) {
  return (nested_error_code & D::word(0xffffffffull)) | D::word(final_address ? (1ull << 32) : (1ull << 33));
}

}  // namespace vtspec::checker::declarative
