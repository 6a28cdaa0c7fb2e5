// The KVM target: runs vectors in the guest harness on this machine's /dev/kvm, through raw
// ioctls (no QEMU). One VM serves every vector; between vectors the vector memslot is
// deleted and re-created (which makes KVM drop every shadow page built from the previous
// vector's tables) and the vCPU's registers are set afresh. See conformance/harness/README.md
// for the layout and docs/kvm-divergences.md for what this KVM does differently.
#pragma once

#include <memory>
#include <string>

#include "conformance/target.hpp"

namespace vtspec::conformance {

std::unique_ptr<Target> make_kvm_target();

// Same, with a per-vector timeout (a guest still running after it is stopped and the vector
// reported as a timeout).
std::unique_ptr<Target> make_kvm_target(unsigned timeout_ms);

// What the target found on this machine: guest CPUID, MAXPHYADDR, each feature and why it
// is missing (for docs/kvm-divergences.md and `vtspec` diagnostics).
std::string kvm_target_report();

}  // namespace vtspec::conformance
