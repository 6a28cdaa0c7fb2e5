#include "conformance/targets/kvm_target.hpp"

#include <cstdlib>
#include <list>
#include <map>

#include <fmt/format.h>

#include "conformance/harness/encoding.hpp"
#include "conformance/runner/skip_decision.hpp"
#include "conformance/targets/kvm_capabilities.hpp"
#include "conformance/targets/kvm_cpu_config.hpp"
#include "conformance/targets/kvm_execution.hpp"
#include "conformance/targets/kvm_identity.hpp"
#include "conformance/targets/kvm_harness_vm.hpp"
#include "conformance/targets/kvm_system.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::conformance {
namespace {

// VMs kept at once: each holds a 1-GByte (sparse) window and KVM's shadow pages.
constexpr std::size_t kMaxVms = 6;

class KvmTarget final : public Target {
 public:
  explicit KvmTarget(unsigned timeout_ms) : timeout_ms_(timeout_ms), trace_(std::getenv("VTSPEC_KVM_TRACE") != nullptr) {}

  std::string name() const override { return "kvm"; }
  const Capabilities& capabilities() override;
  VectorResult run(const vectors::Vector& vector) override;

  std::string report();

 private:
  VectorResult run_on(const vectors::Vector& vector, const KvmCpuConfig& config);
  KvmHarnessVm& vm_for(const KvmCpuConfig& config);

  unsigned timeout_ms_;
  bool trace_;  // VTSPEC_KVM_TRACE set: print each step's time and the registers after each vector
  harness::Layout layout_;
  std::unique_ptr<kvm::System> system_;
  kvm::Cpuid supported_;
  KvmCpuConfig supported_config_;
  std::optional<Capabilities> capabilities_;
  // One VM per virtual CPU, most recently used first.
  std::list<std::pair<KvmCpuConfig, std::unique_ptr<KvmHarnessVm>>> vms_;
};

const Capabilities& KvmTarget::capabilities() {
  if (capabilities_) return *capabilities_;
  try {
    system_ = std::make_unique<kvm::System>();
    supported_ = system_->supported_cpuid();
    supported_config_ = supported_config(supported_);
    KvmProbeHooks hooks{[this](const KvmCpuConfig& c) -> KvmHarnessVm& { return vm_for(c); },
                        [this](const vectors::Vector& v, const KvmCpuConfig& c) { return run_on(v, c); }};
    capabilities_ = probe_kvm_capabilities(supported_config_, hooks);
  } catch (const std::exception& e) {
    capabilities_.emplace();
    capabilities_->unavailable = fmt::format("/dev/kvm unusable: {}", e.what());
    vms_.clear();
    system_.reset();
  }
  capabilities_->identity = {name(), kvm_host_identity()};
  // Its skips are not the results of a usable KVM: a resume once KVM works must not take them.
  if (!capabilities_->unavailable.empty()) capabilities_->identity.details["unavailable"] = capabilities_->unavailable;
  return *capabilities_;
}

KvmHarnessVm& KvmTarget::vm_for(const KvmCpuConfig& config) {
  for (auto it = vms_.begin(); it != vms_.end(); ++it)
    if (it->first == config) {
      vms_.splice(vms_.begin(), vms_, it);
      return *vms_.front().second;
    }
  if (vms_.size() >= kMaxVms) vms_.pop_back();
  vms_.emplace_front(config, std::make_unique<KvmHarnessVm>(*system_, guest_cpuid(supported_, config), layout_));
  if (trace_) std::fprintf(stderr, "[kvm] new VM: %s\n", config.describe().c_str());
  return *vms_.front().second;
}

VectorResult KvmTarget::run(const vectors::Vector& vector) {
  const model::CpuNeeds needs = vectors::needs_of(vector);
  if (auto skip = skip_reason(needs, capabilities()); skip && !std::getenv("VTSPEC_KVM_IGNORE_FEATURES")) {
    // (VTSPEC_KVM_IGNORE_FEATURES: run anyway, to see what KVM does; for investigations.)
    VectorResult r;
    r.status = VectorResult::Status::skipped;
    r.reason = *skip;
    return r;
  }
  if (!system_) {
    VectorResult r;
    r.status = VectorResult::Status::skipped;
    r.reason = "target unavailable: " + capabilities().unavailable;
    return r;
  }
  return run_on(vector, config_for(needs, supported_config_));
}

VectorResult KvmTarget::run_on(const vectors::Vector& vector, const KvmCpuConfig& config) {
  VectorResult result;
  std::vector<std::uint64_t> readback;
  for (const auto& entry : vector.entries) readback.push_back(entry.physical);
  const harness::EncodeResult encoded = harness::encode(vector.initial, vector.operations, readback, layout_);
  if (!encoded.error.empty()) {
    result.status = VectorResult::Status::target_error;
    result.reason = "the guest harness cannot run this vector: " + encoded.error;
    return result;
  }
  KvmExecution execution;
  try {
    execution = execute_on_kvm(vm_for(config), encoded.encoded, vector.initial.regs, vector.operations, timeout_ms_, trace_);
  } catch (const std::exception& e) {  // the VM could not be created
    execution.problems.push_back(fmt::format("KVM failure creating a VM ({}): {}", config.describe(), e.what()));
    execution.decoded.observations.resize(vector.operations.size());
    execution.vm_broken = true;
  }
  if (execution.vm_broken)  // a fresh VM for the next vector: no state carried over
    vms_.remove_if([&](const auto& entry) { return entry.first == config; });
  result.observations = std::move(execution.decoded.observations);
  if (!execution.problems.empty()) {
    result.status = VectorResult::Status::target_error;
    result.reason = fmt::format("{}", fmt::join(execution.problems, "; "));
  }
  return result;
}

std::string KvmTarget::report() {
  const Capabilities& caps = capabilities();
  if (!caps.unavailable.empty()) return "unavailable: " + caps.unavailable + "\n";
  std::string text = fmt::format("identity: {}\n", caps.identity.describe());
  for (const auto& e : supported_)
    if ((e.function == 1 || e.function == 7 || e.function == 0x80000001 || e.function == 0x80000008) && e.index == 0)
      text += fmt::format("KVM_GET_SUPPORTED_CPUID {:>8x}: eax {:08x} ebx {:08x} ecx {:08x} edx {:08x}\n", e.function,
                          e.eax, e.ebx, e.ecx, e.edx);
  text += fmt::format("supported virtual CPU: {}\n", supported_config_.describe());
  text += fmt::format("MAXPHYADDR: {}..{} ({})\n", caps.min_maxphyaddr, caps.max_maxphyaddr, caps.maxphyaddr_limit);
  for (model::Feature f : model::kAllFeatures) {
    const FeatureSupport& s = caps[f];
    text += fmt::format("feature {:8} with: {}  without: {}\n", model::to_string(f), s.can_have ? "yes" : s.why_not_have,
                        s.can_lack ? "yes" : s.why_not_lack);
  }
  for (const auto& note : caps.notes) text += note + "\n";
  return text;
}

}  // namespace

std::string kvm_target_report() { return KvmTarget(2000).report(); }

std::unique_ptr<Target> make_kvm_target() { return make_kvm_target(2000); }
std::unique_ptr<Target> make_kvm_target(unsigned timeout_ms) { return std::make_unique<KvmTarget>(timeout_ms); }

}  // namespace vtspec::conformance
