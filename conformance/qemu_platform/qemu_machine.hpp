// One QEMU 7.2 TCG machine driven from the host: q35, the devices a test or vector names,
// RAM as a shared file the host maps (so the host writes guest memory and reads DMA results
// directly), and the proxy kernel (guest/proxy.c) that runs the host's MMIO / PCI command
// lists through the mailbox (mailbox_abi.h). A thin typed owner, like the KVM target's
// KvmSystem: it starts QEMU, runs command lists with a deadline, and kills QEMU when it is
// destroyed or hangs.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "conformance/qemu_platform/mailbox_abi.h"

namespace vtspec::conformance::qemu {

// QEMU hung, exited or refused to start; `what()` says which, with the end of its log.
struct MachineFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct MachineConfig {
  // -device lines beyond the q35 board, e.g. "intel-iommu,aw-bits=39", "edu,addr=0x4".
  std::vector<std::string> devices;
  // Virtual time per instruction is 2^shift ns (-icount shift=N,sleep=off). edu completes
  // a DMA on a 100 ms virtual-clock timer; at shift 10 a polling proxy reaches it after
  // about 100,000 instructions instead of 100 ms of real time.
  unsigned icount_shift = 10;
  // Which build of the proxy to boot (mailbox_abi.h): flat 32-bit (VT-d) or long mode (the
  // AMD-V L1 hypervisor), and the CPU model ("" = QEMU's default; "max" offers SVM with NPT
  // under TCG). Virtual time (-icount) only matters for edu's DMA timer.
  enum class Proxy { flat32, long_mode } proxy = Proxy::flat32;
  std::string cpu;
  bool icount = true;
  // The accelerator: "tcg", or "kvm" (the host's KVM; with -cpu host a KVM that offers VMX
  // to its guests makes the long-mode proxy a VMX L1, conformance/targets/kvm_vmx_target.hpp).
  std::string accel = "tcg";
  std::chrono::milliseconds boot_timeout{10000};
  std::chrono::milliseconds command_timeout{5000};
};

using Command = vt_qemu_command;
Command write_command(std::uint64_t address, std::uint64_t value, unsigned width = 8);
Command read_command(std::uint64_t address, unsigned width = 8);
Command poll_clear_command(std::uint64_t address, std::uint64_t mask, unsigned width = 8);
Command poll_set_command(std::uint64_t address, std::uint64_t mask, unsigned width = 8);
Command pci_read_command(std::uint16_t bdf, unsigned reg);
Command pci_write_command(std::uint16_t bdf, unsigned reg, std::uint32_t value);
Command rdmsr_command(std::uint32_t msr);
Command wrmsr_command(std::uint32_t msr, std::uint64_t value);
Command vmrun_command(std::uint64_t vmcb, std::uint64_t guest_rbx);
Command invlpga_command(std::uint64_t linear, std::uint32_t asid);
Command cpuid_command(std::uint32_t leaf, std::uint32_t subleaf = 0);
Command copy_command(std::uint64_t to, std::uint64_t from, std::uint64_t bytes);
Command fill_zero_command(std::uint64_t at, std::uint64_t bytes);
Command read_cr_command(unsigned cr);
Command set_cr_bits_command(unsigned cr, std::uint64_t bits);
// The VMX commands (mailbox_abi.h): VMXON/VMCLEAR/VMPTRLD take the region's physical address.
Command vmx_region_command(std::uint32_t kind, std::uint64_t region);
Command vmwrite_command(std::uint32_t field, std::uint64_t value);
Command vmread_command(std::uint32_t field);
// `keep_host_state`: the VMCS's host-state area as it is (but HOST_RSP/HOST_RIP), not the proxy's.
Command vmlaunch_command(std::uint64_t guest_rax, std::uint64_t guest_rbx, bool keep_host_state = false);
Command vmresume_command(std::uint64_t guest_rax, std::uint64_t guest_rbx, bool keep_host_state = false);
// VMXOFF; `if_on`: only when the proxy is in VMX operation (a list that leaves it either way).
Command vmxoff_command(bool if_on);
Command vmptrst_command();
Command vmcall_command();
Command invept_command(std::uint64_t type, std::uint64_t eptp);
Command invvpid_command(std::uint64_t type, std::uint16_t vpid, std::uint64_t linear);

// The long-mode proxy as a multiboot ELF32 (QEMU's -kernel; the Bochs platform places its
// segments itself).
std::span<const std::uint8_t> long_mode_proxy_image();

// Whether qemu-system-x86_64 can be run here; empty when it can, otherwise why not.
std::string qemu_unavailable_reason();
// "QEMU emulator version 7.2.22 (...)", or empty.
std::string qemu_version();

class Machine {
 public:
  explicit Machine(const MachineConfig& config);  // boots; throws MachineFailure
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  // Runs `commands` in order in the guest and fills in their results. Throws MachineFailure
  // when the guest does not finish within the command timeout or QEMU exits.
  void run(std::span<Command> commands);
  Command run_one(Command command);

  // Guest RAM, [0, VT_QEMU_RAM_BYTES), shared with QEMU.
  std::span<std::uint8_t> ram() { return {ram_, VT_QEMU_RAM_BYTES}; }
  void write_ram(std::uint64_t gpa, std::span<const std::uint8_t> bytes);
  std::uint64_t read_ram64(std::uint64_t gpa) const;
  void write_ram64(std::uint64_t gpa, std::uint64_t value);
  // QEMU's process id (tests stop it to show that a hang is timed out), -1 once it is gone.
  int pid() const { return pid_; }
  // QEMU's stderr so far (its warnings name translation failures, for evidence).
  std::string log() const;

 private:
  void start();    // creates RAM and the kernel file, starts QEMU, waits for the proxy
  void release();  // kills QEMU, unmaps and removes the files (idempotent)
  [[noreturn]] void fail(const std::string& why);
  vt_qemu_mailbox* mailbox();
  MachineConfig config_;
  std::string ram_path_, kernel_path_, log_path_;
  std::uint8_t* ram_ = nullptr;
  int pid_ = -1;
  std::uint32_t seq_ = 0;
};

}  // namespace vtspec::conformance::qemu
