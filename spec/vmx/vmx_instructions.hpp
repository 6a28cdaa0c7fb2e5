// The VMX instructions' checks, before their effect: SDM Vol. 3C 31.3 (the pseudocode of
// VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH, VMRESUME, INVEPT,
// INVVPID, VMCALL) and 31.2 (VMsucceed, VMfailInvalid, VMfailValid; "VMfail(n)" is
// VMfailValid(n) when there is a current VMCS and VMfailInvalid otherwise). Each check
// returns the rule that decided (`rule`), and the verdict: #UD, #GP(0), a VM exit (the
// instruction in VMX non-root operation, with the basic exit reason of Appendix C), or a
// VM-instruction failure; `proceed` means the instruction takes effect (for VMLAUNCH and
// VMRESUME: the VM-entry checks of chapter 27 come next).
//
// The model's VMM and guests are 64-bit code at the CPL given, outside SMM, without the
// dual-monitor treatment (32.15): "(IA32_EFER.LMA = 1 and CS.L = 0)" (compatibility mode),
// A20M mode and SMX are not modelled.
#pragma once

#include <cstdint>
#include <optional>

#include "spec/control_registers.hpp"
#include "spec/vmx/vm_instruction_errors.hpp"
#include "spec/vmx/vmx_capabilities.hpp"

