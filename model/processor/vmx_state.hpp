// The processor's VMX state as the model needs it: a stand-in for the VMCS fields and VMX
// capabilities that decide translation and caching. It is meant to grow into the VMCS
// (SDM Vol. 3C ch. 25): guest-state and host-state areas, VM-execution controls.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "model/machine_state.hpp"
#include "model/vmx/vmx_profiles.hpp"
#include "spec/ept_pointer.hpp"
#include "spec/vmx/vm_entry_check.hpp"
#include "spec/vmx/vmx_instructions.hpp"

namespace vtspec::model {

// A VMCS region as the processor keeps it (SDM Vol. 3C 25.1, 25.11.3): its launch state and
// the field data (the VMCS data format is implementation-specific, 25.2; the revision
// identifier and shadow-VMCS indicator are the region's first 32 bits in memory).
struct VmcsRegion {
  spec::vmx::LaunchState launch_state = spec::vmx::LaunchState::clear;
  spec::vmx::VmcsValues<spec::Concrete> fields = spec::vmx::zero_vmcs();
};

struct VmxState {
  // VMX non-root operation (a guest runs) or root operation (the VMM, or no VMX at all).
  bool non_root = false;
  // The VM's VPID (VMCS VPID field, 25.6.12); 0 = "enable VPID" is 0. Outside VMX non-root
  // operation, and inside it with "enable VPID" = 0, the current VPID is 0000H (29.1).
  std::uint16_t vpid = 0;
  // The control registers of the side not running: the host's (VMCS host-state area, loaded
  // by the next VM exit, 28.5.1) in VMX non-root operation, the guest's (guest-state area,
  // loaded by the next VM entry, 27.3.2.1) in root operation. Absent when the processor is
  // made: a copy of the registers in effect.
  std::optional<GuestRegisters> other_registers{};
  // The EPT features the processor supports (IA32_VMX_EPT_VPID_CAP, A.10), against which a
  // VM entry checks the EPTP (27.2.1.1). The EPTP in use is MachineState::ept.
  spec::EptCapabilities ept_caps{};

  // VMX operation (SDM Vol. 3C 24.7, 31.3 VMXON/VMXOFF): whether the processor is in it, the
  // VMXON pointer, the current-VMCS pointer (FFFFFFFF_FFFFFFFFH: none) and the VMCS regions
  // it has seen by physical address. `caps` are the virtual CPU's VMX capability MSRs.
  bool in_vmx_operation = false;
  std::uint64_t vmxon_pointer = 0;
  std::uint64_t current_vmcs = spec::vmx::kNoCurrentVmcs;
  std::map<std::uint64_t, VmcsRegion> vmcs_regions{};
  spec::vmx::VmxCapabilities caps = vmx::vmx_profiles().front().caps;
  // Events blocked by MOV SS at the next VMLAUNCH/VMRESUME (VM-instruction error 26).
  bool blocked_by_mov_ss = false;
};

}  // namespace vtspec::model
