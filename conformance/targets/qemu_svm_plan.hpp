// The qemu-svm target's encode step: a vtspec/vector/3 vector (an AMD-V guest under nested
// paging) becomes a typed plan for the long-mode QEMU platform proxy acting as L1 hypervisor:
// the frames to place (the vector's host-physical memory), the L1 harness's own structures
// spliced into the vector's tables (conformance/targets/l1_guest_harness.hpp, shared with the
// VMX target), and one VMRUN per operation that runs one access stub in the guest (L2) and
// ends in a #VMEXIT.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "conformance/qemu_platform/svm_unit.hpp"
#include "conformance/targets/l1_guest_harness.hpp"
#include "model/operation.hpp"

namespace vtspec::vectors { struct Vector; }

namespace vtspec::conformance::qemu_svm {

using Step = l1::Step<qemu::VmrunRequest>;
using Plan = l1::Plan<qemu::VmrunRequest>;
using Encoded = l1::Encoded<qemu::VmrunRequest>;

Encoded encode_vector(const vectors::Vector& vector);

// Whether the plan has a step for `operation` (the target's capabilities say so from this),
// and in words what it runs.
bool runs(const model::Operation& operation);
inline constexpr const char* kWhatRuns =
    "the qemu-svm target's L1 runs accesses (not implicit supervisor-mode ones), INVLPG, INVLPGA, VMRUN and entry stores";

}  // namespace vtspec::conformance::qemu_svm
