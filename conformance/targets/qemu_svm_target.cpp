#include "conformance/targets/qemu_svm_target.hpp"

#include <algorithm>
#include <cstdlib>
#include <future>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "conformance/qemu_platform/qemu_machine.hpp"
#include "conformance/qemu_platform/svm_unit.hpp"
#include "conformance/runner/skip_decision.hpp"
#include "conformance/targets/qemu_svm_plan.hpp"
#include "model/operation_table.hpp"
#include "spec/svm/vmcb_layout.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::conformance {

namespace {

using qemu::Machine;
using qemu::MachineConfig;
using qemu::MachineFailure;

// QEMU's TCG accepts phys-bits up to 40 (TCG_PHYS_ADDR_BITS in QEMU 7.2); the vectors'
// 1 GiB + the platform's 4 MiB need at least 31.
constexpr unsigned kMinPhysBits = 36, kMaxPhysBits = 40;

MachineConfig config_of(unsigned maxphyaddr) {
  MachineConfig c;
  c.proxy = MachineConfig::Proxy::long_mode;
  c.cpu = fmt::format("max,phys-bits={}", maxphyaddr);
  c.icount = false;
  return c;
}

class QemuSvmTarget final : public Target {
 public:
  std::string name() const override { return "qemu-svm"; }
  const Capabilities& capabilities() override;
  VectorResult run(const vectors::Vector& vector) override { return run_on(instances_.front(), vector); }
  // Shares of the vectors on the instances side by side, one QEMU machine each.
  std::vector<VectorResult> run_many(std::span<const vectors::Vector* const> vectors) override;
  std::size_t batch_size() const override { return 64 * instances_.size(); }

