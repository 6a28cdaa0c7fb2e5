#include "conformance/targets/bochs_target.hpp"

#include <algorithm>
#include <cstdlib>
#include <thread>

#include <fmt/format.h>

#include "conformance/bochs_platform/bochs_machine.hpp"
#include "conformance/targets/vmx_l1_target.hpp"

namespace vtspec::conformance {

namespace {

// Each batch is one boot of Bochs: the L1's setup runs every time.
class BochsL1Machine final : public L1Machine {
 public:
  explicit BochsL1Machine(BochsTargetOptions options) : options_(std::move(options)) {}
  qemu::BatchOutcome run(const qemu::Batch& batch) override {
    bochs::RunConfig config;
    config.cpu_model = options_.cpu_model;
    config.timeout = options_.boot_timeout + std::chrono::milliseconds(100 * batch.lists().size());
    return bochs::run_batch(config, batch);
  }

 private:
  BochsTargetOptions options_;
};

// BochsTargetOptions::instances, else VTSPEC_BOCHS_INSTANCES, else one per core (at most 4).
unsigned instance_count(const BochsTargetOptions& o) {
  if (o.instances) return o.instances;
  if (const char* e = std::getenv("VTSPEC_BOCHS_INSTANCES"); e && std::atoi(e) > 0) return static_cast<unsigned>(std::atoi(e));
  return std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
}

}  // namespace

std::unique_ptr<Target> make_bochs_target(const BochsTargetOptions& options) {
  VmxL1Platform p;
  p.target = "bochs";
  p.unavailable = [] { return bochs::bochs_unavailable_reason(); };
  p.identity = {{"bochs", bochs::bochs_version()}, {"cpu", options.cpu_model}};
  p.cpu = fmt::format("Bochs's {}", options.cpu_model);
  p.machine = [options] { return std::make_unique<BochsL1Machine>(options); };
  p.instances = instance_count(options);
  p.batch_vectors = options.batch_vectors;
  p.hang_in_vector = options.hang_in_vector;
  // docs/bochs-divergences.md §9: VMCALL in VMX root operation stops Bochs 2.7 instead of
  // failing with VM-instruction error 1 (SDM Vol. 3C 31.3).
  p.cannot["vmcall"] = "Bochs 2.7 stops with \">>PANIC<< VMCALL: not implemented yet\" on VMCALL in VMX root operation "
                       "(docs/bochs-divergences.md §9)";
  return make_vmx_l1_target(std::move(p));
}

}  // namespace vtspec::conformance
