// The bochs target: guests in VMX non-root operation under the vector's EPT (vtspec/vector/2,
// state `ept:`) run on Bochs 2.7's VMX emulation, the long-mode platform proxy acting as the
// L1 hypervisor (conformance/qemu_platform/vmx_unit.hpp) - the same proxy, and the same L2
// harness (l1_guest_harness.hpp), as the AMD-V target's. The pipeline is
//   vector -> encode (bochs_vmx_plan.*: frames, the harness's structures, one VM entry per
//             operation)
//          -> execute (a Bochs batch, conformance/bochs_platform: many vectors per boot,
//             one Bochs per core)
//          -> decode (the VM exit -> model::Event, here) -> the runner compares.
// The virtual CPU is the Bochs CPU model's, read from it (CPUID, the VMX capability MSRs):
// what it has is what the target builds; a vector that needs anything else is SKIPPED.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "conformance/target.hpp"

namespace vtspec::conformance {

struct BochsTargetOptions {
  std::string cpu_model = "corei7_skylake_x";  // Bochs's `cpu: model=` (EPT A/D, 1G EPT pages, VMFUNC, #VE)
  unsigned instances = 0;                      // Bochs processes in parallel; 0 = VTSPEC_BOCHS_INSTANCES, else one per core (at most 4)
  std::size_t batch_vectors = 400;             // vectors per boot
  // A boot's deadline: this, plus 100 ms per vector of the boot.
  std::chrono::milliseconds boot_timeout{15000};
  // For tests of the failure path: the list of the vector with this id ends in a poll that
  // never completes, as if Bochs hung in it.
  std::string hang_in_vector;
};

std::unique_ptr<Target> make_bochs_target(const BochsTargetOptions& options = {});

}  // namespace vtspec::conformance
