// Prints what the KVM target found on this machine (guest CPUID, MAXPHYADDR, features).
#include <cstdio>

#include "conformance/targets/kvm_target.hpp"

int main() {
  std::fputs(vtspec::conformance::kvm_target_report().c_str(), stdout);
  return 0;
}
