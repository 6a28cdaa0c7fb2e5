// The architectural state a translation depends on: the control registers in effect, the
// CPU's paging features, the EPT in use (the VMM's second stage, when the processor is in VMX
// non-root operation with EPT enabled) and the machine's host-physical memory. The guest's
// physical address space is a view of that memory (guest_physical()).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/address_space/guest_physical_view.hpp"
#include "model/address_space/host_physical_memory.hpp"
#include "model/rule_override.hpp"
#include "model/virtual_cpu.hpp"
#include "spec/control_registers.hpp"
#include "spec/ept_walk.hpp"
#include "spec/paging_walk.hpp"
#include "spec/vmx/vm_entry_check.hpp"
#include "spec/vmx/vmx_capabilities.hpp"

namespace vtspec::model {

// The register bits the model reads, defined once in spec/control_registers.hpp.
namespace cr0 = spec::cr0;
namespace cr3 = spec::cr3;
namespace cr4 = spec::cr4;
namespace efer = spec::efer;
namespace rflags = spec::rflags;

struct GuestRegisters {
  std::uint64_t cr0 = cr0::pe | cr0::pg | cr0::wp;
  std::uint64_t cr3 = 0;
  std::uint64_t cr4 = cr4::pae;
  std::uint64_t efer = efer::lme | efer::lma | efer::nxe;
  std::uint64_t rflags = 0x2;
  std::uint64_t pkru = 0;
  std::uint64_t pkrs = 0;
};

struct EptSettings {
  std::uint64_t eptp = 0;
  spec::EptCapabilities caps;
};

// AMD-V with nested paging (AMD64 APM Vol. 2 15.25): the guest runs after a VMRUN with
// NP_ENABLE = 1; its guest-physical addresses go through the nested page tables at nCR3, in
// the host's paging mode (4-level, the host's EFER.NXE) - the L1 harness's, for a vector.
// The guest ASID tags its TLB entries (15.16).
struct NptSettings {
  std::uint64_t ncr3 = 0;
  bool host_nxe = true;
  unsigned asid = 1;
  friend bool operator==(const NptSettings&, const NptSettings&) = default;
};

// The DMA-remapping hardware of the machine (Intel VT-d), for vectors whose operations are
// DMAs: which remapping unit (a profile of model/iommu/remapping_unit.hpp: CAP, ECAP, host
// address width), where its root table is (RTADDR_REG, 10.4.6), whether translation is
// enabled (GCMD_REG.TE, 10.4.4), how software invalidates - register-based (6.5.1) or
// through the invalidation queue (6.5.2: the same scopes per descriptor, so the same rule) -
// and the source ids of the DMA-capable devices.
struct IommuSettings {
  std::string profile;
  std::uint64_t root_table = 0;
  bool translation = true;
  bool queued_invalidation = false;
  std::vector<std::uint16_t> devices;
  friend bool operator==(const IommuSettings&, const IommuSettings&) = default;
};

// The processor as a VMX L1, whose operations are VMX instructions (vtspec/vector/4): its
// VMX capability MSRs (SDM Vol. 3C Appendix A: the virtual CPU's, from a named profile of
// model/vmx/vmx_profiles.hpp with overrides), and where it starts - outside VMX operation;
// or in VMX root operation after VMXON of the region at `vmxon` (31.3); and then, with
// `current_vmcs`, with that VMCS current and clear (VMCLEAR, VMPTRLD) and holding `vmcs`
// (as VMWRITEs of every non-zero field would leave it, 25.11.2).
struct VmxRootSettings {
  std::string profile;
  spec::vmx::VmxCapabilities caps;
  std::optional<std::uint64_t> vmxon;
  std::optional<std::uint64_t> current_vmcs;
  spec::vmx::VmcsValues<spec::Concrete> vmcs = spec::vmx::zero_vmcs();
};

struct MachineState {
  GuestRegisters regs;
  CpuFeatures features;
  std::optional<EptSettings> ept;  // present: guest-physical addresses go through EPT
  std::optional<NptSettings> npt;  // present: ... through AMD nested paging (never with ept)
  std::optional<IommuSettings> iommu;
  std::optional<VmxRootSettings> vmx;  // present: the processor is a VMX L1 (never with ept, npt)  // present: devices make DMA requests through VT-d
  HostPhysicalMemory memory;       // always host-physical; see guest_physical()
  // Mutation testing only (rule_override.hpp): null in every normal state.
  std::shared_ptr<const RuleOverride> rule_override;

  unsigned paging_levels() const { return (regs.cr4 & cr4::la57) ? 5 : 4; }
  spec::PagingShape paging_shape() const {
    spec::PagingShape s;
    s.levels = paging_levels();
    s.maxphyaddr = features.maxphyaddr;
    s.page1gb = features.page1gb;
    return s;
  }
  spec::EptShape ept_shape() const {
    spec::EptShape s;
    s.levels = spec::ept_walk_length(ept->eptp);
    s.caps = ept->caps;
    s.caps.maxphyaddr = features.maxphyaddr;
    return s;
  }
  spec::svm::NestedPagingMode nested_mode() const {
    spec::svm::NestedPagingMode m;
    m.levels = 4;
    m.maxphyaddr = features.maxphyaddr;
    m.page1gb = features.page1gb;
    m.nxe = npt->host_nxe;
    return m;
  }
  // Guest-physical memory: through EPT or nested paging when one is in use, else the identity.
  GuestPhysicalView guest_physical() const {
    if (npt) return {memory, NestedStage{nested_mode(), npt->ncr3}};
    if (!ept) return {memory, IdentityStage{}};
    return {memory, EptStage{ept_shape(), ept->eptp}};
  }
  spec::PagingControl<spec::Concrete> paging_control() const {
    spec::PagingControl<spec::Concrete> c;
    c.cr0_wp = regs.cr0 & cr0::wp;
    c.cr4_pge = regs.cr4 & cr4::pge;
    c.cr4_smep = regs.cr4 & cr4::smep;
    c.cr4_smap = regs.cr4 & cr4::smap;
    c.cr4_pke = regs.cr4 & cr4::pke;
    c.cr4_pks = regs.cr4 & cr4::pks;
    c.efer_nxe = regs.efer & efer::nxe;
    c.rflags_ac = regs.rflags & rflags::ac;
    c.pkru = regs.pkru;
    c.pkrs = regs.pkrs;
    return c;
  }
};

}  // namespace vtspec::model
