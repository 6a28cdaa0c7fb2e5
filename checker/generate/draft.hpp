// The generator's building blocks: a state sketched as readable YAML (registers and
// mappings, as a person would write it), and a draft vector whose expectations are filled
// in from the model. Scenario files (permission_matrix.cpp, ...) produce drafts; corpus.cpp
// groups them into files.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "vectors/format/vector.hpp"

namespace vtspec::generate {

// Guest-physical layout every generated vector uses. Targets own guest-physical memory at
// and above 1 GiB and PML4 entry 511 (conformance/harness/harness_abi.h), so vectors stay below.
inline constexpr std::uint64_t kRoot = 0x1000;            // the initial PML4
inline constexpr std::uint64_t kTablesAt = 0x100000;      // paging structures the loader allocates
inline constexpr std::uint64_t kDataAt = 0x1000000;       // data pages
// Vectors whose outcome does not depend on MAXPHYADDR use the architectural minimum, so that
// every host can build their virtual CPU (model/virtual_cpu.hpp); the reserved-bit family
// comes at several values (reserved_bits.cpp).
inline constexpr unsigned kMaxPhyAddr = 36;

// The 8 bytes at the start of data page `pa`: distinct per page, and low byte 0xc3 (RET), so a
// fetch there returns to the harness.
inline constexpr std::uint64_t data_value(std::uint64_t pa) { return 0x7673000000000000ull | pa | 0xc3; }

struct StateSketch {
  std::vector<std::string> features = {"maxphyaddr: 36"};
  std::vector<std::string> cr0 = {"PE", "PG", "WP"};
  std::vector<std::string> cr4 = {"PAE"};
  std::vector<std::string> efer = {"LME", "LMA", "NXE"};
  bool ac = false;
  std::uint64_t pkru = 0;
  std::uint64_t cr3 = 0;  // 0: the root
  std::uint64_t root = kRoot;
  std::uint64_t tables_at = kTablesAt;
  std::vector<std::string> mappings;  // each a YAML flow mapping or shorthand line
  std::vector<std::pair<std::uint64_t, std::uint64_t>> writes;  // raw u64 writes (guest-physical)
  // DMA vectors: the `iommu:` section as a YAML flow mapping, and no CPU paging (`cpu`
  // false: no registers or paging sections; the CPU takes no part).
  std::string iommu;
  bool cpu = true;
  // vtspec/vector/2: a guest under EPT. `ept_eptp` is the state's `ept.eptp` as a YAML flow
  // mapping (empty: no EPT), `ept_caps` its `ept.caps` (empty: the defaults), and `ept_map`
  // the EPT mappings (host-physical tables from `ept_tables_at`).
  std::string ept_eptp;
  std::string ept_caps;
  std::uint64_t ept_tables_at = 0;
  std::vector<std::string> ept_map;
  // vtspec/vector/3: an AMD-V guest under nested paging: the state's `npt:` as a YAML flow
  // mapping (empty: none). Its guest and nested tables are all `host_writes` (hpa words);
  // a guest under EPT may have host_writes too (pages only the EPT maps).
  std::string npt;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> host_writes;
  // vtspec/vector/4: a VMX L1. `vmx` is the state's `vmx:` section, its lines indented by two
  // (empty: none); its memory is `host_writes`, and it has no paging section.
  std::string vmx;

