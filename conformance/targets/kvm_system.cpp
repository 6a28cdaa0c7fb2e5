#include "conformance/targets/kvm_system.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace vtspec::conformance::kvm {
namespace {

std::runtime_error os_error(const std::string& what) {
  return std::runtime_error(fmt::format("{}: {}", what, std::strerror(errno)));
}

// <linux/kvm.h> declares kvm_cpuid2's entries with __DECLARE_FLEX_ARRAY, which in C++ adds
// a byte-sized empty struct: sizeof(kvm_cpuid2) becomes 12 instead of the kernel's 8, and
// with it the size encoded in KVM_GET_SUPPORTED_CPUID / KVM_SET_CPUID2. The kernel then
// does not recognise the ioctl (EINVAL). Use the kernel's numbers and layout.
constexpr unsigned long kCpuid2HeaderSize = 8;
const unsigned long kGetSupportedCpuid = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x05, kCpuid2HeaderSize);
const unsigned long kSetCpuid2 = _IOC(_IOC_WRITE, KVMIO, 0x90, kCpuid2HeaderSize);
constexpr std::uint32_t kMaxCpuidEntries = 256;

// The timeout signal interrupts KVM_RUN on this thread (EINTR) and sets immediate_exit, so
// that a signal arriving just before KVM_RUN still stops it.
thread_local kvm_run* tl_run = nullptr;
thread_local volatile sig_atomic_t tl_timed_out = 0;

int timeout_signal() { return SIGRTMIN + 3; }

void on_timeout(int) {
  tl_timed_out = 1;
  if (tl_run) tl_run->immediate_exit = 1;
}

void install_timeout_handler() {
  static const bool installed = [] {
    struct sigaction action {};
    action.sa_handler = on_timeout;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: KVM_RUN must return
    sigaction(timeout_signal(), &action, nullptr);
    return true;
  }();
  (void)installed;
}

}  // namespace

const CpuidEntry* find(const Cpuid& cpuid, std::uint32_t function, std::uint32_t index) {
  for (const auto& e : cpuid)
    if (e.function == function && e.index == index) return &e;
  return nullptr;
}
CpuidEntry* find(Cpuid& cpuid, std::uint32_t function, std::uint32_t index) {
  for (auto& e : cpuid)
    if (e.function == function && e.index == index) return &e;
  return nullptr;
}

std::string describe(const VcpuExit& exit) {
  using Kind = VcpuExit::Kind;
  switch (exit.kind) {
    case Kind::internal_error: {
      std::string text = fmt::format("KVM_EXIT_INTERNAL_ERROR suberror {}{}", exit.detail,
                                     exit.detail == KVM_INTERNAL_ERROR_EMULATION ? " (emulation failure)" : "");
      if (!exit.data.empty()) text += fmt::format(" data {:#x}", fmt::join(exit.data, " "));
      return text;
    }
    case Kind::shutdown: return "KVM_EXIT_SHUTDOWN (triple fault)";
    case Kind::fail_entry: return fmt::format("KVM_EXIT_FAIL_ENTRY (hardware entry failure reason {:#x})", exit.detail);
    case Kind::timeout: return "timeout: the guest did not finish";
    case Kind::hlt: return "KVM_EXIT_HLT: the harness halted without reporting";
    case Kind::io: return fmt::format("unexpected port I/O exit (port {:#x})", exit.port);
    case Kind::mmio: return fmt::format("MMIO exit at {:#x}", exit.address);
    case Kind::other: return fmt::format("KVM exit reason {}", exit.detail);
  }
  return "unknown exit";
}

// ---- GuestMemory

GuestMemory::GuestMemory(std::uint64_t size) : size_(size) {
  void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw os_error(fmt::format("mmap {:#x} bytes of guest memory", size_));
  data_ = static_cast<std::uint8_t*>(p);
}

GuestMemory::~GuestMemory() {
  if (data_) munmap(data_, size_);
}

std::vector<std::uint64_t> GuestMemory::nonzero_frames() {
  constexpr std::uint64_t kPage = 4096;
  std::vector<unsigned char> resident(size_ / kPage);
  if (mincore(data_, size_, resident.data()) < 0) throw os_error("mincore guest memory");
  static const std::uint8_t zero[kPage] = {};
  std::vector<std::uint64_t> nonzero;
  for (std::uint64_t i = 0; i < resident.size(); ++i) {
    if (!(resident[i] & 1)) continue;
    std::uint8_t* page = data_ + i * kPage;
    if (std::memcmp(page, zero, kPage) != 0)
      nonzero.push_back(i * kPage);
    else
      madvise(page, kPage, MADV_DONTNEED);
  }
  return nonzero;
}

std::vector<std::uint64_t> GuestMemory::nonzero_frames(std::span<const std::uint64_t> candidates) {
  constexpr std::uint64_t kPage = 4096;
  static const std::uint8_t zero[kPage] = {};
  std::vector<std::uint64_t> nonzero;
  for (std::uint64_t frame : candidates) {
    if (frame >= size_) continue;
    std::uint8_t* page = data_ + frame;
    if (std::memcmp(page, zero, kPage) != 0)
      nonzero.push_back(frame);
    else
      madvise(page, kPage, MADV_DONTNEED);
  }
  return nonzero;
}

