// The architectural checks an operation makes before it takes effect, on the model's state:
// spec/control_register_checks.hpp's rules for MOV to CR0/CR3/CR4, INVPCID, WRMSR to
// IA32_EFER and WRPKRU, given the
// registers and the CPU's features. Operations without such checks pass.
#pragma once

#include <optional>
#include <string>

#include "model/machine_state.hpp"
#include "model/operation.hpp"
#include "spec/control_register_checks.hpp"
#include "spec/svm/vmrun_checks.hpp"

namespace vtspec::model {

// CR4 bits reserved on a CPU with `features`: those of the features it lacks (SDM Vol. 3A
// 2.5: a CR4 bit of an unsupported feature is reserved; Vol. 2B MOV: setting one is #GP).
std::uint64_t cr4_reserved_bits(const CpuFeatures& features);

spec::ControlRegisterCheck instruction_check(const MachineState& state, const Operation& op);

// A `vmrun` operation's VMCB (AMD64 APM Vol. 2 Appendix B): what the L1 hypervisor builds to
// run the vector's guest - the guest's CR0/CR3/CR4, its EFER with SVME (15.5.1 requires it),
// the architectural reset DR6/DR7, a 64-bit code segment (L = 1, D = 0), the VMRUN and
// VMMCALL intercepts, no I/O or MSR permission map in use (base 0), nothing injected, the
// operation's ASID - with each field the operation sets in its place. Targets build the
// same VMCB from it.
spec::svm::VmrunInput<spec::Concrete> vmrun_input(const MachineState& state, const Operation& op);
// What the vector's CPU offers that the checks read: its MAXPHYADDR and CR4 bits.
spec::svm::SvmCapabilities svm_capabilities(const MachineState& state);
// The consistency check (spec/svm/vmrun_checks.hpp) a `vmrun` operation fails first, as
// "id (APM section): rule", or nothing: VMRUN enters the guest.
std::optional<std::string> failed_vmrun_check(const MachineState& state, const Operation& op);

}  // namespace vtspec::model
