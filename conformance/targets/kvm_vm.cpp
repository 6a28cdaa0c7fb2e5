#include "conformance/targets/kvm_vm.hpp"

#include <cpuid.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace vtspec::conformance {
namespace {

std::runtime_error os_error(const std::string& what) {
  return std::runtime_error(fmt::format("{}: {}", what, std::strerror(errno)));
}

// The timeout signal: it interrupts KVM_RUN on this thread (EINTR), and sets
// immediate_exit so that a signal arriving just before KVM_RUN still stops it.
thread_local kvm_run* tl_run = nullptr;
thread_local volatile sig_atomic_t tl_timed_out = 0;
// <linux/kvm.h> declares kvm_cpuid2's entries with __DECLARE_FLEX_ARRAY, which in C++ adds
// a byte-sized empty struct: sizeof(kvm_cpuid2) becomes 12 instead of the kernel's 8, and
// with it the size encoded in KVM_GET_SUPPORTED_CPUID / KVM_SET_CPUID2. The kernel then
// does not recognise the ioctl (EINVAL). Use the kernel's numbers.
constexpr unsigned long kCpuid2HeaderSize = 8;
const unsigned long kGetSupportedCpuid = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x05, kCpuid2HeaderSize);
const unsigned long kSetCpuid2 = _IOC(_IOC_WRITE, KVMIO, 0x90, kCpuid2HeaderSize);

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

