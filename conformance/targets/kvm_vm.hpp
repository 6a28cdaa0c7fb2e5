// A thin owner of one KVM virtual machine with one vCPU, through raw /dev/kvm ioctls: the
// memslots of the harness layout, CPUID, register state, and KVM_RUN with a host timeout.
// Knows nothing about vectors; kvm_target.cpp drives it.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace vtspec::conformance {

class KvmVm {
 public:
  // Throws std::runtime_error with the failing step and errno text.
  KvmVm(std::uint64_t vector_window, std::uint64_t region_gpa, std::uint64_t region_size);
  ~KvmVm();
  KvmVm(const KvmVm&) = delete;
  KvmVm& operator=(const KvmVm&) = delete;

  // Guest memory as the host sees it.
  std::span<std::uint8_t> window() { return {window_, window_size_}; }
  std::span<std::uint8_t> region() { return {region_, region_size_}; }

  // The vector window's frames that are not zero (guest-physical addresses), found through
  // the pages the host has resident (mincore). Resident frames that are all zero are given
  // back (MADV_DONTNEED): that leaves their content, zero, unchanged, so KVM's shadow pages
  // stay consistent with guest memory.
  std::vector<std::uint64_t> nonzero_window_frames();

  kvm_sregs sregs() const;
  void set_sregs(const kvm_sregs& sregs);  // throws on rejection
  bool try_set_sregs(const kvm_sregs& sregs);
  kvm_regs regs() const;
  void set_regs(const kvm_regs& regs);

  struct Exit {
    enum class Kind { io, mmio, hlt, shutdown, fail_entry, internal_error, timeout, other } kind = Kind::other;
    std::uint16_t port = 0;
    std::uint32_t io_value = 0;
    std::uint64_t address = 0;       // MMIO address
    bool mmio_write = false;
    std::uint64_t detail = 0;        // suberror, hardware entry failure reason, exit reason
    std::vector<std::uint64_t> data; // internal error data words
  };
  // KVM_RUN until an exit the caller must see; a guest still running after `timeout_ms` is
  // stopped (timer signal to this thread + immediate_exit) and reported as timeout.
  Exit run(unsigned timeout_ms);
  // Completes an MMIO read with all-zero bytes before the next run().
  void complete_mmio_read_zero();

  // Guest CPUID as set at creation (leaf, subleaf) -> registers.
  struct CpuidEntry { std::uint32_t function, index, eax, ebx, ecx, edx; };
  const std::vector<CpuidEntry>& cpuid() const { return cpuid_; }
  int check_extension(long capability) const;
  // Where the guest CPUID came from (KVM_GET_SUPPORTED_CPUID, or the host's when that fails).
  const std::string& cpuid_source() const { return cpuid_source_; }

 private:
  void set_slot(std::uint32_t slot, std::uint64_t gpa, std::uint64_t size, void* host);
  int kvm_ = -1, vm_ = -1, vcpu_ = -1;
  kvm_run* run_ = nullptr;
  std::size_t run_size_ = 0;
  std::uint8_t* window_ = nullptr;
  std::uint64_t window_size_ = 0;
  std::uint8_t* region_ = nullptr;
  std::uint64_t region_gpa_ = 0, region_size_ = 0;
  std::vector<CpuidEntry> cpuid_;
  std::string cpuid_source_;
  void* timer_ = nullptr;  // timer_t
  bool timer_created_ = false;
};

}  // namespace vtspec::conformance
