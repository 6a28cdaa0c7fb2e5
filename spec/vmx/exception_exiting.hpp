// Whether an exception in VMX non-root operation causes a VM exit: SDM Vol. 3C 26.2
// ("Exceptions ... cause VM exits based on the exception bitmap ... If the bit is 1, a VM
// exit occurs; if the bit is 0, the exception is delivered normally through the guest
// IDT") and 25.6.3 (page faults: "The processor ... checks PFEC & PFEC_MASK = PFEC_MATCH.
// If there is equality, the specification of bit 14 in the exception bitmap is followed
// ... If there is inequality, the meaning of that bit is reversed"). Over a value domain,
// so the obligation "exception-exiting" can compare it with its transcription.
//
// The exit that results (28.2.1, 28.2.2): basic exit reason 0, VM-exit interruption
// information = vector | type 3 (hardware exception) << 8 | error code valid << 11 | valid
// << 31, the error code in the VM-exit interruption error code, and for #PF the exit
// qualification is the faulting linear address (Table 28-1).
#pragma once

#include "spec/domain.hpp"

namespace vtspec::spec::vmx {

inline constexpr unsigned kExitExceptionOrNmi = 0;  // Appendix C

template <class D>
typename D::Bool exception_causes_exit(const typename D::Word& exception_bitmap, const typename D::Word& vector,
                                       const typename D::Word& error_code, const typename D::Word& pfec_mask,
                                       const typename D::Word& pfec_match) {
  const auto bit = D::bit(D::shift_right(exception_bitmap & D::word(0xffffffffu), vector & D::word(31)), 0);
  const auto matches = (error_code & pfec_mask & D::word(0xffffffffu)) == (pfec_match & D::word(0xffffffffu));
  return D::ite(vector == D::word(14), D::ite(matches, bit, !bit), bit);
}

// The VM-exit interruption information of a hardware exception (Table 25-19 layout).
template <class D>
typename D::Word exit_interruption_information(const typename D::Word& vector, const typename D::Bool& has_error_code) {
  return (vector & D::word(0xff)) | D::word(3u << 8) | D::shift_left(D::from_bool(has_error_code), 11) |
         D::word(1u << 31);
}

}  // namespace vtspec::spec::vmx
