// The architectural checks an operation makes before it takes effect, on the model's state:
// spec/control_register_checks.hpp's rules for MOV to CR0/CR3/CR4, INVPCID, WRMSR to
// IA32_EFER and WRPKRU, given the
// registers and the CPU's features. Operations without such checks pass.
#pragma once

#include "model/machine_state.hpp"
#include "model/operation.hpp"
#include "spec/control_register_checks.hpp"

namespace vtspec::model {

// CR4 bits reserved on a CPU with `features`: those of the features it lacks (SDM Vol. 3A
// 2.5: a CR4 bit of an unsupported feature is reserved; Vol. 2B MOV: setting one is #GP).
std::uint64_t cr4_reserved_bits(const CpuFeatures& features);

spec::ControlRegisterCheck instruction_check(const MachineState& state, const Operation& op);

}  // namespace vtspec::model
