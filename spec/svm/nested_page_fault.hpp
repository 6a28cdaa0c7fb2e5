// #VMEXIT(NPF), exit code 400h, and its exit information: AMD64 APM Vol. 2 15.25.6 ("Nested
// versus Guest Page Faults, Fault Ordering").
//
//   EXITINFO1 bits 31:0  the #PF error code of the nested walk that faulted (P, R/W, U/S,
//                        RSV, I/D - APM Vol. 2 8.4.2), which is always a user access;
//   EXITINFO1 bit 32     the fault was on the final guest-physical address (the guest walk
//                        had finished);
//   EXITINFO1 bit 33     the fault was on a guest page-table access (entry read or A/D
//                        update);
//   EXITINFO2            the guest-physical address whose nested translation faulted.
#pragma once

#include "spec/svm/nested_paging_mode.hpp"

namespace vtspec::spec::svm {

namespace npf {
inline constexpr unsigned final_address = 32;  // EXITINFO1 bit 32
inline constexpr unsigned guest_table = 33;    // EXITINFO1 bit 33
}  // namespace npf

// EXITINFO1 of a nested walk that faulted at `stage`.
template <class D>
typename D::Word npf_exit_info1(const PagingWalk<D>& nested, NestedStage stage) {
  const unsigned stage_bit = stage == NestedStage::final_address ? npf::final_address : npf::guest_table;
  return (nested.error_code & D::word(0xffffffffull)) | D::word(bit_at(stage_bit));
}

}  // namespace vtspec::spec::svm
