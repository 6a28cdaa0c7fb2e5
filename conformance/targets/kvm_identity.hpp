// What the KVM target's results depend on besides the vector: the host kernel (KVM is part
// of it), the CPU model, and the KVM backend (the vendor module /dev/kvm runs on). Part of
// its Capabilities (TargetIdentity, conformance/capabilities.hpp), so a results file of
// another host, kernel or backend is never resumed as this one's.
#pragma once

#include <map>
#include <string>

namespace vtspec::conformance {

// "kernel": the uname release; "cpu": /proc/cpuinfo's "model name", else the CPUID brand
// string; "backend": which of kvm_intel, kvm_amd, kvm_pvm is loaded (/sys/module), joined
// with '+' if more than one. "unknown" where nothing says.
std::map<std::string, std::string> kvm_host_identity();

}  // namespace vtspec::conformance