  void data_page(std::uint64_t pa) { writes.emplace_back(pa, data_value(pa)); }
  std::string yaml() const;
};

struct Draft {
  vectors::Vector vector;
  StateSketch state;
  // Convenience builders for operations.
  void read(std::uint64_t va, unsigned cpl, unsigned size = 8);
  void write(std::uint64_t va, unsigned cpl, std::uint64_t value, unsigned size = 8);
  void fetch(std::uint64_t va, unsigned cpl);
  void store_entry(std::uint64_t gpa, std::uint64_t value);
  void invlpg(std::uint64_t va);
  void mov_cr3(std::uint64_t value, bool no_flush = false);
  void mov_cr4(std::uint64_t value) { control(model::OperationKind::mov_cr4, value); }
  // An operation whose one operand is `value`: mov_cr4, mov_cr0, wrmsr_efer, wrpkru.
  void control(model::OperationKind kind, std::uint64_t value);
  void invpcid(unsigned type, std::uint64_t pcid, std::uint64_t va = 0);
  // AMD-V (vtspec/vector/3): the guest's hypervisor's INVLPGA, and a VMRUN of the guest with
  // guest ASID `asid` and TLB_CONTROL `tlb_control` (AMD64 APM Vol. 2 15.16).
  void invlpga(std::uint64_t va, std::uint64_t asid);
  // `vmcb`: VMCB fields set instead of the L1's own (model::vmrun_input), for this VMRUN.
  void vmrun(std::uint64_t asid, unsigned tlb_control, const std::vector<std::pair<model::VmcbField, std::uint64_t>>& vmcb = {},
             std::uint64_t clean_bits = 0);
  // VMX (vtspec/vector/2): the guest's VMM, between two guest operations (SDM Vol. 3C 31.3
  // INVVPID, INVEPT; 27: a VM entry with VPID `vpid` and EPTP `eptp`).
  void invvpid(unsigned type, std::uint64_t vpid, std::uint64_t va = 0);
  void invept(unsigned type, std::uint64_t eptp);
  void vm_entry(std::uint64_t vpid, std::uint64_t eptp);
  // A VMX L1's instruction (vtspec/vector/4): `name` of the operation table (vmxon, vmread,
  // ...) with its region address, VMCS field encoding and value where it takes them.
  void vmx(const char* name, std::uint64_t address = 0, std::uint64_t field = 0, std::uint64_t value = 0, unsigned cpl = 0);
  void entry(const std::string& name, std::uint64_t gpa) { vector.entries.push_back({name, gpa}); }
  // DMA remapping (VT-d): a device's DMA and the register-based invalidations.
  void dma_read(std::uint16_t source, std::uint64_t iova, unsigned size = 8);
  void dma_write(std::uint16_t source, std::uint64_t iova, std::uint64_t value, unsigned size = 8);
  void invalidate_context_cache(unsigned granularity, std::uint64_t did = 0, std::uint16_t source = 0);
  void invalidate_iotlb(unsigned granularity, std::uint64_t did = 0, std::uint64_t iova = 0, unsigned am = 0, bool ih = false);
};

// The machine state a sketch describes (through the state loader).
model::MachineState load_sketch(const StateSketch& state);

// Load the draft's state and fill its expectations from the model. Throws on a bad draft.
void complete(Draft& draft);

// The name vectors give the entry at `level` (5 = "pml5e" ... 1 = "pte"): in `entries:` and in
// a mapping's `set:`/`raw:` (vectors/SCHEMA.md, Entry edits).
std::string entry_key(unsigned level);

// The guest-physical address of the paging-structure entry at `level` (4 = PML4 ... 1 = PT)
// that translates `va` in the sketched state (following present entries only).
std::uint64_t entry_address(const StateSketch& state, std::uint64_t va, unsigned level);
// Where guest-physical `gpa` lives in host-physical memory (through the sketch's EPT; the
// identity without one): the address a v2 vector's `entries:` names.
std::uint64_t host_address(const StateSketch& state, std::uint64_t gpa);

struct CorpusFile {
  std::string path;  // relative to the corpus root, e.g. "permissions/wp1-nxe1.yaml"
  std::string description;
  std::vector<Draft> drafts;
};

// Scenario families (one source file each).
std::vector<CorpusFile> permission_matrix();
std::vector<CorpusFile> accessed_dirty();
std::vector<CorpusFile> large_pages();
std::vector<CorpusFile> reserved_bits();
std::vector<CorpusFile> protection_keys();
std::vector<CorpusFile> tlb_scenarios();
std::vector<CorpusFile> control_operations();
std::vector<CorpusFile> dma_remapping();
std::vector<CorpusFile> ept_translation();
std::vector<CorpusFile> vmx_tagging();
std::vector<CorpusFile> npt_translation();
std::vector<CorpusFile> vmx_entry_checks();
std::vector<CorpusFile> vmx_instruction_errors();

// Every corpus file, completed and rendered: (relative path, text).
std::vector<std::pair<std::string, std::string>> generate_corpus();

}  // namespace vtspec::generate
