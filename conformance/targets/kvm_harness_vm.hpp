// One KVM VM with one vCPU of a given virtual CPU, with the guest harness loaded: the vector
// window (slot 0) and the harness region with its staging area (slot 1) in the placement of
// harness::Layout. The boot shim enters long mode directly through KVM_SET_SREGS with the
// harness's GDT, IDT and TSS (SDM Vol. 3A 10.8.5 describes the architectural way; KVM lets
// the host load the end state) and the vector's CR0/CR3/CR4/EFER.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <vector>

#include "conformance/harness/encoding.hpp"
#include "conformance/targets/kvm_system.hpp"
#include "model/machine_state.hpp"

namespace vtspec::conformance {

class KvmHarnessVm {
 public:
  // Throws std::runtime_error with the failing step.
  KvmHarnessVm(const kvm::System& system, const kvm::Cpuid& cpuid, const harness::Layout& layout);

  kvm::Vcpu& vcpu() { return *vcpu_; }
  std::span<std::uint8_t> window() { return window_.bytes(); }
  std::span<std::uint8_t> region() { return region_.bytes(); }
  // Window frames the last vector left non-zero (refreshed by refresh_nonzero_frames(), which
  // must be told the frames the host itself wrote since the last refresh). KVM's dirty log of
  // the window says which frames the guest wrote, so only those and the ones non-zero before
  // are looked at; without a dirty log, every resident frame (mincore).
  const std::vector<std::uint64_t>& nonzero_frames() const { return nonzero_frames_; }
  void refresh_nonzero_frames(std::span<const std::uint64_t> host_written);

  // The special registers that start the harness with `regs`' control registers.
  kvm_sregs boot_sregs(const model::GuestRegisters& regs) const;
  // Loads boot_sregs(regs) with KVM_SET_SREGS unless the vCPU is known to have them already:
  // the last vector started with the same CR0, CR3, CR4 and EFER and could not change them
  // (forget_sregs() says it could). KVM rebuilds its shadow MMU context on every such load,
  // so skipping the identical ones saves more than the ioctl. False when KVM rejects them.
  bool boot(const model::GuestRegisters& regs);
  void forget_sregs() { booted_.reset(); }

 private:
  std::unique_ptr<kvm::Vm> vm_;
  std::unique_ptr<kvm::Vcpu> vcpu_;
  kvm::GuestMemory window_, region_;
  kvm_sregs base_sregs_{};
  std::vector<std::uint64_t> nonzero_frames_;
  bool dirty_log_ = false;
  std::optional<std::array<std::uint64_t, 4>> booted_;  // CR0, CR3, CR4, EFER of the last boot
};

}  // namespace vtspec::conformance