// ---- System

System::System() {
  fd_ = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd_ < 0) throw os_error("open /dev/kvm");
  const int version = ioctl(fd_, KVM_GET_API_VERSION, 0);
  if (version != KVM_API_VERSION) {
    const std::runtime_error error = version < 0 ? os_error("KVM_GET_API_VERSION on /dev/kvm")
                                                 : std::runtime_error(fmt::format("KVM API version {}, expected {}",
                                                                                  version, KVM_API_VERSION));
    close(fd_);
    fd_ = -1;
    throw error;
  }
}

System::~System() {
  if (fd_ >= 0) close(fd_);
}

int System::check_extension(long capability) const { return ioctl(fd_, KVM_CHECK_EXTENSION, capability); }

Cpuid System::supported_cpuid() const {
  std::vector<std::uint8_t> buffer(kCpuid2HeaderSize + kMaxCpuidEntries * sizeof(kvm_cpuid_entry2));
  auto* header = reinterpret_cast<kvm_cpuid2*>(buffer.data());
  header->nent = kMaxCpuidEntries;
  if (ioctl(fd_, kGetSupportedCpuid, header) < 0) throw os_error("KVM_GET_SUPPORTED_CPUID");
  const auto* entries = reinterpret_cast<const kvm_cpuid_entry2*>(buffer.data() + kCpuid2HeaderSize);
  Cpuid out;
  for (std::uint32_t i = 0; i < header->nent; ++i) {
    const auto& e = entries[i];
    out.push_back({e.function, e.index, e.flags, e.eax, e.ebx, e.ecx, e.edx});
  }
  return out;
}

