#include "conformance/targets/vmx_l1_target.hpp"

#include <algorithm>
#include <cstdlib>
#include <future>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "conformance/qemu_platform/vmx_unit.hpp"
#include "conformance/runner/skip_decision.hpp"
#include "conformance/targets/vmx_l1_plan.hpp"
#include "conformance/targets/vmx_root_plan.hpp"
#include "model/operation_table.hpp"
#include "spec/vmx/vmx_capabilities.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::conformance {

namespace {

using qemu::Batch;
using qemu::BatchOutcome;
using qemu::Command;

constexpr std::uint64_t kPage = 0x1000;
constexpr unsigned kExitException = 0, kExitVmcall = 18, kExitPreemptionTimer = 52;  // SDM Vol. 3C Appendix C

// A vector the target runs: its plan, and where its result goes.
struct Job {
  const vectors::Vector* vector;
  vmx_l1::Plan plan;  // a guest under the vector's EPT (vtspec/vector/2)
  std::size_t result;
  std::optional<vmx_root::Plan> root;  // or the L1's own VMX instructions (vtspec/vector/4)
};

// The pages a vector's list writes: its frames, the harness's words and its stores.
std::set<std::uint64_t> pages_written(const Job& job) {
  std::set<std::uint64_t> pages;
  if (job.root) {
    for (const auto& f : job.root->frames) pages.insert(f.address);
    return pages;
  }
  const vmx_l1::Plan& plan = job.plan;
  for (const auto& f : plan.layout.frames) pages.insert(f.address);
  for (const auto& [hpa, value] : plan.layout.words) pages.insert(hpa & ~(kPage - 1));
  for (const auto& s : plan.steps)
    for (const auto& c : s.request.host_before)
      if (c.kind == VT_QC_WRITE) pages.insert(c.address & ~(kPage - 1));
  return pages;
}

class VmxL1Target final : public Target {
 public:
  explicit VmxL1Target(VmxL1Platform platform) : platform_(std::move(platform)) {}
  std::string name() const override { return platform_.target; }
  const Capabilities& capabilities() override;
  VectorResult run(const vectors::Vector& vector) override {
    const vectors::Vector* one[] = {&vector};
    return run_many(one).front();
  }
  std::vector<VectorResult> run_many(std::span<const vectors::Vector* const> vectors) override;
  std::size_t batch_size() const override { return platform_.batch_vectors * platform_.instances; }