KvmVm::KvmVm(std::uint64_t vector_window, std::uint64_t region_gpa, std::uint64_t region_size)
    : window_size_(vector_window), region_gpa_(region_gpa), region_size_(region_size) {
  kvm_ = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm_ < 0) throw os_error("open /dev/kvm");
  if (ioctl(kvm_, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) throw std::runtime_error("KVM API version mismatch");
  vm_ = ioctl(kvm_, KVM_CREATE_VM, 0);
  if (vm_ < 0) throw os_error("KVM_CREATE_VM");

  window_ = static_cast<std::uint8_t*>(
      mmap(nullptr, window_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
  if (window_ == MAP_FAILED) throw os_error("mmap vector window");
  region_ = static_cast<std::uint8_t*>(
      mmap(nullptr, region_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
  if (region_ == MAP_FAILED) throw os_error("mmap harness region");
  set_slot(0, 0, window_size_, window_);
  set_slot(1, region_gpa_, region_size_, region_);

  vcpu_ = ioctl(vm_, KVM_CREATE_VCPU, 0);
  if (vcpu_ < 0) throw os_error("KVM_CREATE_VCPU");
  int size = ioctl(kvm_, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (size <= 0) throw os_error("KVM_GET_VCPU_MMAP_SIZE");
  run_size_ = static_cast<std::size_t>(size);
  void* run = mmap(nullptr, run_size_, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_, 0);
  if (run == MAP_FAILED) throw os_error("mmap kvm_run");
  run_ = static_cast<kvm_run*>(run);

  // Guest CPUID: exactly what KVM reports as supported. Bits KVM does not report are not
  // added: KVM would accept them but its MMU would not implement them (e.g. offering
  // 1-GByte pages made PDPTE.PS a reserved-bit fault in a guest whose CPUID said it has
  // them; docs/kvm-divergences.md). Should the ioctl fail, the guest gets the host's leaves
  // for paging (0, 1, 7, 0xd, 0x80000000-1, 0x80000008) minus VMX. Either way each feature
  // is probed before a vector relies on it (kvm_target.cpp).
  constexpr int kMaxEntries = 256;
  std::vector<std::uint8_t> buffer(kCpuid2HeaderSize + kMaxEntries * sizeof(kvm_cpuid_entry2));
  auto* cpuid = reinterpret_cast<kvm_cpuid2*>(buffer.data());
  auto* entries = reinterpret_cast<kvm_cpuid_entry2*>(buffer.data() + kCpuid2HeaderSize);
  cpuid->nent = kMaxEntries;
  if (ioctl(kvm_, kGetSupportedCpuid, cpuid) < 0) {
    cpuid_source_ = fmt::format("host CPUID (KVM_GET_SUPPORTED_CPUID failed: {})", std::strerror(errno));
    std::memset(buffer.data(), 0, buffer.size());
    std::uint32_t n = 0;
    auto add = [&](std::uint32_t function, std::uint32_t index, bool indexed) {
      auto& e = entries[n++];
      e.function = function;
      e.index = index;
      e.flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
      __cpuid_count(function, index, e.eax, e.ebx, e.ecx, e.edx);
      return &e;
    };
    unsigned max_basic, b, c, d, max_ext;
    __cpuid(0, max_basic, b, c, d);
    __cpuid(0x80000000, max_ext, b, c, d);
    add(0, 0, false)->eax = std::min(max_basic, 0xdu);
    auto* leaf1 = add(1, 0, false);
    leaf1->ecx &= ~(1u << 5);  // no VMX: there is no nested virtualization here
    if (max_basic >= 7) {
      auto* leaf7 = add(7, 0, true);
      for (std::uint32_t sub = 1; sub <= leaf7->eax && sub < 4; ++sub) add(7, sub, true);
    }
    if (max_basic >= 0xd)
      for (std::uint32_t sub = 0; sub < 3; ++sub) add(0xd, sub, true);
    add(0x80000000, 0, false)->eax = std::min(max_ext, 0x80000008u);
    if (max_ext >= 0x80000001) add(0x80000001, 0, false);
    if (max_ext >= 0x80000008) add(0x80000008, 0, false);
    cpuid->nent = n;
  } else {
    cpuid_source_ = "KVM_GET_SUPPORTED_CPUID";
  }
  if (ioctl(vcpu_, kSetCpuid2, cpuid) < 0) {
    // Seen on the kvm_pvm backend: every KVM_SET_CPUID2 fails with EINVAL, even an empty
    // one. The vCPU then keeps the backend's CPUID; the target reads it from inside the
    // guest (VT_FLAG_CPUID) and probes CR4 bits one by one.
    cpuid_source_ += fmt::format("; KVM_SET_CPUID2 failed ({}), the vCPU keeps the backend's CPUID", std::strerror(errno));
  } else {
    for (std::uint32_t i = 0; i < cpuid->nent; ++i) {
      const auto& e = entries[i];
      cpuid_.push_back({e.function, e.index, e.eax, e.ebx, e.ecx, e.edx});
    }
  }
  install_timeout_handler();
}

KvmVm::~KvmVm() {
  if (timer_created_) timer_delete(static_cast<timer_t>(timer_));
  if (run_) munmap(run_, run_size_);
  if (vcpu_ >= 0) close(vcpu_);
  if (vm_ >= 0) close(vm_);
  if (kvm_ >= 0) close(kvm_);
  if (window_ && window_ != MAP_FAILED) munmap(window_, window_size_);
  if (region_ && region_ != MAP_FAILED) munmap(region_, region_size_);
}

int KvmVm::check_extension(long capability) const { return ioctl(kvm_, KVM_CHECK_EXTENSION, capability); }

void KvmVm::set_slot(std::uint32_t slot, std::uint64_t gpa, std::uint64_t size, void* host) {
  kvm_userspace_memory_region region{};
  region.slot = slot;
  region.guest_phys_addr = gpa;
  region.memory_size = size;
  region.userspace_addr = reinterpret_cast<std::uint64_t>(host);
  if (ioctl(vm_, KVM_SET_USER_MEMORY_REGION, &region) < 0) throw os_error(fmt::format("KVM_SET_USER_MEMORY_REGION slot {}", slot));
}

std::vector<std::uint64_t> KvmVm::nonzero_window_frames() {
  constexpr std::uint64_t kPage = 4096;
  std::vector<unsigned char> resident(window_size_ / kPage);
  if (mincore(window_, window_size_, resident.data()) < 0) throw os_error("mincore vector window");
  static const std::uint8_t zero[kPage] = {};
  std::vector<std::uint64_t> nonzero;
  for (std::uint64_t i = 0; i < resident.size(); ++i) {
    if (!(resident[i] & 1)) continue;
    std::uint8_t* page = window_ + i * kPage;
    if (std::memcmp(page, zero, kPage) != 0)
      nonzero.push_back(i * kPage);
    else
      madvise(page, kPage, MADV_DONTNEED);
  }
  return nonzero;
}

kvm_sregs KvmVm::sregs() const {
  kvm_sregs s{};
  if (ioctl(vcpu_, KVM_GET_SREGS, &s) < 0) throw os_error("KVM_GET_SREGS");
  return s;
}
bool KvmVm::try_set_sregs(const kvm_sregs& s) { return ioctl(vcpu_, KVM_SET_SREGS, &s) == 0; }
void KvmVm::set_sregs(const kvm_sregs& s) {
  if (!try_set_sregs(s)) throw os_error("KVM_SET_SREGS");
}
kvm_regs KvmVm::regs() const {
  kvm_regs r{};
  if (ioctl(vcpu_, KVM_GET_REGS, &r) < 0) throw os_error("KVM_GET_REGS");
  return r;
}
void KvmVm::set_regs(const kvm_regs& r) {
  if (ioctl(vcpu_, KVM_SET_REGS, &r) < 0) throw os_error("KVM_SET_REGS");
}

void KvmVm::complete_mmio_read_zero() { std::memset(run_->mmio.data, 0, sizeof run_->mmio.data); }

KvmVm::Exit KvmVm::run(unsigned timeout_ms) {
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

  Exit exit;
  for (;;) {
    if (ioctl(vcpu_, KVM_RUN, 0) < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        if (tl_timed_out) {
          run_->immediate_exit = 0;
          exit.kind = Exit::Kind::timeout;
          return exit;
        }
        run_->immediate_exit = 0;
        continue;
      }
      throw os_error("KVM_RUN");
    }
    switch (run_->exit_reason) {
      case KVM_EXIT_IO: {
        exit.kind = Exit::Kind::io;
        exit.port = run_->io.port;
        std::uint32_t value = 0;
        std::memcpy(&value, reinterpret_cast<std::uint8_t*>(run_) + run_->io.data_offset,
                    std::min<std::size_t>(run_->io.size, sizeof value));
        exit.io_value = value;
        return exit;
      }
      case KVM_EXIT_MMIO:
        exit.kind = Exit::Kind::mmio;
        exit.address = run_->mmio.phys_addr;
        exit.mmio_write = run_->mmio.is_write;
        return exit;
      case KVM_EXIT_HLT: exit.kind = Exit::Kind::hlt; return exit;
      case KVM_EXIT_SHUTDOWN: exit.kind = Exit::Kind::shutdown; return exit;
      case KVM_EXIT_FAIL_ENTRY:
        exit.kind = Exit::Kind::fail_entry;
        exit.detail = run_->fail_entry.hardware_entry_failure_reason;
        return exit;
      case KVM_EXIT_INTERNAL_ERROR:
        exit.kind = Exit::Kind::internal_error;
        exit.detail = run_->internal.suberror;
        for (std::uint32_t i = 0; i < run_->internal.ndata && i < 16; ++i) exit.data.push_back(run_->internal.data[i]);
        return exit;
      case KVM_EXIT_INTR:
        if (tl_timed_out) {
          exit.kind = Exit::Kind::timeout;
          return exit;
        }
        continue;
      default:
        exit.kind = Exit::Kind::other;
        exit.detail = run_->exit_reason;
        return exit;
    }
  }
}

}  // namespace vtspec::conformance
