#include "conformance/targets/kvm_harness_vm.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

#include "conformance/harness/harness_image.hpp"

namespace vtspec::conformance {

namespace {

constexpr std::uint32_t kWindowSlot = 0, kRegionSlot = 1;

kvm_segment code_segment(std::uint16_t selector, unsigned dpl) {
  kvm_segment s{};
  s.limit = 0xffffffff;
  s.selector = selector;
  s.type = 11;  // execute/read, accessed
  s.present = 1;
  s.dpl = static_cast<std::uint8_t>(dpl);
  s.s = 1;
  s.l = 1;  // 64-bit code (SDM Vol. 3A 5.2.1)
  s.g = 1;
  return s;
}

kvm_segment data_segment(std::uint16_t selector) {
  kvm_segment s{};
  s.limit = 0xffffffff;
  s.selector = selector;
  s.type = 3;  // read/write, accessed
  s.present = 1;
  s.db = 1;
  s.s = 1;
  s.g = 1;
  return s;
}

}  // namespace

KvmHarnessVm::KvmHarnessVm(const kvm::System& system, const kvm::Cpuid& cpuid, const harness::Layout& layout)
    : vm_(system.create_vm()), window_(layout.vector_window), region_(VT_REGION_AND_STAGING_SIZE) {
  harness::guest_info();  // a broken embedded image is a build error: say so here
  try {
    vm_->set_memory(kWindowSlot, 0, window_, true);
    dirty_log_ = vm_->dirty_pages(kWindowSlot, window_.size()).has_value();
  } catch (const std::runtime_error&) {  // no dirty logging here: scan resident frames instead
    vm_->set_memory(kWindowSlot, 0, window_);
  }
  vm_->set_memory(kRegionSlot, layout.region_gpa, region_);
  vcpu_ = vm_->create_vcpu(0);
  vcpu_->set_cpuid(cpuid);
  const auto image = harness::build_region(layout);
  std::memcpy(region_.bytes().data(), image.data(), image.size());
  base_sregs_ = vcpu_->sregs();
}

void KvmHarnessVm::refresh_nonzero_frames(std::span<const std::uint64_t> host_written) {
  std::optional<std::vector<std::uint64_t>> dirty;
  if (dirty_log_) dirty = vm_->dirty_pages(kWindowSlot, window_.size());
  if (!dirty) {
    nonzero_frames_ = window_.nonzero_frames();
    return;
  }
  constexpr std::uint64_t kPage = 4096;
  std::vector<std::uint64_t> candidates = std::move(*dirty);
  candidates.insert(candidates.end(), nonzero_frames_.begin(), nonzero_frames_.end());
  for (std::uint64_t address : host_written) candidates.push_back(address & ~(kPage - 1));
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  nonzero_frames_ = window_.nonzero_frames(candidates);
}

bool KvmHarnessVm::boot(const model::GuestRegisters& regs) {
  const kvm_sregs s = boot_sregs(regs);
  const std::array<std::uint64_t, 4> control = {s.cr0, s.cr3, s.cr4, s.efer};
  if (booted_ == control) return true;
  booted_.reset();
  if (!vcpu_->try_set_sregs(s)) return false;
  booted_ = control;
  return true;
}

kvm_sregs KvmHarnessVm::boot_sregs(const model::GuestRegisters& regs) const {
  const vt_info& info = harness::guest_info();
  kvm_sregs s = base_sregs_;
  s.cs = code_segment(VT_SEL_KERNEL_CODE, 0);
  s.ds = s.es = s.fs = s.gs = s.ss = data_segment(VT_SEL_KERNEL_DATA);
  s.tr = kvm_segment{};
  s.tr.base = info.tss;
  s.tr.limit = static_cast<std::uint32_t>(info.tss_limit);
  s.tr.selector = VT_SEL_TSS;
  s.tr.type = 11;  // busy 64-bit TSS
  s.tr.present = 1;
  s.ldt = kvm_segment{};
  s.ldt.type = 2;
  s.ldt.unusable = 1;
  s.gdt.base = info.gdt;
  s.gdt.limit = static_cast<std::uint16_t>(info.gdt_limit);
  s.idt.base = info.idt;
  s.idt.limit = static_cast<std::uint16_t>(info.idt_limit);
  s.cr0 = regs.cr0 | model::cr0::pe | model::cr0::pg | model::cr0::et;  // ET reads as 1 (Vol. 3A 2.5)
  s.cr2 = 0;
  s.cr3 = regs.cr3;
  s.cr4 = regs.cr4;
  s.efer = regs.efer | model::efer::lme | model::efer::lma;
  return s;
}

}  // namespace vtspec::conformance