std::unique_ptr<Vm> System::create_vm() const {
  const int vm = ioctl(fd_, KVM_CREATE_VM, 0);
  if (vm < 0) throw os_error("KVM_CREATE_VM");
  const int size = ioctl(fd_, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (size <= 0) {
    close(vm);
    throw os_error("KVM_GET_VCPU_MMAP_SIZE");
  }
  return std::unique_ptr<Vm>(new Vm(vm, static_cast<std::size_t>(size)));
}

// ---- Vm

Vm::~Vm() {
  if (fd_ >= 0) close(fd_);
}

void Vm::set_memory(std::uint32_t slot, std::uint64_t gpa, GuestMemory& memory, bool log_dirty) {
  kvm_userspace_memory_region region{};
  region.slot = slot;
  region.flags = log_dirty ? KVM_MEM_LOG_DIRTY_PAGES : 0;
  region.guest_phys_addr = gpa;
  region.memory_size = memory.size();
  region.userspace_addr = reinterpret_cast<std::uint64_t>(memory.bytes().data());
  if (ioctl(fd_, KVM_SET_USER_MEMORY_REGION, &region) < 0)
    throw os_error(fmt::format("KVM_SET_USER_MEMORY_REGION slot {} at {:#x}", slot, gpa));
}

std::optional<std::vector<std::uint64_t>> Vm::dirty_pages(std::uint32_t slot, std::uint64_t size) {
  constexpr std::uint64_t kPage = 4096;
  std::vector<std::uint64_t> bitmap((size / kPage + 63) / 64, 0);
  kvm_dirty_log log{};
  log.slot = slot;
  log.dirty_bitmap = bitmap.data();
  if (ioctl(fd_, KVM_GET_DIRTY_LOG, &log) < 0) return std::nullopt;
  std::vector<std::uint64_t> pages;
  for (std::size_t word = 0; word < bitmap.size(); ++word)
    for (std::uint64_t bits = bitmap[word]; bits; bits &= bits - 1)
      pages.push_back((word * 64 + static_cast<std::uint64_t>(__builtin_ctzll(bits))) * kPage);
  return pages;
}

void Vm::delete_memory(std::uint32_t slot) {
  kvm_userspace_memory_region region{};
  region.slot = slot;  // memory_size 0 deletes the slot
  if (ioctl(fd_, KVM_SET_USER_MEMORY_REGION, &region) < 0) throw os_error(fmt::format("delete memory slot {}", slot));
}

std::unique_ptr<Vcpu> Vm::create_vcpu(unsigned id) {
  const int fd = ioctl(fd_, KVM_CREATE_VCPU, id);
  if (fd < 0) throw os_error("KVM_CREATE_VCPU");
  return std::unique_ptr<Vcpu>(new Vcpu(fd, vcpu_mmap_size_));
}

// ---- Vcpu

Vcpu::Vcpu(int fd, std::size_t run_size) : fd_(fd), run_size_(run_size) {
  void* run = mmap(nullptr, run_size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (run == MAP_FAILED) {
    close(fd_);
    throw os_error("mmap kvm_run");
  }
  run_ = static_cast<kvm_run*>(run);
  install_timeout_handler();
}

Vcpu::~Vcpu() {
  if (timer_created_) timer_delete(static_cast<timer_t>(timer_));
  if (run_) munmap(run_, run_size_);
  if (fd_ >= 0) close(fd_);
}

void Vcpu::set_cpuid(const Cpuid& cpuid) {
  std::vector<std::uint8_t> buffer(kCpuid2HeaderSize + cpuid.size() * sizeof(kvm_cpuid_entry2), 0);
  auto* header = reinterpret_cast<kvm_cpuid2*>(buffer.data());
  header->nent = static_cast<std::uint32_t>(cpuid.size());
  auto* entries = reinterpret_cast<kvm_cpuid_entry2*>(buffer.data() + kCpuid2HeaderSize);
  for (std::size_t i = 0; i < cpuid.size(); ++i) {
    const auto& e = cpuid[i];
    entries[i].function = e.function;
    entries[i].index = e.index;
    entries[i].flags = e.flags;
    entries[i].eax = e.eax;
    entries[i].ebx = e.ebx;
    entries[i].ecx = e.ecx;
    entries[i].edx = e.edx;
  }
  if (ioctl(fd_, kSetCpuid2, header) < 0) throw os_error("KVM_SET_CPUID2");
}

kvm_sregs Vcpu::sregs() const {
  kvm_sregs s{};
  if (ioctl(fd_, KVM_GET_SREGS, &s) < 0) throw os_error("KVM_GET_SREGS");
  return s;
}
bool Vcpu::try_set_sregs(const kvm_sregs& s) { return ioctl(fd_, KVM_SET_SREGS, &s) == 0; }
kvm_regs Vcpu::regs() const {
  kvm_regs r{};
  if (ioctl(fd_, KVM_GET_REGS, &r) < 0) throw os_error("KVM_GET_REGS");
  return r;
}
void Vcpu::set_regs(const kvm_regs& r) {
  if (ioctl(fd_, KVM_SET_REGS, &r) < 0) throw os_error("KVM_SET_REGS");
}

void Vcpu::complete_mmio_read_zero() { std::memset(run_->mmio.data, 0, sizeof run_->mmio.data); }

VcpuExit Vcpu::run(unsigned timeout_ms) {
  if (!timer_created_) {
    sigevent event{};
    event.sigev_notify = SIGEV_THREAD_ID;
    event.sigev_signo = timeout_signal();
    event._sigev_un._tid = gettid();
    timer_t timer;
    if (timer_create(CLOCK_MONOTONIC, &event, &timer) < 0) throw os_error("timer_create");
    timer_ = timer;
    timer_created_ = true;
  }
  tl_run = run_;
  tl_timed_out = 0;
  run_->immediate_exit = 0;
  itimerspec arm{};
  arm.it_value.tv_sec = timeout_ms / 1000;
  arm.it_value.tv_nsec = static_cast<long>(timeout_ms % 1000) * 1000000L;
  timer_settime(static_cast<timer_t>(timer_), 0, &arm, nullptr);
  struct Disarm {
    void* timer;
    ~Disarm() {
      itimerspec off{};
      timer_settime(static_cast<timer_t>(timer), 0, &off, nullptr);
      tl_run = nullptr;
    }
  } disarm{timer_};

  VcpuExit exit;
  for (;;) {
    if (ioctl(fd_, KVM_RUN, 0) < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        run_->immediate_exit = 0;
        if (tl_timed_out) {
          exit.kind = VcpuExit::Kind::timeout;
          return exit;
        }
        continue;
      }
      throw os_error("KVM_RUN");
    }
    switch (run_->exit_reason) {
      case KVM_EXIT_IO: {
        exit.kind = VcpuExit::Kind::io;
        exit.port = run_->io.port;
        std::uint32_t value = 0;
        std::memcpy(&value, reinterpret_cast<std::uint8_t*>(run_) + run_->io.data_offset,
                    std::min<std::size_t>(run_->io.size, sizeof value));
        exit.io_value = value;
        return exit;
      }
      case KVM_EXIT_MMIO:
        exit.kind = VcpuExit::Kind::mmio;
        exit.address = run_->mmio.phys_addr;
        exit.mmio_write = run_->mmio.is_write;
        return exit;
      case KVM_EXIT_HLT: exit.kind = VcpuExit::Kind::hlt; return exit;
      case KVM_EXIT_SHUTDOWN: exit.kind = VcpuExit::Kind::shutdown; return exit;
      case KVM_EXIT_FAIL_ENTRY:
        exit.kind = VcpuExit::Kind::fail_entry;
        exit.detail = run_->fail_entry.hardware_entry_failure_reason;
        return exit;
      case KVM_EXIT_INTERNAL_ERROR:
        exit.kind = VcpuExit::Kind::internal_error;
        exit.detail = run_->internal.suberror;
        for (std::uint32_t i = 0; i < run_->internal.ndata && i < 16; ++i) exit.data.push_back(run_->internal.data[i]);
        return exit;
      case KVM_EXIT_INTR:
        if (tl_timed_out) {
          exit.kind = VcpuExit::Kind::timeout;
          return exit;
        }
        continue;
      default:
        exit.kind = VcpuExit::Kind::other;
        exit.detail = run_->exit_reason;
        return exit;
    }
  }
}

}  // namespace vtspec::conformance::kvm
