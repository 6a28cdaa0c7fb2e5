// AMD-V on a QEMU machine booted with the long-mode proxy (MachineConfig::Proxy::long_mode,
// -cpu max): the host side of an L1 hypervisor, typed. It turns SVM on (EFER.SVME and
// VM_HSAVE_PA, AMD64 APM Vol. 2 15.4 and 15.30.4), lays VMCBs out in guest RAM from a typed
// description (offsets: spec/svm/vmcb_layout.hpp), runs batches of VMRUNs through the proxy
// and decodes each #VMEXIT from the VMCB. What the guest's page tables and nested page tables
// say is the caller's (they are in guest RAM, Machine::ram()).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "conformance/qemu_platform/qemu_machine.hpp"

namespace vtspec::conformance::qemu {

// The VMCB fields vtspec sets (everything else is 0).
struct VmcbSetup {
  // Control area (APM Vol. 2 Table B-1).
  std::uint32_t intercept_exceptions = 0xffffffff;  // every exception exits: #PF gives EXITINFO1/2
  std::uint32_t intercept_misc1 = (1u << 24) | (1u << 31);  // HLT, shutdown
  std::uint32_t intercept_misc2 = (1u << 0) | (1u << 1);    // VMRUN (15.5.1 requires it), VMMCALL
  std::uint32_t asid = 1;
  std::uint8_t tlb_control = 1;  // 15.16.1: 1 flushes every ASID's entries
  std::uint32_t clean_bits = 0;  // 15.15.3 (each request has its own VMCB page: a processor ignores them)
  bool nested_paging = true;
  std::uint64_t ncr3 = 0;
  // State-save area (Table B-2).
  std::uint64_t cr0 = 0x80010011, cr3 = 0, cr4 = 0x20, efer = 0x1d00, rflags = 0x2, rip = 0, rsp = 0, rax = 0;
  unsigned cpl = 0;  // CS, SS, DS and ES get DPL = cpl; CS is a 64-bit code segment
  // Fields only VMRUN's consistency checks look at (15.5.1): their defaults pass them.
  std::uint64_t dr6 = 0xffff0ff0, dr7 = 0x400, iopm_base = 0, msrpm_base = 0;
  std::uint32_t event_injection = 0;
  std::uint16_t cs_attrib = 0x29b;  // CS's attribute word: code, accessed, readable, L = 1 (DPL from cpl)
  std::uint16_t cs_attrib_set = 0;  // bits ORed into CS's attributes (e.g. D = bit 10)
};

// One #VMEXIT, read back from the VMCB (exit code and information, Table B-1; the guest's
// RAX and RIP, Table B-2) and the guest's RBX from the proxy.
struct VmExitInfo {
  bool entered = false;  // the request ran VMRUN (else only its host commands ran)
  std::uint64_t exit_code = 0, exit_info1 = 0, exit_info2 = 0, exit_int_info = 0;
  std::uint64_t rip = 0, rax = 0, rbx = 0;
};

// What the L1 hypervisor does for one step: host commands (a write to guest memory, INVLPGA),
// then - unless `enter_guest` is false - VMRUN with `vmcb`.
struct VmrunRequest {
  std::vector<Command> host_before;
  bool enter_guest = true;
  VmcbSetup vmcb;
  std::uint64_t rbx = 0;  // the guest's RBX (VMRUN does not load it)
};

class SvmUnit {
 public:
  // Sets EFER.SVME and VM_HSAVE_PA. Throws MachineFailure when the guest cannot (no SVM:
  // WRMSR #GP ends the machine).
  explicit SvmUnit(Machine& machine);

  // How many VMCBs one batch can hold (one 4 KiB page each, from VT_QEMU_SVM_VMCB).
  static std::size_t batch_capacity();
  // Runs each request (its host commands, then VMRUN with its own VMCB), in order, in one
  // command list per batch of VMCBs.
  std::vector<VmExitInfo> run(std::span<const VmrunRequest> requests);
  VmExitInfo run_one(const VmrunRequest& request);
  // CPUID as the L1 sees it: {EAX, EBX, ECX, EDX}.
  std::array<std::uint32_t, 4> cpuid(std::uint32_t leaf, std::uint32_t subleaf = 0);

 private:
  void write_vmcb(std::uint64_t at, const VmcbSetup& v);
  Machine& machine_;
};

}  // namespace vtspec::conformance::qemu
