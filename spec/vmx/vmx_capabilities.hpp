// The VMX capability MSRs of SDM Vol. 3C Appendix A, as part of a virtual CPU: every VM-entry
// check and every VMX instruction is parametric in them.
//
//   A.1  IA32_VMX_BASIC (480H): bits 30:0 VMCS revision identifier, 44:32 VMCS region size,
//        48 physical-address width limited to 32 bits, 49 dual-monitor treatment, 53:50
//        memory type, 54 INS/OUTS exit information, 55 TRUE_ control MSRs exist, 56 VM entry
//        may deliver a hardware exception without an error code.
//   A.3-A.5 the control MSRs: bits 31:0 allowed 0-settings (a 1 there means the control
//        must be 1), bits 63:32 allowed 1-settings (a 0 there means the control must be 0).
//        With BASIC bit 55 the TRUE_ MSRs (48DH-490H) give the settings (A.2).
//   A.3.3 IA32_VMX_PROCBASED_CTLS2 (48BH), only if the primary controls allow "activate
//        secondary controls" (bit 31) to be 1; A.3.4 IA32_VMX_PROCBASED_CTLS3 (492H),
//        64-bit allowed-1 settings, only if "activate tertiary controls" (bit 17) may be 1.
//   A.6  IA32_VMX_MISC (485H): 4:0 preemption-timer rate, 5 LMA stored on exit, 8:6 activity
//        states (HLT, shutdown, wait-for-SIPI), 24:16 CR3-target values, 27:25 MSR-list
//        size 512*(N+1), 29 VMWRITE to any field, 30 VM entry may inject with length 0.
//   A.7, A.8 CR0/CR4 FIXED0 (a 1 bit must be 1) and FIXED1 (a 0 bit must be 0).
//   A.9  IA32_VMX_VMCS_ENUM (48AH): bits 9:1 highest index used in a VMCS encoding.
//   A.10 IA32_VMX_EPT_VPID_CAP (48CH); A.11 IA32_VMX_VMFUNC (491H).
#pragma once

#include <cstdint>

#include "spec/domain.hpp"
#include "spec/ept_pointer.hpp"
#include "spec/vmx/vmcs_fields.hpp"

namespace vtspec::spec::vmx {

namespace msr_index {
inline constexpr std::uint32_t basic = 0x480, pinbased = 0x481, procbased = 0x482, exit = 0x483, entry = 0x484,
                               misc = 0x485, cr0_fixed0 = 0x486, cr0_fixed1 = 0x487, cr4_fixed0 = 0x488,
                               cr4_fixed1 = 0x489, vmcs_enum = 0x48a, procbased2 = 0x48b, ept_vpid_cap = 0x48c,
                               true_pinbased = 0x48d, true_procbased = 0x48e, true_exit = 0x48f,
                               true_entry = 0x490, vmfunc = 0x491, procbased3 = 0x492;
}  // namespace msr_index

namespace basic_bits {
inline constexpr unsigned dual_monitor = 49;
inline constexpr unsigned true_controls = 55;
inline constexpr unsigned no_error_code_check = 56;
}  // namespace basic_bits

namespace misc_bits {
inline constexpr unsigned activity_hlt = 6, activity_shutdown = 7, activity_wait_for_sipi = 8;
inline constexpr unsigned vmwrite_any_field = 29;
inline constexpr unsigned inject_zero_length = 30;
}  // namespace misc_bits

struct VmxCapabilities {
  std::uint64_t basic = 0;
  std::uint64_t pinbased = 0, procbased = 0, exit = 0, entry = 0;
  std::uint64_t misc = 0;
  std::uint64_t cr0_fixed0 = 0, cr0_fixed1 = 0, cr4_fixed0 = 0, cr4_fixed1 = 0;
  std::uint64_t vmcs_enum = 0;
  std::uint64_t procbased2 = 0;
  std::uint64_t ept_vpid_cap = 0;
  std::uint64_t true_pinbased = 0, true_procbased = 0, true_exit = 0, true_entry = 0;
  std::uint64_t vmfunc = 0;
  std::uint64_t procbased3 = 0;
  // Processor properties the checks use beside the MSRs (CPUID.80000008H:EAX[7:0] and
  // [15:8]).
  unsigned maxphyaddr = 46;
  unsigned linear_address_bits = 48;
  friend bool operator==(const VmxCapabilities&, const VmxCapabilities&) = default;

