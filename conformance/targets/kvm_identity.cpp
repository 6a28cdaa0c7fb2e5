#include "conformance/targets/kvm_identity.hpp"

#include <cpuid.h>
#include <sys/utsname.h>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace vtspec::conformance {

namespace {

std::string trimmed(std::string s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

std::string kernel_release() {
  struct utsname u {};
  return ::uname(&u) == 0 ? u.release : "unknown";
}

// CPUID 80000002H..80000004H: 48 bytes of brand string (SDM Vol. 2A, CPUID).
std::string cpuid_brand_string() {
  unsigned max = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(0x80000000, &max, &ebx, &ecx, &edx) || max < 0x80000004) return "";
  char brand[49] = {};
  for (unsigned leaf = 0; leaf < 3; ++leaf) {
    unsigned regs[4] = {};
    __get_cpuid(0x80000002 + leaf, &regs[0], &regs[1], &regs[2], &regs[3]);
    std::memcpy(brand + 16 * leaf, regs, sizeof regs);
  }
  return trimmed(brand);
}

std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos)
      if (std::string name = trimmed(line.substr(line.find(':') + 1)); !name.empty()) return name;
  const std::string brand = cpuid_brand_string();
  return brand.empty() ? "unknown" : brand;
}

std::string kvm_backend() {
  std::string out;
  for (const char* module : {"kvm_intel", "kvm_amd", "kvm_pvm"}) {
    std::error_code ec;
    if (std::filesystem::exists(std::filesystem::path("/sys/module") / module, ec))
      out += (out.empty() ? "" : "+") + std::string(module);
  }
  return out.empty() ? "unknown" : out;
}

}  // namespace

std::map<std::string, std::string> kvm_host_identity() {
  return {{"kernel", kernel_release()}, {"cpu", cpu_model()}, {"backend", kvm_backend()}};
}

}  // namespace vtspec::conformance