 private:
  // One QEMU machine and its L1 (one per MAXPHYADDR in turn), and the frames the last
  // vector (and the harness) wrote there.
  struct Instance {
    std::unique_ptr<Machine> machine;
    std::unique_ptr<qemu::SvmUnit> unit;
    unsigned maxphyaddr = 0;
    std::set<std::uint64_t> written;
  };
  void prepare(Instance& in, const qemu_svm::Plan& plan);
  VectorResult run_on(Instance& in, const vectors::Vector& vector);
  std::optional<Capabilities> capabilities_;
  // VTSPEC_QEMU_INSTANCES, else one: a machine boots in about 0.15 s and the npt corpus runs
  // in 0.4 s on one, 0.55 s on two here (files of 10-20 vectors: the second boot costs more
  // than it saves); larger runs gain from more.
  std::vector<Instance> instances_ = std::vector<Instance>(instance_count());
  static unsigned instance_count() {
    if (const char* e = std::getenv("VTSPEC_QEMU_INSTANCES"); e && std::atoi(e) > 0) return static_cast<unsigned>(std::atoi(e));
    return 1;
  }
};

std::vector<VectorResult> QemuSvmTarget::run_many(std::span<const vectors::Vector* const> vectors) {
  std::vector<VectorResult> results(vectors.size());
  capabilities();  // probed once, before the instances start
  const std::size_t n = std::min(instances_.size(), vectors.size());
  if (n <= 1) {
    for (std::size_t i = 0; i < vectors.size(); ++i) results[i] = run_on(instances_.front(), *vectors[i]);
    return results;
  }
  std::vector<std::future<void>> running;
  const std::size_t share = (vectors.size() + n - 1) / n;
  for (std::size_t k = 0, at = 0; at < vectors.size(); ++k, at += share)
    running.push_back(std::async(std::launch::async, [this, k, at, share, vectors, &results] {
      for (std::size_t i = at; i < std::min(vectors.size(), at + share); ++i) results[i] = run_on(instances_[k], *vectors[i]);
    }));
  for (auto& r : running) r.get();
  return results;
}

const Capabilities& QemuSvmTarget::capabilities() {
  if (capabilities_) return *capabilities_;
  Capabilities c;
  c.identity.name = name();
  c.unavailable = qemu::qemu_unavailable_reason();
  if (!c.unavailable.empty()) return *(capabilities_ = c);
  c.identity.details["qemu"] = qemu::qemu_version();
  c.identity.details["cpu"] = "max (TCG), phys-bits = the vector's MAXPHYADDR";
  c.min_maxphyaddr = kMinPhysBits;
  c.max_maxphyaddr = kMaxPhysBits;
  c.maxphyaddr_limit = "QEMU 7.2 TCG's phys-bits range with room for the platform's memory";
  for (auto& f : c.features) {
    f.can_have = true;
    f.can_lack = false;
    f.why_not_lack = "the target's CPU is QEMU's -cpu max, which has it";
  }
  c.abilities.emplace();
  for (const model::Operation& o : model::ability_examples()) {
    if (qemu_svm::runs(o)) c.abilities->insert(model::ability(o));
    else c.why_not_ability[model::ability(o)] = qemu_svm::kWhatRuns;
  }
  c.nested_paging = true;
  c.nested_host_nxe = {true};  // the L1 proxy runs with EFER.NXE = 1 (conformance/qemu_platform/guest/proxy.c)
  c.native_guest = false;
  c.why_no_native_guest = "the qemu-svm target runs guests under nested paging only (vtspec/vector/3 npt: vectors)";
  try {  // SVM is there when the proxy can set EFER.SVME
    Machine m(config_of(kMinPhysBits));
    qemu::SvmUnit unit(m);
  } catch (const MachineFailure& e) {
    c.unavailable = std::string("QEMU's -cpu max offers no usable SVM here: ") + e.what();
  }
  return *(capabilities_ = c);
}

void QemuSvmTarget::prepare(Instance& in, const qemu_svm::Plan& plan) {
  if (!in.machine || in.maxphyaddr != plan.maxphyaddr) {
    in.unit.reset();
    in.machine = std::make_unique<Machine>(config_of(plan.maxphyaddr));
    in.unit = std::make_unique<qemu::SvmUnit>(*in.machine);
    in.maxphyaddr = plan.maxphyaddr;
    in.written.clear();
  }
  const std::vector<std::uint8_t> zero(model::PhysicalMemory::kFrameSize, 0);
  for (std::uint64_t frame : in.written) in.machine->write_ram(frame, zero);
  in.written.clear();
  for (const auto& f : plan.layout.frames) {
    in.machine->write_ram(f.address, f.bytes);
    in.written.insert(f.address);
  }
  for (const auto& [hpa, value] : plan.layout.words) {
    in.machine->write_ram64(hpa, value);
    in.written.insert(hpa & ~std::uint64_t{0xfff});
  }
}

VectorResult QemuSvmTarget::run_on(Instance& in, const vectors::Vector& vector) {
  VectorResult result;
  if (auto skip = skip_reason(vectors::needs_of(vector), capabilities())) {
    result.status = VectorResult::Status::skipped;
    result.reason = *skip;
    return result;
  }
  const qemu_svm::Encoded encoded = qemu_svm::encode_vector(vector);
  if (!encoded.error.empty()) {
    result.status = VectorResult::Status::skipped;
    result.reason = encoded.error;
    return result;
  }
  const qemu_svm::Plan& plan = encoded.plan;
  try {
    prepare(in, plan);
    // Every access of the vector in one command list (one mailbox round trip) - unless the
    // vector checks entries after each operation: then one VMRUN at a time, read back between.
    std::vector<qemu::VmExitInfo> exits;
    if (vector.entries.empty()) {
      std::vector<qemu::VmrunRequest> requests;
      for (const auto& step : plan.steps) requests.push_back(step.request);
      exits = in.unit->run(requests);
    }
    for (std::size_t i = 0; i < plan.steps.size(); ++i) {
      const auto& step = plan.steps[i];
      const qemu::VmExitInfo exit = vector.entries.empty() ? exits[i] : in.unit->run_one(step.request);
      if (!step.observed) {
        if (exit.exit_code != spec::svm::exit_code::vmmcall)
          throw MachineFailure(fmt::format("the plan's first VMRUN ended in #VMEXIT {:#x}, not at its VMMCALL", exit.exit_code));
        continue;
      }
      const model::Operation& op = step.operation;
      Observation o;
      o.ran = true;
      o.rip = exit.rip;
      if (!exit.entered) {  // the L1's own commands (INVLPGA, a store to guest memory) complete
        o.event = model::Event::completed();
        for (const auto& e : vector.entries) o.entries_after.emplace_back(e.physical, in.machine->read_ram64(e.physical));
        result.observations.push_back(std::move(o));
        continue;
      }
      namespace code = spec::svm::exit_code;
      if (exit.exit_code == code::vmmcall ||
          (exit.exit_code >= code::exception0 && exit.exit_code < code::exception0 + 32)) {
        // The guest's VMMCALL, or an intercepted exception (APM Vol. 2 15.12: EXITINFO1 = its
        // error code, EXITINFO2 = the faulting address for #PF).
        l1::GuestStop stop;
        stop.at_exit_call = exit.exit_code == code::vmmcall;
        stop.rip = exit.rip;
        stop.rax = exit.rax;
        stop.vector = static_cast<unsigned>(exit.exit_code - code::exception0);
        stop.error_code = exit.exit_info1;
        stop.fault_address = exit.exit_info2;
        l1::StopMeaning m = l1::meaning_of(op, step.run, stop);
        if (!m.harness_failure.empty()) throw MachineFailure(m.harness_failure);
        o.event = std::move(m.event);
      } else if (exit.exit_code == code::npf) {
        // 15.25.6. A fault on the harness's guest-physical range is the harness's, not the vector's.
        if (exit.exit_info2 >= l1::kHarnessGpaBegin && exit.exit_info2 < l1::kHarnessGpaEnd)
          throw MachineFailure(fmt::format("nested page fault on the harness's page {:#x}", exit.exit_info2));
        o.event = model::Event::svm_exit(model::kSvmExitNpf, exit.exit_info1, exit.exit_info2);
      } else if ((exit.exit_code & 0xffffffff) == 0xffffffff) {
        // VMEXIT_INVALID (-1; QEMU 7.2 leaves bits 63:32 clear, docs/qemu-svm-divergences.md
        // §3: reported as observed). Only a `vmrun` operation's own VMCB may fail.
        if (op.kind != model::OperationKind::vmrun)
          throw MachineFailure("VMRUN failed its consistency checks (#VMEXIT(INVALID)): the harness built a bad VMCB");
        o.event = model::Event::svm_exit(exit.exit_code, 0, 0);
        o.event.qualification_undefined = ~std::uint64_t{0};  // 15.5.1: EXITINFO1/2 undefined
        o.event.guest_physical = std::nullopt;
      } else {
        throw MachineFailure(fmt::format("unexpected #VMEXIT {:#x} (EXITINFO1 {:#x}, EXITINFO2 {:#x}) at RIP {:#x}", exit.exit_code,
                                         exit.exit_info1, exit.exit_info2, exit.rip));
      }
      for (const auto& e : vector.entries) o.entries_after.emplace_back(e.physical, in.machine->read_ram64(e.physical));
      result.observations.push_back(std::move(o));
    }
  } catch (const MachineFailure& e) {
    result.status = VectorResult::Status::target_error;
    result.reason = e.what();
    in.unit.reset();
    in.machine.reset();
  }
  return result;
}

}  // namespace

std::unique_ptr<Target> make_qemu_svm_target() { return std::make_unique<QemuSvmTarget>(); }

}  // namespace vtspec::conformance
