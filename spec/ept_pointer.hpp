// The EPT pointer and the EPT capabilities it is checked against: SDM Vol. 3C 25.6.11
// ("Extended-Page-Table Pointer (EPTP)") and A.10 (IA32_VMX_EPT_VPID_CAP).
#pragma once

#include "spec/domain.hpp"
#include "spec/paging_mode.hpp"

namespace vtspec::spec {

namespace eptp {
inline constexpr unsigned memory_type_lo = 0;     // bits 2:0: 0 = UC, 6 = WB
inline constexpr unsigned walk_length_lo = 3;     // bits 5:3: page-walk length - 1
inline constexpr unsigned accessed_dirty = 6;     // bit 6: enable EPT A/D flags
inline constexpr unsigned supervisor_shadow_stack = 7;
}  // namespace eptp

// What the processor supports (IA32_VMX_EPT_VPID_CAP and the secondary controls).
struct EptCapabilities {
  bool execute_only = true;          // bit 0
  bool walk_length_4 = true;         // bit 6
  bool walk_length_5 = false;        // bit 7
  bool memory_type_uc = true;        // bit 8
  bool memory_type_wb = true;        // bit 14
  bool page_2m = true;               // bit 16
  bool page_1g = true;               // bit 17
  bool accessed_dirty = true;        // bit 21
  bool advanced_exit_info = false;   // bit 22: EPT-violation qualification bits 11:9
  bool mode_based_execute = false;   // secondary control bit 22 (when enabled by the VMM)
  unsigned maxphyaddr = 46;
  friend bool operator==(const EptCapabilities&, const EptCapabilities&) = default;
};

// The EPTP rules VM entry checks (SDM Vol. 3C 27.2.1.1, with the field of 25.6.11 and the
// capabilities of A.10), each once, over a value domain: the VM-entry check table
// (spec/vmx/vm_entry_control_checks.hpp, rows ctl.eptp-*) states them symbolically, and
// check_ept_pointer below decides a concrete EPTP with them.
template <class D>
typename D::Bool eptp_memory_type_supported(const typename D::Word& eptp, const EptCapabilities& caps) {
  const auto type = D::field(eptp, 2, eptp::memory_type_lo);
  return (type == D::word(0) && D::truth(caps.memory_type_uc)) || (type == D::word(6) && D::truth(caps.memory_type_wb));
}
template <class D>
typename D::Bool eptp_walk_length_supported(const typename D::Word& eptp, const EptCapabilities& caps) {
  const auto length_minus_1 = D::field(eptp, 5, eptp::walk_length_lo);
  return (length_minus_1 == D::word(3) && D::truth(caps.walk_length_4)) ||
         (length_minus_1 == D::word(4) && D::truth(caps.walk_length_5));
}
template <class D>
typename D::Bool eptp_accessed_dirty_supported(const typename D::Word& eptp, const EptCapabilities& caps) {
  return !D::bit(eptp, eptp::accessed_dirty) || D::truth(caps.accessed_dirty);
}
// Bits 11:8 are reserved, and so is every bit from the physical-address width up.
template <class D>
typename D::Bool eptp_reserved_bits_clear(const typename D::Word& eptp, const EptCapabilities& caps) {
  return !D::any(eptp, bit_range(11, 8) | bit_range(63, caps.maxphyaddr));
}

// An invalid EPTP fails the entry instead of ever being walked. Concrete: it decides the
// walk's shape.
struct EptPointerCheck {
  bool valid;
  const char* reason;  // nullptr when valid
};

inline EptPointerCheck check_ept_pointer(std::uint64_t value, const EptCapabilities& caps) {
  if (!eptp_memory_type_supported<Concrete>(value, caps)) return {false, "EPTP memory type is not a supported type (UC or WB)"};
  if (!eptp_walk_length_supported<Concrete>(value, caps)) return {false, "EPTP page-walk length is not a supported value"};
  if (!eptp_accessed_dirty_supported<Concrete>(value, caps))
    return {false, "EPTP enables accessed/dirty flags, which the processor does not support"};
  if (!eptp_reserved_bits_clear<Concrete>(value, caps))
    return {false, "EPTP sets reserved bits (11:8, or beyond the physical-address width)"};
  return {true, nullptr};
}

inline unsigned ept_walk_length(std::uint64_t value) { return ((value >> eptp::walk_length_lo) & 7u) + 1; }

}  // namespace vtspec::spec
