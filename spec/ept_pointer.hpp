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
};

// VM entry checks the EPTP (SDM 27.2.1.1); an invalid one fails the entry instead of
// ever being walked. Concrete only: it decides the walk's shape.
struct EptPointerCheck {
  bool valid;
  const char* reason;  // nullptr when valid
};

inline EptPointerCheck check_ept_pointer(std::uint64_t value, const EptCapabilities& caps) {
  const unsigned type = value & 7u;
  const unsigned length = ((value >> eptp::walk_length_lo) & 7u) + 1;
  if (!((type == 0 && caps.memory_type_uc) || (type == 6 && caps.memory_type_wb)))
    return {false, "EPTP memory type is not a supported type (UC or WB)"};
  if (!((length == 4 && caps.walk_length_4) || (length == 5 && caps.walk_length_5)))
    return {false, "EPTP page-walk length is not a supported value"};
  if (((value >> eptp::accessed_dirty) & 1u) && !caps.accessed_dirty)
    return {false, "EPTP enables accessed/dirty flags, which the processor does not support"};
  if (value & bit_range(11, 8)) return {false, "EPTP bits 11:8 are reserved"};
  if (value & ~(frame_mask(caps.maxphyaddr) | bit_range(11, 0)))
    return {false, "EPTP sets bits beyond the physical-address width"};
  return {true, nullptr};
}

inline unsigned ept_walk_length(std::uint64_t value) { return ((value >> eptp::walk_length_lo) & 7u) + 1; }

}  // namespace vtspec::spec