  constexpr std::uint32_t revision() const { return static_cast<std::uint32_t>(basic & 0x7fffffffu); }
  constexpr bool basic_bit(unsigned n) const { return (basic >> n) & 1u; }
  constexpr bool misc_bit(unsigned n) const { return (misc >> n) & 1u; }
  constexpr bool true_controls() const { return basic_bit(basic_bits::true_controls); }
  // The MSR that gives the settings of each 32-bit control field (A.2).
  constexpr std::uint64_t pinbased_settings() const { return true_controls() ? true_pinbased : pinbased; }
  constexpr std::uint64_t procbased_settings() const { return true_controls() ? true_procbased : procbased; }
  constexpr std::uint64_t exit_settings() const { return true_controls() ? true_exit : exit; }
  constexpr std::uint64_t entry_settings() const { return true_controls() ? true_entry : entry; }
  constexpr std::uint64_t procbased2_settings() const { return may_be_1(procbased, 31) ? procbased2 : 0; }
  constexpr std::uint64_t procbased3_allowed1() const { return may_be_1(procbased, 17) ? procbased3 : 0; }
  constexpr unsigned cr3_target_values() const { return static_cast<unsigned>((misc >> 16) & 0x1ff); }
  constexpr bool ept_vpid_bit(unsigned n) const { return (ept_vpid_cap >> n) & 1u; }

  // A 32-bit control MSR allows bit n of its control to be 1 (allowed-1 = MSR bit 32+n).
  static constexpr bool may_be_1(std::uint64_t msr, unsigned n) { return (msr >> (32 + n)) & 1u; }

  // Whether a capability of the field table is present.
  constexpr bool has(FieldCapability c) const {
    switch (c.msr) {
      case CapabilityMsr::none: return true;
      case CapabilityMsr::pinbased: return may_be_1(pinbased_settings(), c.bit);
      case CapabilityMsr::procbased: return may_be_1(procbased_settings(), c.bit);
      case CapabilityMsr::procbased2: return may_be_1(procbased2_settings(), c.bit);
      case CapabilityMsr::procbased3: return (procbased3_allowed1() >> c.bit) & 1u;
      case CapabilityMsr::exit: return may_be_1(exit_settings(), c.bit);
      case CapabilityMsr::entry: return may_be_1(entry_settings(), c.bit);
      case CapabilityMsr::vmfunc: return may_be_1(procbased2_settings(), 13) && ((vmfunc >> c.bit) & 1u);
      case CapabilityMsr::basic: return basic_bit(c.bit);
    }
    return false;
  }
  // Appendix B: the field exists on this processor.
  constexpr bool field_exists(const VmcsFieldInfo& f) const {
    return has(f.requires_capability) || (f.alternative.msr != CapabilityMsr::none && has(f.alternative));
  }
};

// A control value respects its capability MSR: every allowed-0 bit (MSR bits 31:0 set) is 1
// and every bit whose allowed-1 setting is 0 (MSR bits 63:32 clear) is 0 (A.3-A.5).
template <class D>
typename D::Bool control_respects(const typename D::Word& control, std::uint64_t msr) {
  const std::uint64_t must_be_1 = msr & 0xffffffffu;
  const std::uint64_t may_be_1 = msr >> 32;
  return (control & D::word(must_be_1)) == D::word(must_be_1) && !D::any(control, ~may_be_1 & 0xffffffffu);
}

// A CR0/CR4 value respects FIXED0 (bits set there must be 1) and FIXED1 (bits clear there
// must be 0) (A.7, A.8); `free` bits are exempt (CR0.PE/PG with "unrestricted guest").
template <class D>
typename D::Bool fixed_bits_respected(const typename D::Word& value, std::uint64_t fixed0, std::uint64_t fixed1,
                                      std::uint64_t free = 0) {
  const std::uint64_t must_be_1 = fixed0 & ~free;
  return (value & D::word(must_be_1)) == D::word(must_be_1) && !D::any(value, ~fixed1 & ~free);
}

// The EPT features of IA32_VMX_EPT_VPID_CAP (A.10) that the EPTP checks and the EPT walk
// use; mode-based execute is a VM-execution control, set by whoever enables it.
inline EptCapabilities ept_capabilities(const VmxCapabilities& c, bool mode_based_execute = false) {
  EptCapabilities e;
  e.execute_only = c.ept_vpid_bit(0);
  e.walk_length_4 = c.ept_vpid_bit(6);
  e.walk_length_5 = c.ept_vpid_bit(7);
  e.memory_type_uc = c.ept_vpid_bit(8);
  e.memory_type_wb = c.ept_vpid_bit(14);
  e.page_2m = c.ept_vpid_bit(16);
  e.page_1g = c.ept_vpid_bit(17);
  e.accessed_dirty = c.ept_vpid_bit(21);
  e.advanced_exit_info = c.ept_vpid_bit(22);
  e.mode_based_execute = mode_based_execute;
  e.maxphyaddr = c.maxphyaddr;
  return e;
}

}  // namespace vtspec::spec::vmx
