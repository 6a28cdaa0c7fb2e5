// The bochs target: the VMX L1 target (vmx_l1_target.hpp) on Bochs 2.7
// (conformance/bochs_platform): each batch is one boot, the CPU is Bochs's CPU model, one Bochs
// per core in parallel.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "conformance/target.hpp"

namespace vtspec::conformance {

struct BochsTargetOptions {
  std::string cpu_model = "corei7_skylake_x";  // Bochs's `cpu: model=` (EPT A/D, 1G EPT pages, VMFUNC, #VE)
  unsigned instances = 0;  // Bochs processes in parallel; 0 = VTSPEC_BOCHS_INSTANCES, else one per core (at most 4)
  std::size_t batch_vectors = 400;             // vectors per boot
  // A boot's deadline: this, plus 100 ms per vector of the boot.
  std::chrono::milliseconds boot_timeout{15000};
  // For tests of the failure path: the list of the vector with this id ends in a poll that
  // never completes, as if Bochs hung in it.
  std::string hang_in_vector;
};

std::unique_ptr<Target> make_bochs_target(const BochsTargetOptions& options = {});

}  // namespace vtspec::conformance
