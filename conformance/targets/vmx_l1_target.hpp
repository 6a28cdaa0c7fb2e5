// A VMX L1 target: guests in VMX non-root operation under the vector's EPT (vtspec/vector/2,
// state `ept:`), the long-mode platform proxy acting as the L1 hypervisor
// (conformance/qemu_platform/vmx_unit.hpp) - the same proxy, and the same L2 harness
// (l1_guest_harness.hpp), as the AMD-V target's. The pipeline is
//   vector -> encode (vmx_l1_plan.*: frames, the harness's structures, one VM entry per
//             operation)
//          -> execute (a batch of command lists on an L1Machine: many vectors per boot,
//             one machine per instance)
//          -> decode (the VM exit -> model::Event, here) -> the runner compares.
// The virtual CPU is the machine's, read from it (CPUID and the VMX capability MSRs, in
// stages): what it has is what the target builds; a vector that needs anything else is
// SKIPPED. Two platforms: Bochs 2.7 (bochs_target.hpp) and QEMU on a KVM that offers VMX to
// its guests (kvm_vmx_target.hpp).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "conformance/qemu_platform/command_batch.hpp"
#include "conformance/target.hpp"

namespace vtspec::conformance {

// One machine an instance of the target runs its batches on. List 0 of every batch is the
// L1's setup (entering VMX operation): a machine that keeps its L1 between batches runs it
// once per boot and reports it completed otherwise. Never throws for a machine that hangs or
// crashes: the outcome says how far it got.
class L1Machine {
 public:
  virtual ~L1Machine() = default;
  virtual qemu::BatchOutcome run(const qemu::Batch& batch) = 0;
};

struct VmxL1Platform {
  std::string target;                                   // the target's name
  std::function<std::string()> unavailable;             // why it cannot run here; empty: it can
  std::map<std::string, std::string> identity;          // TargetIdentity details
  std::string cpu;                                      // in skip reasons: "Bochs's corei7_skylake_x"
  std::function<std::unique_ptr<L1Machine>()> machine;  // a machine for one instance
  unsigned instances = 1;                               // machines in parallel
  std::size_t batch_vectors = 400;                      // vectors per batch
  // Abilities (model::ability names) the platform's CPU lacks although the L1 has them, and
  // why: a vector that needs one is SKIPPED with that reason.
  std::map<std::string, std::string> cannot;
  // For tests of the failure path: the list of the vector with this id ends in a poll that
  // never completes, as if the machine hung in it.
  std::string hang_in_vector;
};

std::unique_ptr<Target> make_vmx_l1_target(VmxL1Platform platform);

}  // namespace vtspec::conformance
