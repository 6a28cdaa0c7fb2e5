#include "conformance/targets/kvm_capabilities.hpp"

#include <fmt/format.h>

#include "conformance/feature_probes.hpp"
#include "conformance/harness/operation_encoding.hpp"

namespace vtspec::conformance {

namespace {

using model::Feature;

// Did the probe vector run and give exactly the SDM outcome of every operation? Empty when
// it did; otherwise what happened instead.
std::string probe_result(const vectors::Vector& probe, const VectorResult& r) {
  if (r.status != VectorResult::Status::ran) return r.reason.empty() ? "the probe did not run" : r.reason;
  for (std::size_t i = 0; i < probe.operations.size(); ++i) {
    if (i >= r.observations.size() || !r.observations[i].ran)
      return fmt::format("probe operation {} did not run", i);
    const std::string d = model::difference(probe.expectations[i].outcomes.front().event, r.observations[i].event);
    if (!d.empty()) return fmt::format("{}: {}", vectors::describe_operation(probe.operations[i]), d);
  }
  return {};
}

std::uint64_t cr4_bit(Feature f) {
  switch (f) {
    case Feature::smep: return model::cr4::smep;
    case Feature::smap: return model::cr4::smap;
    case Feature::pku: return model::cr4::pke;
    case Feature::pks: return model::cr4::pks;
    case Feature::la57: return model::cr4::la57;
    case Feature::pcid: return model::cr4::pcide;
    default: return 0;
  }
}

}  // namespace

Capabilities probe_kvm_capabilities(const KvmCpuConfig& supported, const KvmProbeHooks& hooks) {
  Capabilities caps;
  caps.max_maxphyaddr = supported.maxphyaddr;
  caps.maxphyaddr_limit = fmt::format("KVM_GET_SUPPORTED_CPUID leaf 80000008H reports {}", supported.maxphyaddr);
  caps.abilities.emplace();
  for (const auto& [ability, why] : harness::ability_support())
    if (why.empty())
      caps.abilities->insert(ability);
    else
      caps.why_not_ability[ability] = "the guest harness: " + why;
  KvmCpuConfig base = supported;
  base.maxphyaddr = model::kMinMaxPhyAddr;  // the probes' MAXPHYADDR

  auto accepts = [&](const KvmCpuConfig& config, std::uint64_t cr4_bits, std::uint64_t efer_bits) {
    model::GuestRegisters regs;
    regs.cr3 = 0x1000;
    regs.cr4 |= cr4_bits;
    regs.efer = (regs.efer & ~model::efer::nxe) | efer_bits;
    KvmHarnessVm& vm = hooks.vm_for(config);
    return vm.vcpu().try_set_sregs(vm.boot_sregs(regs));
  };
  auto probe = [&](Feature f, bool present, const KvmCpuConfig& config) -> std::optional<std::string> {
    const auto vector = feature_probe(f, present);
    if (!vector) return std::nullopt;
    std::string failed = probe_result(*vector, hooks.run_vector(*vector, config));
    caps.notes.push_back(fmt::format("probe {}: {}", vector->id, failed.empty() ? "passed" : failed));
    return failed;
  };

  // User-mode accesses in the upper half: a guest shows whether the hypervisor gives the
  // whole linear address space to user mode (docs/kvm-divergences.md §8).
  {
    const vectors::Vector upper = upper_half_user_probe();
    const std::string failed = probe_result(upper, hooks.run_vector(upper, base));
    caps.notes.push_back(fmt::format("probe {}: {}", upper.id, failed.empty() ? "passed" : failed));
    if (!failed.empty())
      for (const char* access : {"read", "write", "fetch"}) {
        const std::string ability = std::string(access) + " at CPL 3 in the upper half";
        caps.abilities->erase(ability);
        caps.why_not_ability[ability] =
            "user-mode accesses above 0x7fffffffffff fault here whatever the guest's entries say (" + failed +
            "; docs/kvm-divergences.md §8)";
      }
  }

  for (Feature f : model::kAllFeatures) {
    FeatureSupport& s = caps[f];
    KvmCpuConfig with = base, without = base;
    with.set(f, true);
    without.set(f, false);
    const char* name = model::to_string(f);
    const bool reported = supported.has(f);
    const std::string cpuid_note = reported ? "" : " (KVM_GET_SUPPORTED_CPUID does not report it)";
    if (const std::uint64_t bit = cr4_bit(f)) {
      const bool have_accepted = accepts(with, bit, model::efer::nxe);
      const bool lack_accepted = accepts(without, bit, model::efer::nxe);
      if (!have_accepted) {
        s.why_not_have = fmt::format("KVM rejects CR4 bit {:#x} with CPUID {} set{}", bit, name, cpuid_note);
      } else if (f == Feature::la57) {
        s.why_not_have = "the guest harness runs 4-level paging only";
      } else if (auto failed = probe(f, true, with); failed && !failed->empty()) {
        s.why_not_have = fmt::format("KVM accepts the CR4 bit, but the feature does not work: {}{}", *failed, cpuid_note);
      } else {
        s.can_have = true;
      }
      s.can_lack = !lack_accepted;
      if (lack_accepted)
        s.why_not_lack = fmt::format("KVM accepts CR4 bit {:#x} although the guest CPUID has no {} (docs/kvm-divergences.md)",
                                     bit, name);
    } else if (f == Feature::nx) {
      s.can_have = accepts(with, 0, model::efer::nxe);
      if (!s.can_have) s.why_not_have = "KVM rejects EFER.NXE with CPUID NX set" + cpuid_note;
      s.can_lack = !accepts(without, 0, model::efer::nxe);
      if (!s.can_lack) s.why_not_lack = "KVM accepts EFER.NXE although the guest CPUID has no NX";
    } else {
      // Page1GB, INVPCID: only a guest shows whether KVM implements what CPUID claims.
      const auto have = probe(f, true, with);
      s.can_have = have && have->empty();
      if (!s.can_have) s.why_not_have = fmt::format("with CPUID {} set{}: {}", name, cpuid_note, have ? *have : "no probe");
      const auto lack = probe(f, false, without);
      s.can_lack = lack && lack->empty();
      if (!s.can_lack) s.why_not_lack = fmt::format("with CPUID {} clear: {}", name, lack ? *lack : "no probe");
    }
  }
  return caps;
}

}  // namespace vtspec::conformance
