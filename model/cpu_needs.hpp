// What a vector needs from the target that runs it, derived from its initial state and its
// operations, so that nobody has to write `requires:` by hand (a hand-written list still adds
// to it):
//   - the exact MAXPHYADDR of its virtual CPU (every reserved-bit and CR3 rule depends on it,
//     SDM Vol. 3A 4.5.4, Table 4-20);
//   - each CPU feature the vector *touches*, with the value its virtual CPU has. A feature is
//     touched when the state enables it (a CR4 bit, EFER.NXE, a 1-GByte mapping) or an
//     operation exercises it (MOV CR4 setting its bit, INVPCID, WRMSR EFER.NXE, WRPKRU). A
//     touched feature must match on the target; an untouched one cannot change an outcome;
//   - the guest abilities its operations need (operation kinds and variants, e.g. "read at
//     CPL 1"), which a target may lack (conformance/capabilities.hpp).
// The runner compares these needs with a target's capabilities (conformance/runner).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>

#include "model/machine_state.hpp"
#include "model/operation.hpp"

namespace vtspec::model {

struct CpuNeeds {
  unsigned maxphyaddr = kMinMaxPhyAddr;
  std::map<Feature, bool> features;   // touched feature -> present in the vector's virtual CPU
  std::set<std::string> abilities;    // what the target's guest must be able to execute
  // DMA vectors: the remapping unit (an IommuSettings profile) the target must provide, and
  // the host-physical range [memory_begin, memory_end) the state's memory occupies (frames
  // written, by the state or by a later store_entry), which a target must be able to place as given.
  std::string iommu_profile;
  std::uint64_t memory_begin = 0, memory_end = 0;
  // A guest under EPT (vtspec/vector/2): the EPT capabilities of its virtual CPU
  // (IA32_VMX_EPT_VPID_CAP, SDM Vol. 3C A.10, with its MAXPHYADDR), which every EPT rule
  // depends on; a target must build exactly these.
  std::optional<spec::EptCapabilities> ept;
  // An AMD-V guest under nested paging (vtspec/vector/3): SVM with NP (CPUID Fn8000_000A_EDX
  // bit 0, AMD64 APM Vol. 2 15.25.3), and the host's EFER.NXE at VMRUN that the nested
  // regime takes (15.25.5).
  bool nested_paging = false;
  bool nested_host_nxe = true;
  // A VMX L1 (vtspec/vector/4): the VMX capability MSRs of its virtual CPU (SDM Vol. 3C
  // Appendix A, with its MAXPHYADDR), on which every VMX instruction and VM-entry rule
  // depends; a target must have exactly these.
  std::optional<spec::vmx::VmxCapabilities> vmx;

  // Record that `feature` is touched; it must then be as `cpu` has it.
  void touch(Feature feature, const CpuFeatures& cpu) { features[feature] = cpu.has(feature); }
};

// The features whose enable bits a CR4 value sets (SDM Vol. 3A 2.5: CR4.SMEP, SMAP, PKE,
// PKS, LA57, PCIDE are reserved without the CPUID feature).
void touch_cr4_features(std::uint64_t cr4, const CpuFeatures& cpu, CpuNeeds& needs);

// The needs of one operation on a CPU `cpu`: its ability and the "CPU needs" column of the
// operation table (model/operation_table.hpp).
void add_operation_needs(const Operation& operation, const CpuFeatures& cpu, CpuNeeds& needs);

// Everything `operations` on `initial` need.
CpuNeeds cpu_needs(const MachineState& initial, std::span<const Operation> operations);

}  // namespace vtspec::model
