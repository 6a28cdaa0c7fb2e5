// The virtual CPU the KVM target builds for a vector, and the guest CPUID that builds it.
// KVM decides what a guest may use from the CPUID set with KVM_SET_CPUID2, intersected with
// what KVM itself implements: MAXPHYADDR from leaf 80000008H (KVM's reserved-bit checks, in
// the shadow MMU too, use the guest's value), Page1GB and NX from 80000001H, SMEP, SMAP,
// INVPCID, PKU, PKS and LA57 from leaf 7, PCID from leaf 1. KVM refuses a CPUID change after
// a vCPU's first KVM_RUN, so the target keeps one VM per distinct configuration.
#pragma once

#include <array>
#include <compare>
#include <string>

#include "conformance/targets/kvm_system.hpp"
#include "model/cpu_needs.hpp"

namespace vtspec::conformance {

struct KvmCpuConfig {
  unsigned maxphyaddr = model::kMinMaxPhyAddr;
  std::array<bool, model::kFeatureCount> present{};  // indexed by model::Feature
  bool has(model::Feature f) const { return present[static_cast<std::size_t>(f)]; }
  void set(model::Feature f, bool on) { present[static_cast<std::size_t>(f)] = on; }
  auto operator<=>(const KvmCpuConfig&) const = default;
  std::string describe() const;  // "MAXPHYADDR 36, nx page1gb smep"
};

// What KVM offers on this host (KVM_GET_SUPPORTED_CPUID), as a configuration.
KvmCpuConfig supported_config(const kvm::Cpuid& supported);

// The configuration for a vector: its MAXPHYADDR, each feature it touches as its virtual CPU
// has it, every other feature as `baseline` has it (untouched features cannot change an
// outcome, and sharing the baseline keeps the number of VMs small).
KvmCpuConfig config_for(const model::CpuNeeds& needs, const KvmCpuConfig& baseline);

// The CPUID to set: `supported` with leaf 80000008H's MAXPHYADDR and each feature bit as the
// configuration says. A feature bit is set even where KVM does not report it: the virtual CPU
// claims the feature, and whether KVM then implements it is for the probes to find out
// (kvm_capabilities.cpp), not for this function to guess.
kvm::Cpuid guest_cpuid(const kvm::Cpuid& supported, const KvmCpuConfig& config);

}  // namespace vtspec::conformance
