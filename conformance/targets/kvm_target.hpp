// The KVM target: runs vectors in the guest harness on this machine's /dev/kvm through raw
// ioctls (no QEMU), as a pipeline with one step per file:
//   vector -> needs (vectors::needs_of) -> virtual CPU (kvm_cpu_config) -> VM of that CPU
//   (kvm_harness_vm, one per distinct CPU, reused) -> encode (harness/encoding) -> execute
//   (kvm_execution) -> decode (harness::decode) -> observations (model::Event).
// What it can build is probed once (kvm_capabilities). See conformance/harness/README.md for
// the layout and docs/kvm-divergences.md for what KVM does differently.
#pragma once

#include <memory>
#include <string>

#include "conformance/target.hpp"

namespace vtspec::conformance {

std::unique_ptr<Target> make_kvm_target();

// Same, with a per-vector timeout (a guest still running after it is stopped and the vector
// reported as a timeout).
std::unique_ptr<Target> make_kvm_target(unsigned timeout_ms);

// What the target found on this machine: KVM's supported CPUID, the capabilities and every
// probe's result (for docs/kvm-divergences.md and diagnostics).
std::string kvm_target_report();

}  // namespace vtspec::conformance