 private:
  std::string probe();
  // Runs `jobs` in as many boots as it takes: a boot that hangs or crashes is recorded
  // against the vector it was running, and the next boot starts after it.
  void run_jobs(std::span<Job> jobs, std::vector<VectorResult>& results, L1Machine& machine) const;
  // `at`: where the list's steps begin (after the vector's memory).
  void decode(const Job& job, std::span<const Command> list, std::size_t at, VectorResult& result) const;
  VmxL1Platform platform_;
  std::optional<Capabilities> capabilities_;
  qemu::VmxProbe probe_;
};

std::string VmxL1Target::probe() {
  const std::unique_ptr<L1Machine> machine = platform_.machine();
  for (unsigned stage = 0; stage < qemu::kVmxProbeStages; ++stage) {
    std::vector<Command> list = qemu::vmx_probe_stage(stage, probe_);
    if (list.empty()) continue;
    // List 0 is the setup a machine may skip once its L1 runs: the probe's list comes second.
    Batch batch;
    batch.add_list({});
    batch.add_list(list);
    const BatchOutcome out = machine->run(batch);
    if (!out.failure.empty()) return fmt::format("{} could not be probed: {}", platform_.cpu, out.failure);
    qemu::read_vmx_probe_stage(stage, out.lists.at(1), probe_);
    if (!probe_.vmx) return fmt::format("{} has no VMX (CPUID.01H:ECX[5] = 0)", platform_.cpu);
  }
  return {};
}

const Capabilities& VmxL1Target::capabilities() {
  if (capabilities_) return *capabilities_;
  Capabilities c;
  c.identity.name = name();
  c.unavailable = platform_.unavailable();
  if (!c.unavailable.empty()) return *(capabilities_ = c);
  c.identity.details = platform_.identity;
  if (std::string why = probe(); !why.empty()) {
    c.unavailable = why;
    return *(capabilities_ = c);
  }
  const spec::vmx::VmxCapabilities& caps = probe_.caps;
  // One virtual CPU: the model's. Its MAXPHYADDR and features are what CPUID says.
  c.min_maxphyaddr = c.max_maxphyaddr = caps.maxphyaddr;
  c.maxphyaddr_limit = fmt::format("{} has MAXPHYADDR {} (CPUID.80000008H:EAX[7:0])", platform_.cpu, caps.maxphyaddr);
  for (model::Feature f : model::kAllFeatures) {
    const model::CpuidBit bit = model::cpuid_bit(f);
    const auto leaf = probe_.cpuid.find({bit.leaf, bit.subleaf});
    const bool has = leaf != probe_.cpuid.end() && ((leaf->second[bit.reg] >> bit.bit) & 1u);
    auto& s = c[f];
    s.can_have = has;
    s.can_lack = !has;
    if (!has) s.why_not_have = fmt::format("{} does not have it (CPUID)", platform_.cpu);
    else s.why_not_lack = fmt::format("{} has it (CPUID), and the L1 cannot take it away", platform_.cpu);
  }
  c.abilities.emplace();
  for (const model::Operation& o : model::ability_examples()) {
    const std::string a = model::ability(o);
    if (const auto lacks = platform_.cannot.find(a); lacks != platform_.cannot.end()) c.why_not_ability[a] = lacks->second;
    else if (vmx_l1::runs(o)) c.abilities->insert(a);
    else c.why_not_ability[a] = vmx_l1::kWhatRuns;
  }
  // The EPT features are IA32_VMX_EPT_VPID_CAP's (SDM Vol. 3C A.10); a vector whose EPT
  // capabilities differ needs another CPU.
  c.ept_capabilities = std::vector<spec::EptCapabilities>{spec::vmx::ept_capabilities(caps)};
  c.why_no_ept = fmt::format("{} has IA32_VMX_EPT_VPID_CAP {:#x}", platform_.cpu, caps.ept_vpid_cap);
  // The L1's own VMX instructions (vtspec/vector/4) run on this CPU's capability MSRs only.
  c.vmx_l1 = std::vector<spec::vmx::VmxCapabilities>{caps};
  c.why_no_vmx_l1 = fmt::format("{} has its own (the L1 cannot change them)", platform_.cpu);
  c.why_not_ability[vectors::kVmxRootException] =
      "the L1 runs without exception handlers: an exception in VMX root operation would stop it";
  c.native_guest = false;
  c.why_no_native_guest = fmt::format("the {} target runs guests under EPT only (vtspec/vector/2 ept: vectors)", name());
  c.notes.push_back(fmt::format("IA32_VMX_BASIC {:#x}, EPT_VPID_CAP {:#x}, MAXPHYADDR {}", caps.basic, caps.ept_vpid_cap,
                                caps.maxphyaddr));
  return *(capabilities_ = c);
}

void VmxL1Target::decode(const Job& job, std::span<const Command> list, std::size_t at, VectorResult& result) const {
  const vectors::Vector& vector = *job.vector;
  if (job.root) {
    for (model::Event& e : vmx_root::decode(vector, *job.root, list, at)) {
      Observation o;
      o.ran = true;
      o.event = std::move(e);
      result.observations.push_back(std::move(o));
    }
    return;
  }
  for (const auto& step : job.plan.steps) {
    const qemu::VmExitRecord e = qemu::read_vm_exit(list, at, step.request);
    if (!e.failure.empty()) throw std::runtime_error(e.failure);
    if (e.entered && e.vmfail)
      throw std::runtime_error(fmt::format("VMLAUNCH failed: {}, VM-instruction error {}: the L1 built a VMCS Bochs refuses",
                                           qemu::describe_vmx_fail(e.vmfail), e.instruction_error));
    if (e.entered && (e.exit_reason >> 31))
      throw std::runtime_error(fmt::format("VM entry failed (exit reason {:#x}, qualification {:#x}): the L1 built a bad guest state",
                                           e.exit_reason, e.qualification));
    const unsigned reason = static_cast<unsigned>(e.exit_reason & 0xffff);
    if (!step.observed) {
      if (reason != kExitVmcall)
        throw std::runtime_error(fmt::format("the plan's first VM entry ended in VM exit {} (qualification {:#x}, guest-physical "
                                             "{:#x}, guest-linear {:#x}, RIP {:#x}), not at its VMCALL",
                                             reason, e.qualification, e.guest_physical, e.guest_linear, e.rip));
      continue;
    }
    const model::Operation& op = step.operation;
    Observation o;
    o.ran = true;
    o.rip = e.rip;
    if (!e.entered) {
      o.event = model::Event::completed();  // the L1's own store
    } else if (reason == kExitVmcall || reason == kExitException) {
      // The guest's VMCALL, or an exception the exception bitmap turned into a VM exit: its
      // vector and error code in the VM-exit interruption information (SDM Vol. 3C 28.2.2),
      // the linear address of a #PF in the exit qualification (28.2.1; CR2 is not loaded).
      l1::GuestStop stop;
      stop.at_exit_call = reason == kExitVmcall;
      stop.rip = e.rip;
      stop.rax = e.rax;
      stop.vector = static_cast<unsigned>(e.interruption_info & 0xff);
      stop.error_code = (e.interruption_info >> 11) & 1 ? e.interruption_error : 0;
      stop.fault_address = e.qualification;
      l1::StopMeaning m = l1::meaning_of(op, step.run, stop);
      if (!m.harness_failure.empty()) throw std::runtime_error(m.harness_failure);
      o.event = std::move(m.event);
    } else if (reason == model::kExitEptViolation || reason == model::kExitEptMisconfig) {
      // 28.2.1, Table 28-7: the guest-linear address is valid when qualification bit 7 is 1
      // (an EPT misconfiguration has none).
      if (e.guest_physical >= l1::kHarnessGpaBegin && e.guest_physical < l1::kHarnessGpaEnd)
        throw std::runtime_error(fmt::format("EPT exit {} on the harness's page {:#x} (qualification {:#x})", reason,
                                             e.guest_physical, e.qualification));
      const bool linear = reason == model::kExitEptViolation && ((e.qualification >> 7) & 1);
      o.event = model::Event::vm_exit(reason, e.qualification, e.guest_physical,
                                      linear ? std::optional<std::uint64_t>(e.guest_linear) : std::nullopt);
    } else if (reason == kExitPreemptionTimer) {
      throw std::runtime_error(fmt::format("the guest ran until the VMX-preemption timer expired (RIP {:#x}): a stub did not come back",
                                           e.rip));
    } else {
      throw std::runtime_error(fmt::format("unexpected VM exit {} (qualification {:#x}) at RIP {:#x}", reason, e.qualification, e.rip));
    }
    for (std::size_t i = 0; i < vector.entries.size() && i < e.read_back.size(); ++i)
      o.entries_after.emplace_back(vector.entries[i].physical, e.read_back[i]);
    result.observations.push_back(std::move(o));
  }
}

void VmxL1Target::run_jobs(std::span<Job> jobs, std::vector<VectorResult>& results, L1Machine& machine) const {
  std::size_t next = 0;
  bool setup_failed = false;
  while (next < jobs.size()) {
    // One boot: the L1's setup (the BIOS's leftovers below 640 KiB cleared, VMX operation),
    // then one list per vector; each clears what the one before it wrote.
    Batch batch;
    std::vector<Command> setup = {qemu::fill_zero_command(0, 0xa0000)};
    for (const Command& c : qemu::vmx_enable_commands(probe_.caps)) setup.push_back(c);
    batch.add_list(setup);
    const std::size_t end = std::min(jobs.size(), next + platform_.batch_vectors);
    std::set<std::uint64_t> dirty;
    std::vector<std::size_t> steps_at;
    for (std::size_t j = next; j < end; ++j) {
      const vmx_l1::Plan& plan = jobs[j].plan;
      std::vector<Command> list;
      const std::set<std::uint64_t> mine = pages_written(jobs[j]);
      for (std::uint64_t page : dirty) list.push_back(qemu::fill_zero_command(page, kPage));
      if (const auto& root = jobs[j].root) {
        for (const auto& f : root->frames) list.push_back(batch.copy_in(f.address, f.bytes));
        steps_at.push_back(list.size());
        for (const auto* part : {&root->before, &root->operations, &root->after}) list.insert(list.end(), part->begin(), part->end());
        batch.add_list(std::move(list));
        dirty = mine;
        continue;
      }
      for (const auto& f : plan.layout.frames) list.push_back(batch.copy_in(f.address, f.bytes));
      for (const auto& [hpa, value] : plan.layout.words) list.push_back(qemu::write_command(hpa, value));
      steps_at.push_back(list.size());
      for (const auto& s : plan.steps) qemu::append_vm_entry(list, s.request, probe_.caps.revision());
      if (jobs[j].vector->id == platform_.hang_in_vector) list.push_back(qemu::poll_set_command(VT_L1_VMXON_REGION + 8, 1));
      batch.add_list(std::move(list));
      dirty = mine;
    }
    const BatchOutcome out = machine.run(batch);
    if (out.completed == 0 && !setup_failed) {  // the setup did not finish: no vector's fault; boot once more
      setup_failed = true;
      continue;
    }
    if (out.completed == 0) {  // twice: nothing of this boot can run
      for (std::size_t j = next; j < end; ++j) {
        results[jobs[j].result].status = VectorResult::Status::target_error;
        results[jobs[j].result].reason = "the L1 could not enter VMX operation: " + out.failure;
      }
      return;
    }
    std::size_t j = next;
    for (; j < end && j - next + 1 < out.completed; ++j) {
      VectorResult& r = results[jobs[j].result];
      try {
        decode(jobs[j], out.lists[j - next + 1], steps_at[j - next], r);
      } catch (const std::exception& e) {
        r.status = VectorResult::Status::target_error;
        r.reason = e.what();
      }
    }
    if (j < end) {  // the boot ended inside this vector's list: it is the one that hung or crashed
      VectorResult& r = results[jobs[j].result];
      r.status = VectorResult::Status::target_error;
      r.reason = out.failure.empty() ? "Bochs stopped in this vector's list" : out.failure;
      ++j;
    }
    next = j;
  }
}

std::vector<VectorResult> VmxL1Target::run_many(std::span<const vectors::Vector* const> vectors) {
  std::vector<VectorResult> results(vectors.size());
  std::vector<Job> jobs;
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    const vectors::Vector& v = *vectors[i];
    if (auto skip = skip_reason(vectors::needs_of(v), capabilities())) {
      results[i].status = VectorResult::Status::skipped;
      results[i].reason = *skip;
      continue;
    }
    if (v.initial.vmx) {
      vmx_root::Encoded encoded = vmx_root::encode_vector(v, probe_.caps);
      if (!encoded.error.empty()) {
        results[i].status = VectorResult::Status::skipped;
        results[i].reason = encoded.error;
        continue;
      }
      jobs.push_back({&v, {}, i, std::move(encoded.plan)});
      continue;
    }
    vmx_l1::Encoded encoded = vmx_l1::encode_vector(v, probe_.caps);
    if (!encoded.error.empty()) {
      results[i].status = VectorResult::Status::skipped;
      results[i].reason = encoded.error;
      continue;
    }
    jobs.push_back({&v, std::move(encoded.plan), i, std::nullopt});
  }
  // One Bochs per core: the jobs split in contiguous shares.
  const unsigned instances = static_cast<unsigned>(std::min<std::size_t>(platform_.instances, jobs.size()));
  if (instances <= 1) {
    if (!jobs.empty()) run_jobs(jobs, results, *platform_.machine());
    return results;
  }
  std::vector<std::future<void>> running;
  const std::size_t share = (jobs.size() + instances - 1) / instances;
  for (std::size_t at = 0; at < jobs.size(); at += share) {
    std::span<Job> part(jobs.data() + at, std::min(share, jobs.size() - at));
    running.push_back(std::async(std::launch::async, [this, part, &results] { run_jobs(part, results, *platform_.machine()); }));
  }
  for (auto& r : running) r.get();
  return results;
}

}  // namespace

std::unique_ptr<Target> make_vmx_l1_target(VmxL1Platform platform) { return std::make_unique<VmxL1Target>(std::move(platform)); }

}  // namespace vtspec::conformance
