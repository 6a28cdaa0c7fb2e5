// What the KVM target can build on this host, found by asking KVM and then checking in a
// guest (SDM-derived probes, conformance/feature_probes.hpp):
//   MAXPHYADDR   36 .. what KVM_GET_SUPPORTED_CPUID reports in leaf 80000008H;
//   CR4 features a virtual CPU has one when KVM accepts the CR4 bit (KVM_SET_SREGS) with the
//                CPUID bit set, and its probe passes; it lacks one when KVM rejects the CR4
//                bit with the CPUID bit clear (otherwise the feature cannot be hidden);
//   NX           EFER.NXE accepted with the bit set / rejected with it clear;
//   Page1GB, INVPCID  by their probes, with and without the CPUID bit;
//   LA57         never: the guest harness runs 4-level paging only.
#pragma once

#include <functional>

#include "conformance/capabilities.hpp"
#include "conformance/target.hpp"
#include "conformance/targets/kvm_cpu_config.hpp"
#include "conformance/targets/kvm_harness_vm.hpp"

namespace vtspec::conformance {

struct KvmProbeHooks {
  std::function<KvmHarnessVm&(const KvmCpuConfig&)> vm_for;                              // a VM of that CPU
  std::function<VectorResult(const vectors::Vector&, const KvmCpuConfig&)> run_vector;  // run on that CPU
};

Capabilities probe_kvm_capabilities(const KvmCpuConfig& supported, const KvmProbeHooks& hooks);

}  // namespace vtspec::conformance
