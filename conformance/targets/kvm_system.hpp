// Thin, typed owners of KVM's file descriptors, in the style of rust-vmm's kvm-ioctls:
//   System  /dev/kvm: API version, supported CPUID, capabilities, VM creation
//   Vm      a VM fd: memory slots (set, changed and deleted at any time), vCPU creation
//   Vcpu    a vCPU fd and its kvm_run page: CPUID, registers, KVM_RUN -> a typed VcpuExit
//   GuestMemory  host memory that backs a memory slot
// Nothing here knows about vectors or the harness (kvm_target.cpp and its pipeline do).
// Errors throw std::runtime_error naming the ioctl and errno.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace vtspec::conformance::kvm {

struct CpuidEntry {
  std::uint32_t function = 0, index = 0, flags = 0;
  std::uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};
using Cpuid = std::vector<CpuidEntry>;

// Anonymous host memory (MAP_NORESERVE: untouched pages cost nothing).
class GuestMemory {
 public:
  explicit GuestMemory(std::uint64_t size);
  ~GuestMemory();
  GuestMemory(const GuestMemory&) = delete;
  GuestMemory& operator=(const GuestMemory&) = delete;
  std::span<std::uint8_t> bytes() { return {data_, size_}; }
  std::uint64_t size() const { return size_; }
  // Offsets of the 4-KByte frames that are not zero, found through the pages the host has
  // resident (mincore). Resident frames that are all zero are given back (MADV_DONTNEED):
  // their content, zero, stays the same, so a shadow MMU's view stays consistent.
  std::vector<std::uint64_t> nonzero_frames();
  // The same, but only among `candidates` (frame offsets, sorted, no duplicates): the frames
  // that can be non-zero, e.g. from a dirty log. Much cheaper than mincore over the whole
  // memory when the candidates are few.
  std::vector<std::uint64_t> nonzero_frames(std::span<const std::uint64_t> candidates);

 private:
  std::uint8_t* data_ = nullptr;
  std::uint64_t size_ = 0;
};

struct VcpuExit {
  enum class Kind { io, mmio, hlt, shutdown, fail_entry, internal_error, timeout, other } kind = Kind::other;
  std::uint16_t port = 0;
  std::uint32_t io_value = 0;
  std::uint64_t address = 0;        // MMIO address
  bool mmio_write = false;
  std::uint64_t detail = 0;         // suberror, hardware entry failure reason, exit reason
  std::vector<std::uint64_t> data;  // internal error data words
};
std::string describe(const VcpuExit& exit);

class Vcpu {
 public:
  ~Vcpu();
  Vcpu(const Vcpu&) = delete;
  Vcpu& operator=(const Vcpu&) = delete;

  void set_cpuid(const Cpuid& cpuid);  // KVM refuses a change after the first run()
  kvm_sregs sregs() const;
  bool try_set_sregs(const kvm_sregs& sregs);
  kvm_regs regs() const;
  void set_regs(const kvm_regs& regs);
  // KVM_RUN until an exit the caller must see; a guest still running after `timeout_ms` is
  // stopped (timer signal to this thread + immediate_exit) and reported as timeout.
  VcpuExit run(unsigned timeout_ms);
  // Completes an MMIO read with all-zero bytes before the next run().
  void complete_mmio_read_zero();

 private:
  friend class Vm;
  Vcpu(int fd, std::size_t run_size);
  int fd_ = -1;
  kvm_run* run_ = nullptr;
  std::size_t run_size_ = 0;
  void* timer_ = nullptr;  // timer_t
  bool timer_created_ = false;
};

class Vm {
 public:
  ~Vm();
  Vm(const Vm&) = delete;
  Vm& operator=(const Vm&) = delete;
  // Maps `memory` at guest-physical `gpa` in `slot` (replacing what the slot had); with
  // `log_dirty`, KVM logs the pages the guest writes (KVM_MEM_LOG_DIRTY_PAGES).
  void set_memory(std::uint32_t slot, std::uint64_t gpa, GuestMemory& memory, bool log_dirty = false);
  // The offsets of the pages of `slot` (of `size` bytes) the guest wrote since the last call
  // (KVM_GET_DIRTY_LOG, which also starts the next log), or nullopt if KVM refuses.
  std::optional<std::vector<std::uint64_t>> dirty_pages(std::uint32_t slot, std::uint64_t size);
  void delete_memory(std::uint32_t slot);
  std::unique_ptr<Vcpu> create_vcpu(unsigned id);

 private:
  friend class System;
  Vm(int fd, std::size_t vcpu_mmap_size) : fd_(fd), vcpu_mmap_size_(vcpu_mmap_size) {}
  int fd_ = -1;
  std::size_t vcpu_mmap_size_ = 0;
};

class System {
 public:
  System();  // opens /dev/kvm and checks the API version
  ~System();
  System(const System&) = delete;
  System& operator=(const System&) = delete;
  Cpuid supported_cpuid() const;
  int check_extension(long capability) const;
  std::unique_ptr<Vm> create_vm() const;

 private:
  int fd_ = -1;
};

// The entry for (function, index), or nullptr.
const CpuidEntry* find(const Cpuid& cpuid, std::uint32_t function, std::uint32_t index = 0);
CpuidEntry* find(Cpuid& cpuid, std::uint32_t function, std::uint32_t index = 0);

}  // namespace vtspec::conformance::kvm
