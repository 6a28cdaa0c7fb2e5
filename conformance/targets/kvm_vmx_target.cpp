#include "conformance/targets/kvm_vmx_target.hpp"

#include <linux/kvm.h>

#include <fmt/format.h>

#include "conformance/qemu_platform/command_batch.hpp"
#include "conformance/qemu_platform/qemu_machine.hpp"
#include "conformance/targets/kvm_system.hpp"
#include "conformance/targets/vmx_l1_target.hpp"

namespace vtspec::conformance {

namespace {

// One QEMU/KVM machine, booted at the first batch and kept: its L1 enters VMX operation once
// (list 0 of the first batch); a machine that failed is dropped and the next batch boots anew.
class QemuKvmL1Machine final : public L1Machine {
 public:
  qemu::BatchOutcome run(const qemu::Batch& batch) override {
    if (!machine_) {
      qemu::MachineConfig config;
      config.proxy = qemu::MachineConfig::Proxy::long_mode;
      config.accel = "kvm";
      config.cpu = "host";
      config.icount = false;
      config.boot_timeout = std::chrono::milliseconds(60000);  // SeaBIOS under KVM
      try {
        machine_ = std::make_unique<qemu::Machine>(config);
      } catch (const qemu::MachineFailure& e) {
        qemu::BatchOutcome out;
        out.lists = batch.lists();
        out.failure = e.what();
        return out;
      }
      set_up_ = false;
    }
    qemu::BatchOutcome out = qemu::run_on_machine(*machine_, batch, set_up_ ? 1 : 0);
    if (out.failure.empty() || out.completed > 0) set_up_ = true;
    if (!out.failure.empty()) machine_.reset();
    return out;
  }

 private:
  std::unique_ptr<qemu::Machine> machine_;
  bool set_up_ = false;
};

}  // namespace

std::string nested_vmx_unavailable_reason() {
  if (std::string why = qemu::qemu_unavailable_reason(); !why.empty()) return why;
  try {
    const kvm::System kvm;
    const kvm::Cpuid cpuid = kvm.supported_cpuid();
    const kvm::CpuidEntry* basic = kvm::find(cpuid, 1);
    // CPUID.01H:ECX.VMX [bit 5] as KVM offers it to guests (SDM Vol. 3C 24.6).
    if (!basic || !((basic->ecx >> 5) & 1u))
      return "the host's KVM offers no VMX to its guests (KVM_GET_SUPPORTED_CPUID leaf 1 ECX[5] = 0; on an Intel host, "
             "kvm_intel with nested=1)";
    if (kvm.check_extension(KVM_CAP_NESTED_STATE) <= 0) return "the host's KVM has no nested state (KVM_CAP_NESTED_STATE)";
  } catch (const std::exception& e) {
    return std::string("no usable /dev/kvm: ") + e.what();
  }
  return {};
}

std::unique_ptr<Target> make_kvm_vmx_target() {
  VmxL1Platform p;
  p.target = "kvm-vmx";
  p.unavailable = [] { return nested_vmx_unavailable_reason(); };
  p.identity = {{"qemu", qemu::qemu_version()}, {"cpu", "host (KVM, nested VMX)"}};
  p.cpu = "the host's KVM (-cpu host)";
  p.machine = [] { return std::make_unique<QemuKvmL1Machine>(); };
  p.instances = 1;
  return make_vmx_l1_target(std::move(p));
}

}  // namespace vtspec::conformance
