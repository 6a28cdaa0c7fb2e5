// The kvm-vmx target: the VMX L1 target (vmx_l1_target.hpp) on QEMU with -accel kvm -cpu host,
// for hosts whose KVM offers VMX to its guests (nested VMX: on Intel, kvm_intel nested=1).
// The platform proxy is then the L1 hypervisor of a guest of the host's KVM: KVM's nested VMX
// and nested EPT (its shadow EPT tables, vmcs02, the nested VM-entry checks) run every vector
// of vectors/corpus/ept. The machine boots once and keeps its L1 between batches; the
// batches go through the mailbox (qemu_platform/command_batch.hpp).
//
// Where the host's KVM offers no VMX (this machine kind: the kvm_pvm backend), the target is
// unavailable and says why, and every vector is SKIPPED with that reason.
#pragma once

#include <memory>
#include <string>

#include "conformance/target.hpp"

namespace vtspec::conformance {

// Why the host's KVM cannot run a VMX L1 here (no QEMU, no /dev/kvm, no VMX in
// KVM_GET_SUPPORTED_CPUID leaf 1 ECX[5], no KVM_CAP_NESTED_STATE); empty when it can.
std::string nested_vmx_unavailable_reason();

std::unique_ptr<Target> make_kvm_vmx_target();

}  // namespace vtspec::conformance
