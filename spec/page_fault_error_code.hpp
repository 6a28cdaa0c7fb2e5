// The #PF error code, SDM Vol. 3A 4.7 ("Page-Fault Exceptions"), Figure 4-12.
#pragma once

#include "spec/paging_control.hpp"

namespace vtspec::spec {

namespace pf {
inline constexpr unsigned present = 0;   // P: 0 = not-present, 1 = protection or reserved bit
inline constexpr unsigned write = 1;     // W/R
inline constexpr unsigned user = 2;      // U/S: the access was user-mode
inline constexpr unsigned reserved = 3;  // RSVD
inline constexpr unsigned fetch = 4;     // I/D
inline constexpr unsigned key = 5;       // PK
}  // namespace pf

// I/D is reported only when CR4.SMEP = 1 or EFER.NXE = 1 (with PAE-style paging, which
// IA-32e always is); otherwise it is 0 even for a fetch.
template <class D>
typename D::Word page_fault_error_code(const PagingControl<D>& ctl, const Access<D>& acc,
                                       const typename D::Bool& not_present,
                                       const typename D::Bool& reserved_bit,
                                       const typename D::Bool& key_fault) {
  using W = typename D::Word;
  const auto flag = [](const typename D::Bool& b, unsigned n) { return D::shift_left(D::from_bool(b), n); };
  W code = flag(!not_present, pf::present);
  code = code | flag(acc.write, pf::write);
  code = code | flag(acc.user, pf::user);
  code = code | flag(reserved_bit, pf::reserved);
  code = code | flag(acc.fetch && (ctl.cr4_smep || ctl.efer_nxe), pf::fetch);
  code = code | flag(key_fault && !reserved_bit && !not_present, pf::key);
  return code;
}

}  // namespace vtspec::spec
