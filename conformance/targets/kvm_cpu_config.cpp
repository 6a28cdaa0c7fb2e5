#include "conformance/targets/kvm_cpu_config.hpp"

#include <fmt/format.h>

namespace vtspec::conformance {

namespace {

std::uint32_t* cpuid_register(kvm::CpuidEntry& e, unsigned reg) {
  std::uint32_t* regs[4] = {&e.eax, &e.ebx, &e.ecx, &e.edx};
  return regs[reg & 3];
}

bool cpuid_has(const kvm::Cpuid& cpuid, model::Feature f) {
  const model::CpuidBit where = model::cpuid_bit(f);
  const kvm::CpuidEntry* e = kvm::find(cpuid, where.leaf, where.subleaf);
  if (!e) return false;
  kvm::CpuidEntry copy = *e;
  return (*cpuid_register(copy, where.reg) >> where.bit) & 1;
}

}  // namespace

std::string KvmCpuConfig::describe() const {
  std::string s = fmt::format("MAXPHYADDR {}", maxphyaddr);
  for (model::Feature f : model::kAllFeatures)
    if (has(f)) s += std::string(" ") + model::to_string(f);
  return s;
}

KvmCpuConfig supported_config(const kvm::Cpuid& supported) {
  KvmCpuConfig c;
  const kvm::CpuidEntry* sizes = kvm::find(supported, model::kAddressSizeLeaf);
  // SDM Vol. 2A CPUID: without leaf 80000008H the physical-address width is 36.
  c.maxphyaddr = sizes && (sizes->eax & 0xff) ? (sizes->eax & 0xff) : model::kMinMaxPhyAddr;
  for (model::Feature f : model::kAllFeatures) c.set(f, cpuid_has(supported, f));
  return c;
}

KvmCpuConfig config_for(const model::CpuNeeds& needs, const KvmCpuConfig& baseline) {
  KvmCpuConfig c = baseline;
  c.maxphyaddr = needs.maxphyaddr;
  for (const auto& [feature, present] : needs.features) c.set(feature, present);
  return c;
}

kvm::Cpuid guest_cpuid(const kvm::Cpuid& supported, const KvmCpuConfig& config) {
  kvm::Cpuid cpuid = supported;
  auto entry = [&](std::uint32_t leaf, std::uint32_t subleaf) -> kvm::CpuidEntry& {
    if (kvm::CpuidEntry* e = kvm::find(cpuid, leaf, subleaf)) return *e;
    kvm::CpuidEntry e;
    e.function = leaf;
    e.index = subleaf;
    e.flags = leaf == 7 ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
    cpuid.push_back(e);
    return cpuid.back();
  };
  kvm::CpuidEntry& sizes = entry(model::kAddressSizeLeaf, 0);
  sizes.eax = (sizes.eax & ~0xffu) | config.maxphyaddr;
  for (model::Feature f : model::kAllFeatures) {
    const model::CpuidBit where = model::cpuid_bit(f);
    std::uint32_t& reg = *cpuid_register(entry(where.leaf, where.subleaf), where.reg);
    reg = config.has(f) ? reg | (1u << where.bit) : reg & ~(1u << where.bit);
  }
  return cpuid;
}

}  // namespace vtspec::conformance
