// The encode and decode steps of the VMX L1 targets (bochs, kvm-vmx) for a VMX L1's own
// instructions (vtspec/vector/4, the state's vmx:): the platform proxy leaves its own VMX
// operation, takes the vector's memory, enters the state the vector starts in (VMXON of its
// region; VMCLEAR, VMPTRLD and the VMWRITEs of its current VMCS) and executes the vector's
// VMX instructions one command each (conformance/qemu_platform/mailbox_abi.h), then leaves
// VMX operation and enters its own again for the next list. Each command's VMsucceed /
// VMfail outcome and VM-instruction error, and after VMLAUNCH/VMRESUME the exit reason and
// qualification, decode into the shared event type. The rules that say what the outcome
// should be are spec/'s; this file only carries instructions and results.
#pragma once

#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "conformance/qemu_platform/qemu_machine.hpp"
#include "conformance/targets/l1_guest_harness.hpp"
#include "model/event.hpp"
#include "spec/vmx/vmx_capabilities.hpp"

namespace vtspec::vectors { struct Vector; }

namespace vtspec::conformance::vmx_root {

struct Plan {
  std::vector<l1::Frame> frames;           // the vector's memory (copied in first)
  std::vector<qemu::Command> before;       // leave the proxy's VMX operation, enter the vector's state
  std::vector<qemu::Command> operations;   // the vector's instructions (with the VMREADs of an entry's exit)
  std::vector<std::size_t> first_command;  // per operation: its first command in `operations`
  std::vector<qemu::Command> after;        // leave VMX operation, enter the proxy's own again
};

struct Encoded {
  Plan plan;
  std::string error;  // non-empty: the target cannot run the vector, and why
};

// `caps`: the capability MSRs of the CPU the list runs on (the proxy's own VMXON region
// takes its revision identifier).
Encoded encode_vector(const vectors::Vector& vector, const spec::vmx::VmxCapabilities& caps);

// The events of the vector's operations, from the finished list (`list` holds `before`,
// then `operations`, starting at `at`). Throws when the setup the state describes failed.
std::vector<model::Event> decode(const vectors::Vector& vector, const Plan& plan, std::span<const qemu::Command> list,
                                 std::size_t at);

}  // namespace vtspec::conformance::vmx_root
