#include "conformance/qemu_platform/qemu_machine.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

namespace vtspec::conformance::qemu {
namespace detail {
extern const std::uint8_t kProxyImage[];
extern const std::size_t kProxyImageSize;
extern const std::uint8_t kProxy64Image[];
extern const std::size_t kProxy64ImageSize;
}  // namespace detail

namespace {

const char* kQemu = "qemu-system-x86_64";

Command make(std::uint32_t kind, std::uint64_t address, std::uint64_t value, std::uint64_t mask, unsigned width) {
  Command c{};
  c.kind = kind;
  c.width = width;
  c.address = address;
  c.value = value;
  c.mask = mask;
  return c;
}

std::string run_capture(const std::string& command) {
  std::string out;
  if (FILE* p = popen(command.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  return out;
}

std::string unique_path(const char* dir, const char* what) {
  static std::atomic<unsigned> counter{0};
  return fmt::format("{}/vtspec-qemu-{}-{}-{}", dir, getpid(), counter++, what);
}

}  // namespace

Command copy_command(std::uint64_t to, std::uint64_t from, std::uint64_t bytes) { return make(VT_QC_COPY, to, from, bytes, 8); }
Command fill_zero_command(std::uint64_t at, std::uint64_t bytes) { return make(VT_QC_FILL, at, 0, bytes, 8); }
Command read_cr_command(unsigned cr) { return make(VT_QC_READ_CR, cr, 0, 0, 8); }
Command set_cr_bits_command(unsigned cr, std::uint64_t bits) { return make(VT_QC_SET_CR_BITS, cr, bits, 0, 8); }
Command vmx_region_command(std::uint32_t kind, std::uint64_t region) { return make(kind, region, 0, 0, 8); }
Command vmwrite_command(std::uint32_t field, std::uint64_t value) { return make(VT_QC_VMWRITE, field, value, 0, 8); }
Command vmread_command(std::uint32_t field) { return make(VT_QC_VMREAD, field, 0, 0, 8); }
Command vmlaunch_command(std::uint64_t guest_rax, std::uint64_t guest_rbx, bool keep_host_state) {
  return make(VT_QC_VMLAUNCH, guest_rax, guest_rbx, keep_host_state ? 1 : 0, 8);
}
Command vmresume_command(std::uint64_t guest_rax, std::uint64_t guest_rbx, bool keep_host_state) {
  return make(VT_QC_VMRESUME, guest_rax, guest_rbx, keep_host_state ? 1 : 0, 8);
}
Command vmxoff_command(bool if_on) { return make(VT_QC_VMXOFF, 0, if_on ? 1 : 0, 0, 8); }
Command vmptrst_command() { return make(VT_QC_VMPTRST, 0, 0, 0, 8); }
Command vmcall_command() { return make(VT_QC_VMCALL, 0, 0, 0, 8); }
Command invept_command(std::uint64_t type, std::uint64_t eptp) { return make(VT_QC_INVEPT, type, eptp, 0, 8); }
Command invvpid_command(std::uint64_t type, std::uint16_t vpid, std::uint64_t linear) {
  return make(VT_QC_INVVPID, type, vpid, linear, 8);
}
std::span<const std::uint8_t> long_mode_proxy_image() { return {detail::kProxy64Image, detail::kProxy64ImageSize}; }

Command write_command(std::uint64_t address, std::uint64_t value, unsigned width) {
  return make(VT_QC_WRITE, address, value, 0, width);
}
Command read_command(std::uint64_t address, unsigned width) { return make(VT_QC_READ, address, 0, 0, width); }
Command poll_clear_command(std::uint64_t address, std::uint64_t mask, unsigned width) {
  return make(VT_QC_POLL_CLEAR, address, 0, mask, width);
}
Command poll_set_command(std::uint64_t address, std::uint64_t mask, unsigned width) {
  return make(VT_QC_POLL_SET, address, 0, mask, width);
}
// PCI configuration mechanism #1: bus/device/function in bits 23:8 of CONFIG_ADDRESS.
Command pci_read_command(std::uint16_t bdf, unsigned reg) {
  return make(VT_QC_PCI_READ, (std::uint64_t{bdf} << 8) | (reg & 0xfc), 0, 0, 4);
}
Command pci_write_command(std::uint16_t bdf, unsigned reg, std::uint32_t value) {
  return make(VT_QC_PCI_WRITE, (std::uint64_t{bdf} << 8) | (reg & 0xfc), value, 0, 4);
}

Command rdmsr_command(std::uint32_t msr) { return make(VT_QC_RDMSR, msr, 0, 0, 8); }
Command wrmsr_command(std::uint32_t msr, std::uint64_t value) { return make(VT_QC_WRMSR, msr, value, 0, 8); }
Command vmrun_command(std::uint64_t vmcb, std::uint64_t guest_rbx) { return make(VT_QC_VMRUN, vmcb, guest_rbx, 0, 8); }
Command invlpga_command(std::uint64_t linear, std::uint32_t asid) { return make(VT_QC_INVLPGA, linear, asid, 0, 8); }
Command cpuid_command(std::uint32_t leaf, std::uint32_t subleaf) { return make(VT_QC_CPUID, leaf, subleaf, 0, 8); }

std::string qemu_version() {
  std::string out = run_capture(fmt::format("{} --version 2>/dev/null", kQemu));
  return out.substr(0, out.find('\n'));
}

std::string qemu_unavailable_reason() {
  if (qemu_version().find("QEMU emulator") == std::string::npos)
    return fmt::format("{} is not installed (Debian package qemu-system-x86; .ci/setup-deps installs it)", kQemu);
  return {};
}

Machine::Machine(const MachineConfig& config) : config_(config) {
  try {
    start();
  } catch (...) {
    release();  // a constructor that throws runs no destructor: do not leave 1 GiB in /dev/shm
    throw;
  }
}

void Machine::start() {
  const char* shm = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  ram_path_ = unique_path(shm, "ram");
  kernel_path_ = unique_path("/tmp", "proxy.elf");
  log_path_ = unique_path("/tmp", "log");
  {
    std::ofstream k(kernel_path_, std::ios::binary);
    const bool long_mode = config_.proxy == MachineConfig::Proxy::long_mode;
    const std::uint8_t* image = long_mode ? detail::kProxy64Image : detail::kProxyImage;
    const std::size_t size = long_mode ? detail::kProxy64ImageSize : detail::kProxyImageSize;
    k.write(reinterpret_cast<const char*>(image), static_cast<std::streamsize>(size));
    if (!k) fail("cannot write the proxy kernel to " + kernel_path_);
  }
  int fd = open(ram_path_.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ftruncate(fd, static_cast<off_t>(VT_QEMU_RAM_BYTES)) != 0) fail("cannot create guest RAM " + ram_path_);
  void* p = mmap(nullptr, VT_QEMU_RAM_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) fail("cannot map guest RAM " + ram_path_);
  ram_ = static_cast<std::uint8_t*>(p);

  std::vector<std::string> args = {
      kQemu, "-accel", config_.accel, "-M", "q35,memory-backend=ram0", "-m", fmt::format("{}M", VT_QEMU_RAM_BYTES >> 20),
      "-object", fmt::format("memory-backend-file,id=ram0,size={},mem-path={},share=on", VT_QEMU_RAM_BYTES, ram_path_),
      "-display", "none", "-serial", "none", "-monitor", "none", "-no-reboot", "-nodefaults", "-kernel", kernel_path_};
  if (config_.icount) {
    args.push_back("-icount");
    args.push_back(fmt::format("shift={},sleep=off", config_.icount_shift));
  }
  if (!config_.cpu.empty()) {
    args.push_back("-cpu");
    args.push_back(config_.cpu);
  }
  for (const auto& d : config_.devices) {
    args.push_back("-device");
    args.push_back(d);
  }
  pid_t pid = fork();
  if (pid < 0) fail("fork failed");
  if (pid == 0) {
    int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(log, 1);
    dup2(log, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(kQemu, argv.data());
    _exit(127);
  }
  pid_ = pid;
  auto deadline = std::chrono::steady_clock::now() + config_.boot_timeout;
  while (__atomic_load_n(&mailbox()->magic, __ATOMIC_ACQUIRE) != VT_QEMU_MAILBOX_MAGIC) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      fail("QEMU exited before the proxy was ready");
    }
    if (std::chrono::steady_clock::now() > deadline) fail("the proxy was not ready within the boot timeout");
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  seq_ = mailbox()->guest_seq;
}

Machine::~Machine() { release(); }

void Machine::release() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
  if (ram_) munmap(ram_, VT_QEMU_RAM_BYTES);
  ram_ = nullptr;
  for (std::string* path : {&ram_path_, &kernel_path_, &log_path_}) {
    if (!path->empty()) unlink(path->c_str());
    path->clear();
  }
}

vt_qemu_mailbox* Machine::mailbox() { return reinterpret_cast<vt_qemu_mailbox*>(ram_ + VT_QEMU_MAILBOX); }

std::string Machine::log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void Machine::fail(const std::string& why) {
  std::string text = why;
  if (!log_path_.empty()) {
    std::string l = log();
    if (l.size() > 600) l = "..." + l.substr(l.size() - 600);
    if (!l.empty()) text += "; QEMU said: " + l;
  }
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  throw MachineFailure(text);
}

void Machine::run(std::span<Command> commands) {
  if (pid_ <= 0) throw MachineFailure("the QEMU machine is not running");
  vt_qemu_mailbox* box = mailbox();
  for (std::size_t at = 0; at < commands.size(); at += VT_QEMU_MAX_COMMANDS) {
    std::size_t n = std::min<std::size_t>(VT_QEMU_MAX_COMMANDS, commands.size() - at);
    std::memcpy(box->commands, commands.data() + at, n * sizeof(Command));
    box->count = static_cast<std::uint32_t>(n);
    box->poll_limit = 2'000'000;  // each poll iteration is VT_QEMU_POLL_DELAY instructions and one device read
    __atomic_store_n(&box->host_seq, ++seq_, __ATOMIC_RELEASE);
    auto deadline = std::chrono::steady_clock::now() + config_.command_timeout;
    for (unsigned spin = 0; __atomic_load_n(&box->guest_seq, __ATOMIC_ACQUIRE) != seq_; ++spin) {
      if (std::chrono::steady_clock::now() > deadline) fail("the guest did not finish a command list within the timeout (hung)");
      if (spin % 1024 == 1023) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          fail("QEMU exited while running a command list");
        }
      }
      if (spin > 64) std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
    std::memcpy(commands.data() + at, box->commands, n * sizeof(Command));
  }
}

Command Machine::run_one(Command command) {
  run(std::span<Command>(&command, 1));
  return command;
}

void Machine::write_ram(std::uint64_t gpa, std::span<const std::uint8_t> bytes) {
  if (gpa + bytes.size() > VT_QEMU_RAM_BYTES || gpa + bytes.size() < gpa) fail("write beyond guest RAM");
  std::memcpy(ram_ + gpa, bytes.data(), bytes.size());
}
std::uint64_t Machine::read_ram64(std::uint64_t gpa) const {
  std::uint64_t v = 0;
  if (gpa + 8 <= VT_QEMU_RAM_BYTES) std::memcpy(&v, ram_ + gpa, 8);
  return v;
}
void Machine::write_ram64(std::uint64_t gpa, std::uint64_t value) {
  if (gpa + 8 > VT_QEMU_RAM_BYTES) fail("write beyond guest RAM");
  std::memcpy(ram_ + gpa, &value, 8);
}

}  // namespace vtspec::conformance::qemu
