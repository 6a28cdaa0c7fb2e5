// The encode step of the VMX L1 targets (bochs, kvm-vmx): a vtspec/vector/2 vector (a guest in VMX non-root
// operation under the vector's EPT) becomes a typed plan for the long-mode platform proxy
// acting as L1 hypervisor (conformance/qemu_platform/vmx_unit.hpp): the vector's memory and
// the L1 harness's pages spliced into its tables (conformance/targets/l1_guest_harness.hpp,
// shared with the AMD-V target), and one VM entry per operation that runs one access stub
// in the guest (L2) and ends in a VM exit (VMCALL, an intercepted exception, an EPT
// violation or misconfiguration).
#pragma once

#include <string>
#include <vector>

#include "conformance/qemu_platform/vmx_unit.hpp"
#include "conformance/targets/l1_guest_harness.hpp"
#include "model/operation.hpp"
#include "spec/vmx/vmx_capabilities.hpp"

namespace vtspec::vectors { struct Vector; }

namespace vtspec::conformance::vmx_l1 {

using Step = l1::Step<qemu::VmEntryRequest>;
using Plan = l1::Plan<qemu::VmEntryRequest>;
using Encoded = l1::Encoded<qemu::VmEntryRequest>;

// `caps`: the VMX capability MSRs of the CPU the plan runs on (the VMCS is built from its
// allowed settings).
Encoded encode_vector(const vectors::Vector& vector, const spec::vmx::VmxCapabilities& caps);

// The VMCS of one VM entry that runs `run` in the vector's guest with VPID `vpid` (0: VPIDs
// off) and EPTP `eptp`: the controls, the guest state from the vector's registers (every
// non-zero field).
std::vector<std::pair<std::uint32_t, std::uint64_t>> vmcs_fields(const model::MachineState& s, const l1::GuestRun& run,
                                                                 const spec::vmx::VmxCapabilities& caps, std::uint16_t vpid,
                                                                 std::uint64_t eptp);

bool runs(const model::Operation& operation);
inline constexpr const char* kWhatRuns =
    "the VMX L1 (targets bochs, kvm-vmx) runs accesses (not implicit supervisor-mode ones), INVLPG, entry stores, and "
    "its own INVVPID, INVEPT and VM entries; as a VMX L1 (vtspec/vector/4), VMX instructions in ring 0";

}  // namespace vtspec::conformance::vmx_l1