namespace vtspec::spec::vmx {

enum class VmxInstruction : std::uint8_t {
  vmxon, vmxoff, vmclear, vmptrld, vmptrst, vmread, vmwrite, vmlaunch, vmresume, invept, invvpid, vmcall,
};

// Appendix C basic exit reasons of the instructions in VMX non-root operation.
constexpr unsigned exit_reason_of(VmxInstruction i) {
  switch (i) {
    case VmxInstruction::vmcall: return 18;
    case VmxInstruction::vmclear: return 19;
    case VmxInstruction::vmlaunch: return 20;
    case VmxInstruction::vmptrld: return 21;
    case VmxInstruction::vmptrst: return 22;
    case VmxInstruction::vmread: return 23;
    case VmxInstruction::vmresume: return 24;
    case VmxInstruction::vmwrite: return 25;
    case VmxInstruction::vmxoff: return 26;
    case VmxInstruction::vmxon: return 27;
    case VmxInstruction::invept: return 50;
    case VmxInstruction::invvpid: return 53;
  }
  return 0;
}

inline constexpr std::uint64_t kNoCurrentVmcs = ~std::uint64_t{0};  // FFFFFFFF_FFFFFFFFH (31.3 VMXON)
inline constexpr std::uint64_t cr4_vmxe = bit_at(13);                // Vol. 3A 2.5

// What the instruction sees of the logical processor.
struct VmxContext {
  std::uint64_t cr0 = 0, cr4 = 0, rflags = 0x2;
  unsigned cpl = 0;
  bool in_vmx_operation = false;
  bool non_root = false;
  std::uint64_t current_vmcs = kNoCurrentVmcs;
  std::uint64_t vmxon_pointer = 0;
  bool blocked_by_mov_ss = false;
  // IA32_FEATURE_CONTROL lock (bit 0) and "enable VMX outside SMX" (bit 2).
  bool feature_control_locked_and_enabled = true;
};

enum class VmxVerdictKind : std::uint8_t { proceed, undefined_opcode, general_protection, vm_exit, fail_invalid, fail_valid };

struct VmxVerdict {
  VmxVerdictKind kind = VmxVerdictKind::proceed;
  unsigned number = 0;  // fail_valid: the VM-instruction error; vm_exit: the basic exit reason
  const char* rule = "";
};

constexpr VmxVerdict proceed(const char* rule) { return {VmxVerdictKind::proceed, 0, rule}; }
// 31.2: VMfail(n) is VMfailValid(n) with a current VMCS, VMfailInvalid without.
constexpr VmxVerdict vm_fail(const VmxContext& c, VmInstructionError e, const char* rule) {
  return c.current_vmcs != kNoCurrentVmcs ? VmxVerdict{VmxVerdictKind::fail_valid, number(e), rule}
                                          : VmxVerdict{VmxVerdictKind::fail_invalid, 0, rule};
}

// The checks every VMX instruction but VMXON and VMCALL begins with: "IF (not in VMX
// operation) or (CR0.PE = 0) or (RFLAGS.VM = 1) or (IA32_EFER.LMA = 1 and CS.L = 0) THEN
// #UD; ELSIF in VMX non-root operation THEN VM exit; ELSIF CPL > 0 THEN #GP(0)".
constexpr std::optional<VmxVerdict> vmx_preamble(VmxInstruction i, const VmxContext& c) {
  if (!c.in_vmx_operation) return VmxVerdict{VmxVerdictKind::undefined_opcode, 6, "31.3: not in VMX operation: #UD"};
  if (!(c.cr0 & cr0::pe) || (c.rflags & bit_at(17)))
    return VmxVerdict{VmxVerdictKind::undefined_opcode, 6, "31.3: CR0.PE = 0 or RFLAGS.VM = 1: #UD"};
  if (c.non_root) return VmxVerdict{VmxVerdictKind::vm_exit, exit_reason_of(i), "31.3: in VMX non-root operation: VM exit"};
  if (c.cpl > 0) return VmxVerdict{VmxVerdictKind::general_protection, 13, "31.3: CPL > 0: #GP(0)"};
  return std::nullopt;
}

// A VMXON/VMCLEAR/VMPTRLD operand: 4-KByte aligned, within the physical-address width.
constexpr bool vmx_region_address_ok(std::uint64_t a, const VmxCapabilities& caps) {
  return (a & 0xfffu) == 0 && (a >> caps.maxphyaddr) == 0;
}

// VMXON with its region's first 32 bits (`region_header`, 25.11.5 / 25.2).
constexpr VmxVerdict vmxon_check(const VmxContext& c, std::uint64_t address, std::uint32_t region_header,
                                 const VmxCapabilities& caps) {
  if (!(c.cr0 & cr0::pe) || !(c.cr4 & cr4_vmxe) || (c.rflags & bit_at(17)))
    return {VmxVerdictKind::undefined_opcode, 6, "31.3 VMXON: CR0.PE = 0, CR4.VMXE = 0 or RFLAGS.VM = 1: #UD"};
  if (!c.in_vmx_operation) {
    if (c.cpl > 0) return {VmxVerdictKind::general_protection, 13, "31.3 VMXON: CPL > 0: #GP(0)"};
    if (!fixed_bits_respected<Concrete>(c.cr0, caps.cr0_fixed0, caps.cr0_fixed1) ||
        !fixed_bits_respected<Concrete>(c.cr4, caps.cr4_fixed0, caps.cr4_fixed1))
      return {VmxVerdictKind::general_protection, 13,
              "31.3 VMXON: CR0/CR4 not supported in VMX operation (A.7, A.8): #GP(0)"};
    if (!c.feature_control_locked_and_enabled)
      return {VmxVerdictKind::general_protection, 13, "31.3 VMXON: IA32_FEATURE_CONTROL lock or enable clear: #GP(0)"};
    if (!vmx_region_address_ok(address, caps))
      return {VmxVerdictKind::fail_invalid, 0, "31.3 VMXON: address not 4-KByte aligned or beyond the width"};
    if ((region_header & 0x7fffffffu) != caps.revision() || (region_header >> 31))
      return {VmxVerdictKind::fail_invalid, 0, "31.3 VMXON: revision identifier mismatch or bit 31 set"};
    return proceed("31.3 VMXON: enter VMX operation");
  }
  if (c.non_root) return {VmxVerdictKind::vm_exit, exit_reason_of(VmxInstruction::vmxon), "31.3 VMXON: VM exit"};
  if (c.cpl > 0) return {VmxVerdictKind::general_protection, 13, "31.3 VMXON: CPL > 0: #GP(0)"};
  return vm_fail(c, VmInstructionError::vmxon_in_root, "31.3 VMXON: executed in VMX root operation");
}

constexpr VmxVerdict vmxoff_check(const VmxContext& c) {
  if (auto p = vmx_preamble(VmxInstruction::vmxoff, c)) return *p;
  return proceed("31.3 VMXOFF: leave VMX operation");  // error 23 needs the dual-monitor treatment
}

// VMCLEAR (errors 2, 3) and VMPTRLD (9, 10, 11) with the region's first 32 bits.
constexpr VmxVerdict vmclear_check(const VmxContext& c, std::uint64_t address, const VmxCapabilities& caps) {
  if (auto p = vmx_preamble(VmxInstruction::vmclear, c)) return *p;
  if (!vmx_region_address_ok(address, caps))
    return vm_fail(c, VmInstructionError::vmclear_invalid_address, "31.3 VMCLEAR: address not aligned or too wide");
  if (address == c.vmxon_pointer)
    return vm_fail(c, VmInstructionError::vmclear_vmxon_pointer, "31.3 VMCLEAR: the VMXON pointer");
  return proceed("31.3 VMCLEAR: launch state clear");
}

constexpr VmxVerdict vmptrld_check(const VmxContext& c, std::uint64_t address, std::uint32_t region_header,
                                   const VmxCapabilities& caps) {
  if (auto p = vmx_preamble(VmxInstruction::vmptrld, c)) return *p;
  if (!vmx_region_address_ok(address, caps))
    return vm_fail(c, VmInstructionError::vmptrld_invalid_address, "31.3 VMPTRLD: address not aligned or too wide");
  if (address == c.vmxon_pointer)
    return vm_fail(c, VmInstructionError::vmptrld_vmxon_pointer, "31.3 VMPTRLD: the VMXON pointer");
  const bool shadowing = VmxCapabilities::may_be_1(caps.procbased2_settings(), 14);
  if ((region_header & 0x7fffffffu) != caps.revision() || ((region_header >> 31) && !shadowing))
    return vm_fail(c, VmInstructionError::vmptrld_incorrect_revision,
                   "31.3 VMPTRLD: revision identifier mismatch, or shadow-VMCS indicator without VMCS shadowing");
  return proceed("31.3 VMPTRLD: current-VMCS pointer := address");
}

constexpr VmxVerdict vmptrst_check(const VmxContext& c) {
  if (auto p = vmx_preamble(VmxInstruction::vmptrst, c)) return *p;
  return proceed("31.3 VMPTRST: store the current-VMCS pointer");
}

// VMREAD/VMWRITE in VMX root operation (in non-root operation without VMCS shadowing they
// exit; shadowing is not modelled yet).
constexpr VmxVerdict vmread_vmwrite_check(VmxInstruction i, const VmxContext& c, std::optional<VmInstructionError> error) {
  if (auto p = vmx_preamble(i, c)) return *p;
  if (c.current_vmcs == kNoCurrentVmcs) return {VmxVerdictKind::fail_invalid, 0, "31.3: no current VMCS"};
  if (error) return {VmxVerdictKind::fail_valid, number(*error), "31.3: unsupported or read-only component"};
  return proceed(i == VmxInstruction::vmread ? "31.3 VMREAD" : "31.3 VMWRITE");
}

enum class LaunchState : std::uint8_t { clear, launched };

constexpr VmxVerdict vm_launch_resume_check(VmxInstruction i, const VmxContext& c, LaunchState launch) {
  if (auto p = vmx_preamble(i, c)) return *p;
  if (c.current_vmcs == kNoCurrentVmcs) return {VmxVerdictKind::fail_invalid, 0, "31.3: no current VMCS"};
  if (c.blocked_by_mov_ss)
    return vm_fail(c, VmInstructionError::entry_events_blocked_by_mov_ss, "31.3: events blocked by MOV SS");
  if (i == VmxInstruction::vmlaunch && launch != LaunchState::clear)
    return vm_fail(c, VmInstructionError::vmlaunch_non_clear_vmcs, "31.3 VMLAUNCH: launch state not clear");
  if (i == VmxInstruction::vmresume && launch != LaunchState::launched)
    return vm_fail(c, VmInstructionError::vmresume_non_launched_vmcs, "31.3 VMRESUME: launch state not launched");
  return proceed("31.3: check the VMCS (chapter 27)");
}

// VMCALL in VMX root operation without the dual-monitor treatment: VMfail(1).
constexpr VmxVerdict vmcall_check(const VmxContext& c) {
  if (c.non_root) return {VmxVerdictKind::vm_exit, exit_reason_of(VmxInstruction::vmcall), "31.3 VMCALL: VM exit"};
  if (!c.in_vmx_operation || (c.rflags & bit_at(17)))
    return {VmxVerdictKind::undefined_opcode, 6, "31.3 VMCALL: outside VMX operation or RFLAGS.VM = 1: #UD"};
  if (c.cpl > 0) return {VmxVerdictKind::general_protection, 13, "31.3 VMCALL: CPL > 0: #GP(0)"};
  return vm_fail(c, VmInstructionError::vmcall_in_root, "31.3 VMCALL: executed in VMX root operation");
}

// INVEPT (types 1 single-context, 2 all-context; EPT_VPID_CAP bits 20, 25, 26) and INVVPID
// (types 0-3; bits 32, 40-43; type 0 needs a canonical address, types 0, 1, 3 a nonzero
// VPID): VMfail(28) otherwise.
constexpr VmxVerdict invept_check(const VmxContext& c, unsigned type, const VmxCapabilities& caps) {
  if (auto p = vmx_preamble(VmxInstruction::invept, c)) return *p;
  const bool supported = caps.ept_vpid_bit(20) && ((type == 1 && caps.ept_vpid_bit(25)) || (type == 2 && caps.ept_vpid_bit(26)));
  if (!supported) return vm_fail(c, VmInstructionError::invalid_invept_invvpid_operand, "31.3 INVEPT: type not supported");
  return proceed("31.3 INVEPT");
}

constexpr VmxVerdict invvpid_check(const VmxContext& c, unsigned type, std::uint64_t vpid, std::uint64_t linear,
                                   const VmxCapabilities& caps) {
  if (auto p = vmx_preamble(VmxInstruction::invvpid, c)) return *p;
  const bool supported = caps.ept_vpid_bit(32) && type <= 3 && caps.ept_vpid_bit(40 + type);
  if (!supported) return vm_fail(c, VmInstructionError::invalid_invept_invvpid_operand, "31.3 INVVPID: type not supported");
  if (type != 2 && vpid == 0)
    return vm_fail(c, VmInstructionError::invalid_invept_invvpid_operand, "31.3 INVVPID: VPID 0 for types 0, 1, 3");
  const std::uint64_t high = linear >> (caps.linear_address_bits - 1);
  if (type == 0 && high != 0 && high != (~std::uint64_t{0} >> (caps.linear_address_bits - 1)))
    return vm_fail(c, VmInstructionError::invalid_invept_invvpid_operand, "31.3 INVVPID: non-canonical address");
  return proceed("31.3 INVVPID");
}

}  // namespace vtspec::spec::vmx
