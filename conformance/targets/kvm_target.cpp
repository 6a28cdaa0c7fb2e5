#include "conformance/targets/kvm_target.hpp"

#include <cstdlib>
#include <list>
#include <map>
#include <memory>
#include <optional>

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

// VMs kept at once, one per virtual CPU: each holds a 1-GByte (sparse) window and KVM's
// shadow pages (about 2 MiB of RSS). Creating one and its first run take about 3 ms on this
// KVM, ten vectors' worth, so the cache covers what the fuzzer draws (4 MAXPHYADDRs x NX x
// SMEP x SMAP = 32 here) with room to spare.
constexpr std::size_t kMaxVms = 48;

class KvmTarget final : public Target {
 public:
  explicit KvmTarget(unsigned timeout_ms) : timeout_ms_(timeout_ms), trace_(std::getenv("VTSPEC_KVM_TRACE") != nullptr) {
    // VTSPEC_HARNESS_INTERPRET_PRIVILEGED: privileged operations in the guest's interpreter.
    layout_.batch_privileged = std::getenv("VTSPEC_HARNESS_INTERPRET_PRIVILEGED") == nullptr;
  }

  std::string name() const override { return "kvm"; }
  const Capabilities& capabilities() override;
  VectorResult run(const vectors::Vector& vector) override;
  std::vector<VectorResult> run_on_fresh_machine(const std::vector<const vectors::Vector*>& vectors) override;

  std::string report();

 private:
  std::optional<VectorResult> not_runnable(const vectors::Vector& vector);
  // On the configuration's kept VM, or on `fresh` (owned by the caller: not kept).
  VectorResult run_on(const vectors::Vector& vector, const KvmCpuConfig& config,
                      std::map<KvmCpuConfig, std::unique_ptr<KvmHarnessVm>>* fresh = nullptr);
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

std::optional<VectorResult> KvmTarget::not_runnable(const vectors::Vector& vector) {
  if (auto skip = skip_reason(vectors::needs_of(vector), capabilities()); skip && !std::getenv("VTSPEC_KVM_IGNORE_FEATURES")) {
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
  return std::nullopt;
}

VectorResult KvmTarget::run(const vectors::Vector& vector) {
  if (auto r = not_runnable(vector)) return std::move(*r);
  return run_on(vector, config_for(vectors::needs_of(vector), supported_config_));
}

std::vector<VectorResult> KvmTarget::run_on_fresh_machine(const std::vector<const vectors::Vector*>& vectors) {
  std::map<KvmCpuConfig, std::unique_ptr<KvmHarnessVm>> fresh;  // one new VM per virtual CPU, for these alone
  std::vector<VectorResult> results;
  for (const vectors::Vector* v : vectors) {
    if (auto r = not_runnable(*v)) {
      results.push_back(std::move(*r));
      continue;
    }
    results.push_back(run_on(*v, config_for(vectors::needs_of(*v), supported_config_), &fresh));
  }
  return results;
}

VectorResult KvmTarget::run_on(const vectors::Vector& vector, const KvmCpuConfig& config,
                              std::map<KvmCpuConfig, std::unique_ptr<KvmHarnessVm>>* fresh) {
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
    KvmHarnessVm* vm = nullptr;
    if (fresh) {
      auto& own = (*fresh)[config];
      if (!own) own = std::make_unique<KvmHarnessVm>(*system_, guest_cpuid(supported_, config), layout_);
      vm = own.get();
    }
    execution = execute_on_kvm(vm ? *vm : vm_for(config), encoded.encoded, vector.initial.regs, vector.operations,
                               timeout_ms_, trace_);
  } catch (const std::exception& e) {  // the VM could not be created
    execution.problems.push_back(fmt::format("KVM failure creating a VM ({}): {}", config.describe(), e.what()));
    execution.decoded.observations.resize(vector.operations.size());
    execution.vm_broken = true;
  }
  if (execution.vm_broken) {  // a fresh VM for the next vector: no state carried over
    if (fresh) fresh->erase(config);
    else vms_.remove_if([&](const auto& entry) { return entry.first == config; });
  }
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
