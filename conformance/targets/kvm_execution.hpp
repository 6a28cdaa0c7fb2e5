// The execution step of the KVM pipeline: an encoded vector (harness/encoding.hpp) runs in a
// KvmHarnessVm, exits are handled (done, harness failure, MMIO outside memory, emulation
// failures recorded against the operation and the harness re-entered at the next one,
// shutdown, timeout), and the results area is decoded into observations (harness::decode).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "conformance/harness/encoding.hpp"
#include "conformance/targets/kvm_harness_vm.hpp"
#include "model/operation.hpp"

namespace vtspec::conformance {

struct KvmExecution {
  harness::DecodedResults decoded;
  std::vector<std::string> problems;  // target errors, in order
  bool vm_broken = false;             // the VM must not serve another vector (shutdown, timeout, ...)
};

KvmExecution execute_on_kvm(KvmHarnessVm& vm, const harness::EncodedVector& program, const model::GuestRegisters& initial,
                            std::span<const model::Operation> operations, unsigned timeout_ms, bool trace);

}  // namespace vtspec::conformance
