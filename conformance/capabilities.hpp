// What a target can build and run on this host: the virtual CPUs (MAXPHYADDR range, and for
// each CPU feature whether a virtual CPU may have it and may lack it, with the reason where
// not) and the operations its guest can execute. Targets report it once (`capabilities()`);
// the runner alone decides from it which vectors run and which are SKIPPED, and why
// (conformance/runner/skip_decision.hpp). No target makes skip decisions of its own.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/virtual_cpu.hpp"
#include "spec/ept_pointer.hpp"
#include "spec/vmx/vmx_capabilities.hpp"

namespace vtspec::conformance {

struct FeatureSupport {
  bool can_have = false;      // a virtual CPU with the feature can be built and works
  bool can_lack = false;      // a virtual CPU without it can be built (the feature is then really absent)
  std::string why_not_have;   // when !can_have: what is missing, with evidence
  std::string why_not_lack;   // when !can_lack
};

// Which target produced a result, precisely enough that results of two different ones are
// never taken for each other: the target's name (Target::name()) and what its results
// depend on besides the vector: for KVM the host kernel, the CPU model and the KVM backend
// (vendor module), for the model the vtspec version. Every record of a results file carries
// it, and a resume with another identity is refused (conformance/runner/results_file.hpp).
struct TargetIdentity {
  std::string name;
  std::map<std::string, std::string> details;  // e.g. "kernel" -> "6.1.0-18-amd64"
  // One line: "kvm (backend kvm_intel, cpu Intel(R) Xeon(R) ..., kernel 6.1.0-18-amd64)", the
  // details in key order; just the name when there are none.
  std::string describe() const;
  friend bool operator==(const TargetIdentity&, const TargetIdentity&) = default;
};

struct Capabilities {
  TargetIdentity identity;
  // Non-empty: the target cannot run anything on this host, and why (no /dev/kvm, ...).
  std::string unavailable;
  // A real target executes vectors on something other than the model; a run in which a real
  // target executed nothing is a failure (exit 3), not a success.
  bool real = true;
  unsigned min_maxphyaddr = model::kMinMaxPhyAddr;
  unsigned max_maxphyaddr = model::kMaxMaxPhyAddr;
  std::string maxphyaddr_limit;  // why the range ends where it does
  std::array<FeatureSupport, model::kFeatureCount> features{};
  // The abilities (model::ability names: "read", "read at CPL 1", "invpcid", ...) its guest
  // can execute, nullopt for every one; for those it cannot, why (when known).
  std::optional<std::set<std::string>> abilities;
  std::map<std::string, std::string> why_not_ability;
  // DMA remapping: the IOMMU profiles it can build (nullopt: every one) and why not where it
  // has none; the host-physical window a DMA vector's memory must lie in (nullopt: anywhere).
  std::optional<std::set<std::string>> iommu_profiles = std::set<std::string>{};
  std::string why_no_iommu = "the target has no DMA-remapping hardware";
  std::optional<std::pair<std::uint64_t, std::uint64_t>> memory_window;
  // A guest under EPT (vtspec/vector/2 vectors): the EPT capabilities (IA32_VMX_EPT_VPID_CAP)
  // of the virtual CPUs it can build with VMX non-root operation under the vector's EPT
  // (nullopt: every one), and why not where it has none.
  std::optional<std::vector<spec::EptCapabilities>> ept_capabilities = std::vector<spec::EptCapabilities>{};
  std::string why_no_ept = "the target runs the guest without VMX, so not under an EPT of the vector's";
  // An AMD-V guest under nested paging (vtspec/vector/3 vectors): whether the target runs one,
  // and with which host EFER.NXE values at VMRUN; why not where it does not.
  bool nested_paging = false;
  std::set<bool> nested_host_nxe = {true, false};
  std::string why_no_nested_paging = "the target runs the guest without AMD-V, so not under nested paging of the vector's";
  // A VMX L1 (vtspec/vector/4 vectors: VMX instructions in root operation): the VMX
  // capability MSRs of the CPUs it runs them on (nullopt: every one), and why not where none.
  std::optional<std::vector<spec::vmx::VmxCapabilities>> vmx_l1 = std::vector<spec::vmx::VmxCapabilities>{};
  std::string why_no_vmx_l1 = "the target runs no VMX instructions in VMX root operation";
  // A guest with no second stage of the vector's (vtspec/vector/1): whether the target runs one.
  bool native_guest = true;
  std::string why_no_native_guest;
  std::string memory_window_reason;
  std::vector<std::string> notes;  // what the probes found, for `vtspec targets` style reports

  FeatureSupport& operator[](model::Feature f) { return features[static_cast<std::size_t>(f)]; }
  const FeatureSupport& operator[](model::Feature f) const { return features[static_cast<std::size_t>(f)]; }
};

// Everything: every MAXPHYADDR, every feature present or absent, every operation (the
// reference model's capabilities).
Capabilities unlimited_capabilities();

}  // namespace vtspec::conformance
