// One step of a guest program as the model and every target understand it. Vectors are
// lists of these; the processor model (model/processor) gives each its architectural effect, and the
// guest harness (conformance/harness) executes each as real instructions. Which members
// each kind uses, how it is written in YAML, described and what it needs from the CPU is
// the operation table (model/operation_table.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "model/translation.hpp"

namespace vtspec::model {

enum class OperationKind : std::uint8_t {
  access,          // read / write / fetch at a linear address (AccessRequest + size + value)
  store_entry,     // guest store of `value` to the paging-structure entry at guest-physical `address`
  invlpg,          // INVLPG `address` (SDM Vol. 3A 4.10.4.1)
  mov_cr3,         // MOV to CR3 with `value` (bit 63 = no-flush when CR4.PCIDE = 1)
  mov_cr4,         // MOV to CR4 with `value`
  mov_cr0,         // MOV to CR0 with `value`
  wrmsr_efer,      // WRMSR to IA32_EFER (MSR C0000080H) with `value`
  wrpkru,          // WRPKRU with `value` (EAX; ECX = EDX = 0)
  invpcid,         // INVPCID type `type` (0-3) for `pcid` / `address`
  invvpid,         // INVVPID type `type` (0-3) for `vpid` / `address`
  invept,          // INVEPT type `type` (1-2) for `eptp`
  vm_entry,        // VM entry with `vpid` (0 = VPIDs off) and `eptp` (0 = EPT off)
  vm_exit,         // VM exit
  // The VMX instructions (SDM Vol. 3C 31.3), executed at `access.cpl` in the current VMX
  // context (model/processor/vmx_state.hpp); their outcome is the processor's last event.
  vmxon,           // VMXON with the VMXON region at physical `address`
  vmxoff,          // VMXOFF
  vmclear,         // VMCLEAR of the VMCS region at `address`
  vmptrld,         // VMPTRLD of the VMCS region at `address`
  vmptrst,         // VMPTRST (the event's value is the current-VMCS pointer)
  vmread,          // VMREAD of the component `field` (the event's value)
  vmwrite,         // VMWRITE of `value` to the component `field`
  vmlaunch,        // VMLAUNCH: the VM-entry checks of chapter 27, then VM entry
  vmresume,        // VMRESUME
  vmcall,          // VMCALL
  // DMA remapping (Intel VT-d), in vectors with an `iommu:` state section: a device's DMA
  // request through the remapping unit, and the register-based invalidations of VT-d 6.5.1.
  dma_read,                  // device `source_id` reads `size` bytes at device address `address`
  dma_write,                 // device `source_id` writes `value` (`size` bytes) at `address`
  invalidate_context_cache,  // CCMD_REG: granularity `type` (1 global, 2 domain, 3 device), `domain_id`, `source_id`
  invalidate_iotlb,          // IOTLB_REG: granularity `type` (1 global, 2 domain, 3 page), `domain_id`,
                             // page-selective `address`, `address_mask`, `hint`
  // AMD-V, in vectors whose guest runs under nested paging (the state's `npt:`): what the L1
  // hypervisor does between two of the guest's operations (AMD64 APM Vol. 2 15.16).
  invlpga,  // INVLPGA: the TLB mapping of linear `address` in ASID `asid` (15.16.2)
  vmrun,    // #VMEXIT, then VMRUN of the same guest with guest ASID `asid` and TLB_CONTROL `type` (15.16.1)
};

// VMRUN: the VMCB fields a vector may set instead of the L1 hypervisor's own values (the
// ones AMD64 APM Vol. 2 15.5.1's consistency checks read; model/vmrun_input.hpp builds the
// rest). kVmcbAsBuilt in a slot: the L1's value.
enum class VmcbField : std::uint8_t {
  efer, cr0, cr3, cr4, dr6, dr7, cs_attrib, intercept_misc2, iopm_base, msrpm_base, event_injection, count
};
inline constexpr std::size_t kVmcbFields = static_cast<std::size_t>(VmcbField::count);
inline constexpr std::uint64_t kVmcbAsBuilt = ~std::uint64_t{0};
constexpr std::array<std::uint64_t, kVmcbFields> vmcb_as_built() {
  std::array<std::uint64_t, kVmcbFields> a{};
  for (auto& x : a) x = kVmcbAsBuilt;
  return a;
}

struct Operation {
  OperationKind kind = OperationKind::access;
  AccessRequest access;        // kind == access
  unsigned size = 8;           // access size in bytes: 1, 2, 4 or 8
  std::uint64_t value = 0;     // written value, register value (CR0/CR3/CR4/EFER/PKRU), or stored entry
  std::uint64_t address = 0;   // linear address (invlpg/invpcid/invvpid) or entry GPA (store_entry)
  unsigned type = 0;           // INVPCID / INVVPID / INVEPT type
  std::uint64_t pcid = 0;
  std::uint64_t vpid = 0;
  std::uint64_t eptp = 0;
  std::uint64_t field = 0;     // VMREAD / VMWRITE: the VMCS component encoding (25.11.2)
  std::uint16_t source_id = 0;  // DMA and device-selective invalidation: bus << 8 | device << 3 | function
  std::uint64_t domain_id = 0;  // VT-d invalidation: DID
  unsigned address_mask = 0;    // page-selective IOTLB invalidation: AM (2^AM pages)
  bool hint = false;            // page-selective IOTLB invalidation: IH (only leaves changed)
  std::uint64_t asid = 0;       // INVLPGA (ECX), VMRUN (the VMCB's guest ASID)
  std::array<std::uint64_t, kVmcbFields> vmcb = vmcb_as_built();  // VMRUN: VMCB fields set by the vector
  std::uint64_t clean_bits = 0;  // VMRUN: VMCB clean bits (APM Vol. 2 15.15.3)
};

const char* to_string(OperationKind kind);

// The operation in words, e.g. "write 8 bytes 0x1 at 0x400000, CPL 3" (its table row's).
std::string describe(const Operation& operation);

// What the guest must be able to execute for `operation`, in words a target's capabilities
// list: the operation kind, with its variant where targets differ ("read", "read at CPL 1",
// "implicit supervisor read", "invpcid", ...).
std::string ability(const Operation& operation);

}  // namespace vtspec::model
