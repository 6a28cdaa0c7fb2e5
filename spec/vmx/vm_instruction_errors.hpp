// The VM-instruction error numbers of SDM Vol. 3C 31.4 ("VM Instruction Error Numbers",
// Table 31-1), every one of them, with the instruction that reports it. VMfailValid(n)
// stores n in the VM-instruction error field of the current VMCS (31.2); where the SDM's
// pseudocode says VMfail(n), the outcome is VMfailValid(n) if there is a current VMCS and
// VMfailInvalid otherwise (31.2, "Conventions").
#pragma once

#include <array>
#include <cstdint>

namespace vtspec::spec::vmx {

enum class VmInstructionError : std::uint8_t {
  vmcall_in_root = 1,
  vmclear_invalid_address = 2,
  vmclear_vmxon_pointer = 3,
  vmlaunch_non_clear_vmcs = 4,
  vmresume_non_launched_vmcs = 5,
  vmresume_after_vmxoff = 6,
  entry_invalid_control_fields = 7,
  entry_invalid_host_state_fields = 8,
  vmptrld_invalid_address = 9,
  vmptrld_vmxon_pointer = 10,
  vmptrld_incorrect_revision = 11,
  unsupported_component = 12,
  vmwrite_read_only_component = 13,
  vmxon_in_root = 15,
  entry_invalid_executive_vmcs_pointer = 16,
  entry_non_launched_executive_vmcs = 17,
  entry_executive_vmcs_not_vmxon_pointer = 18,
  vmcall_non_clear_vmcs = 19,
  vmcall_invalid_exit_control_fields = 20,
  vmcall_incorrect_mseg_revision = 22,
  vmxoff_under_dual_monitor = 23,
  vmcall_invalid_smm_monitor_features = 24,
  entry_invalid_executive_execution_controls = 25,
  entry_events_blocked_by_mov_ss = 26,
  invalid_invept_invvpid_operand = 28,
};

struct VmInstructionErrorInfo {
  VmInstructionError error;
  const char* text;          // Table 31-1's description
  const char* instructions;  // which instructions report it
  // The model produces it; otherwise why not (the dual-monitor treatment of SMIs and SMM,
  // SDM Vol. 3C 32.15, is not modelled).
  const char* not_produced_because;
};

inline constexpr auto kVmInstructionErrors = std::to_array<VmInstructionErrorInfo>({
    {VmInstructionError::vmcall_in_root, "VMCALL executed in VMX root operation", "VMCALL", nullptr},
    {VmInstructionError::vmclear_invalid_address, "VMCLEAR with invalid physical address", "VMCLEAR", nullptr},
    {VmInstructionError::vmclear_vmxon_pointer, "VMCLEAR with VMXON pointer", "VMCLEAR", nullptr},
    {VmInstructionError::vmlaunch_non_clear_vmcs, "VMLAUNCH with non-clear VMCS", "VMLAUNCH", nullptr},
    {VmInstructionError::vmresume_non_launched_vmcs, "VMRESUME with non-launched VMCS", "VMRESUME", nullptr},
    {VmInstructionError::vmresume_after_vmxoff, "VMRESUME after VMXOFF (VMXOFF and VMXON between VMLAUNCH and VMRESUME)",
     "VMRESUME",
     "the current SDM's VMRESUME pseudocode (31.3) never reports it: VMXOFF leaves no current VMCS, so a VMRESUME "
     "after VMXOFF/VMXON fails with VMfailInvalid"},
    {VmInstructionError::entry_invalid_control_fields, "VM entry with invalid control field(s)", "VMLAUNCH, VMRESUME",
     nullptr},
    {VmInstructionError::entry_invalid_host_state_fields, "VM entry with invalid host-state field(s)",
     "VMLAUNCH, VMRESUME", nullptr},
    {VmInstructionError::vmptrld_invalid_address, "VMPTRLD with invalid physical address", "VMPTRLD", nullptr},
    {VmInstructionError::vmptrld_vmxon_pointer, "VMPTRLD with VMXON pointer", "VMPTRLD", nullptr},
    {VmInstructionError::vmptrld_incorrect_revision, "VMPTRLD with incorrect VMCS revision identifier", "VMPTRLD",
     nullptr},
    {VmInstructionError::unsupported_component, "VMREAD/VMWRITE from/to unsupported VMCS component", "VMREAD, VMWRITE",
     nullptr},
    {VmInstructionError::vmwrite_read_only_component, "VMWRITE to read-only VMCS component", "VMWRITE", nullptr},
    {VmInstructionError::vmxon_in_root, "VMXON executed in VMX root operation", "VMXON", nullptr},
    {VmInstructionError::entry_invalid_executive_vmcs_pointer, "VM entry with invalid executive-VMCS pointer",
     "VMLAUNCH, VMRESUME", "dual-monitor treatment of SMIs and SMM (32.15) is not modelled"},
    {VmInstructionError::entry_non_launched_executive_vmcs, "VM entry with non-launched executive VMCS",
     "VMLAUNCH, VMRESUME", "dual-monitor treatment of SMIs and SMM (32.15) is not modelled"},
    {VmInstructionError::entry_executive_vmcs_not_vmxon_pointer,
     "VM entry with executive-VMCS pointer not VMXON pointer (when attempting to deactivate the dual-monitor "
     "treatment of SMIs and SMM)",
     "VMLAUNCH, VMRESUME", "dual-monitor treatment of SMIs and SMM (32.15) is not modelled"},
    {VmInstructionError::vmcall_non_clear_vmcs,
     "VMCALL with non-clear VMCS (when attempting to activate the dual-monitor treatment of SMIs and SMM)", "VMCALL",
     "dual-monitor treatment of SMIs and SMM (32.15) is not modelled"},
    {VmInstructionError::vmcall_invalid_exit_control_fields, "VMCALL with invalid VM-exit control fields", "VMCALL",
     "dual-monitor treatment of SMIs and SMM (32.15) is not modelled"},
    {VmInstructionError::vmcall_incorrect_mseg_revision,
     "VMCALL with incorrect MSEG revision identifier (when attempting to activate the dual-monitor treatment of SMIs "
     "and SMM)",
     "VMCALL", "dual-monitor treatment of SMIs and SMM (32.15) is not modelled"},
    {VmInstructionError::vmxoff_under_dual_monitor, "VMXOFF under dual-monitor treatment of SMIs and SMM", "VMXOFF",
     "dual-monitor treatment of SMIs and SMM (32.15) is not modelled"},
    {VmInstructionError::vmcall_invalid_smm_monitor_features,
     "VMCALL with invalid SMM-monitor features (when attempting to activate the dual-monitor treatment of SMIs and "
     "SMM)",
     "VMCALL", "dual-monitor treatment of SMIs and SMM (32.15) is not modelled"},
    {VmInstructionError::entry_invalid_executive_execution_controls,
     "VM entry with invalid VM-execution control fields in executive VMCS (when attempting to return from SMM)",
     "VMLAUNCH, VMRESUME", "dual-monitor treatment of SMIs and SMM (32.15) is not modelled"},
    {VmInstructionError::entry_events_blocked_by_mov_ss, "VM entry with events blocked by MOV SS", "VMLAUNCH, VMRESUME",
     nullptr},
    {VmInstructionError::invalid_invept_invvpid_operand, "Invalid operand to INVEPT/INVVPID", "INVEPT, INVVPID",
     nullptr},
});

constexpr unsigned number(VmInstructionError e) { return static_cast<unsigned>(e); }

}  // namespace vtspec::spec::vmx
