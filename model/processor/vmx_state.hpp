// The processor's VMX state as the model needs it: a stand-in for the VMCS fields and VMX
// capabilities that decide translation and caching. It is meant to grow into the VMCS
// (SDM Vol. 3C ch. 25): guest-state and host-state areas, VM-execution controls.
#pragma once

#include <cstdint>
#include <optional>

#include "model/machine_state.hpp"
#include "spec/ept_pointer.hpp"

namespace vtspec::model {

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
};

}  // namespace vtspec::model
