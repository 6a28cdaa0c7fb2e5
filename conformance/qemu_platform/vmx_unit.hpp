// Intel VMX on the platform proxy (its long-mode build, mailbox_abi.h VMX commands): the host
// side of an L1 hypervisor, as command lists. It probes the VMX capability MSRs, enters VMX
// operation (SDM Vol. 3C 24.7-24.8, 25.11.5), turns a typed VM-entry request into the
// commands that run it (VMCLEAR, VMPTRLD, VMWRITEs, VMLAUNCH, the VMREADs of the exit) and
// reads the VM exit back. Pure builders and decoders: the same lists run through a QEMU
// machine's mailbox or in a Bochs batch (conformance/bochs_platform), where nothing can be
// asked between two commands. What the guest's tables and EPT say is the caller's.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "conformance/qemu_platform/qemu_machine.hpp"
#include "spec/vmx/vmx_capabilities.hpp"

namespace vtspec::conformance::qemu {

// What the probe found: CPUID.01H:ECX.VMX [bit 5], MAXPHYADDR and linear-address width
// (CPUID.80000008H), and the capability MSRs (SDM Vol. 3C Appendix A) that exist.
struct VmxProbe {
  bool vmx = false;
  spec::vmx::VmxCapabilities caps;
  // The CPUID leaves stage 0 reads (01H, 07H.0, 80000001H, 80000008H): {EAX, EBX, ECX, EDX}.
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::array<std::uint32_t, 4>> cpuid;
};
// The probe runs in stages, since an MSR that does not exist faults (and a batch cannot
// branch): stage 0 is CPUID; stage 1 the MSRs every VMX processor has (IA32_VMX_BASIC ..
// VMCS_ENUM, A.1-A.9); stage 2 those stage 1 says exist (secondary controls, the TRUE
// controls); stage 3 those the secondary controls say exist (EPT/VPID, VM functions). An
// empty list: nothing to read at that stage.
std::vector<Command> vmx_probe_stage(unsigned stage, const VmxProbe& so_far);
void read_vmx_probe_stage(unsigned stage, std::span<const Command> done, VmxProbe& probe);
inline constexpr unsigned kVmxProbeStages = 4;

// Enters VMX operation: CR0 and CR4 get their fixed-1 bits (A.7, A.8: NE, VMXE), the VMXON
// region its revision identifier (25.11.5), then VMXON.
std::vector<Command> vmx_enable_commands(const spec::vmx::VmxCapabilities& caps);

// One step of the L1: its own commands (stores, INVEPT, INVVPID), then - unless
// `enter_guest` is false - VMLAUNCH of a VMCS that holds `fields` (every other field 0), and
// the physical qwords read back afterwards.
struct VmEntryRequest {
  std::vector<Command> host_before;
  bool enter_guest = true;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> fields;
  std::uint64_t rax = 0, rbx = 0;  // the guest's (VM entry loads neither, 27.3)
  std::vector<std::uint64_t> read_back;
};

// What a step did: the L1's commands' failure if any; VMLAUNCH's outcome (VMfail: the
// VM-instruction error, 31.4); the VM exit's information (28.2); the guest's RIP, RAX, RBX;
// the qwords read back.
struct VmExitRecord {
  bool entered = false;
  std::string failure;        // a command of the L1 itself failed (a VMWRITE, VMXON, ...)
  std::uint32_t vmfail = 0;   // enum vt_vmx_fail of VMLAUNCH
  std::uint64_t instruction_error = 0, exit_reason = 0, qualification = 0, guest_linear = 0, guest_physical = 0,
                interruption_info = 0, interruption_error = 0;
  std::uint64_t rip = 0, rax = 0, rbx = 0;
  std::vector<std::uint64_t> read_back;
};

void append_vm_entry(std::vector<Command>& list, const VmEntryRequest& request, std::uint32_t revision);
// Reads back the step that starts at `at` (as append_vm_entry laid it out) and moves `at`
// past it.
VmExitRecord read_vm_exit(std::span<const Command> list, std::size_t& at, const VmEntryRequest& request);

// The L1's own commands' outcome in words, for failures.
std::string describe_vmx_fail(std::uint32_t vmx_fail);

}  // namespace vtspec::conformance::qemu
