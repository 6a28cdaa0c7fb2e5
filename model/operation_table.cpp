#include "model/operation_table.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace vtspec::model {

namespace {

// The YAML keys of Operation::vmcb's slots (VmcbField's order): VMCB field names of APM Vol. 2
// Tables B-1 and B-2 (cs_attrib: the CS attribute word; intercept_misc2: the intercept word at
// 010h, VMRUN = bit 0).
constexpr const char* kVmcbKeys[kVmcbFields] = {"efer",           "cr0",          "cr3",          "cr4",
                                                "dr6",            "dr7",          "cs_attrib",    "intercept_misc2",
                                                "iopm_base_pa",   "msrpm_base_pa", "event_injection"};
std::size_t vmcb_slot(Member m) {
  const auto i = static_cast<std::size_t>(m) - static_cast<std::size_t>(Member::vmcb_efer);
  if (i >= kVmcbFields) throw std::logic_error("not a VMCB member");
  return i;
}

constexpr std::uint64_t kNoFlush = std::uint64_t{1} << 63;  // SDM Vol. 3A 4.10.4.1

// ---- Fields shared by several rows -------------------------------------------------------
Field va(Presence presence = Presence::required) {
  return {.key = "va", .member = Member::linear, .syntax = Syntax::linear, .presence = presence};
}
Field size(std::uint64_t fallback, Render render) {
  return {.key = "size", .member = Member::size, .syntax = Syntax::choice, .fallback = fallback, .render = render,
          .choices = {1, 2, 4, 8}, .range = "size is 1, 2, 4 or 8"};
}
// SDM Vol. 3A 4.6: CPL 3 makes user-mode accesses, CPL 0-2 supervisor-mode ones.
Field cpl() {
  return {.key = "cpl", .member = Member::cpl, .syntax = Syntax::choice, .choices = {0, 1, 2, 3}, .range = "cpl is 0..3"};
}
// SDM Vol. 3A 4.6: accesses to the GDT, LDT, IDT, TSS (and others) are supervisor-mode
// whatever the CPL ("implicit supervisor-mode accesses").
Field implicit() {
  return {.key = "implicit", .member = Member::implicit, .syntax = Syntax::boolean, .render = Render::unless_fallback};
}
Field value(Syntax syntax = Syntax::number, const char* reg = nullptr) {
  return {.key = "value", .member = Member::value, .syntax = syntax, .presence = Presence::required, .reg = reg};
}
Field pcid(Member member = Member::pcid, Render render = Render::always) {
  return {.key = "pcid", .member = member, .syntax = Syntax::number, .render = render, .max = 0xfff,
          .range = "a PCID is 12 bits"};
}
Field vpid() {
  return {.key = "vpid", .member = Member::vpid, .syntax = Syntax::number, .max = 0xffff, .range = "a VPID is 16 bits"};
}
Field eptp() { return {.key = "eptp", .member = Member::eptp, .syntax = Syntax::number}; }
Field type(std::vector<std::uint64_t> choices, const char* range) {
  return {.key = "type", .member = Member::type, .syntax = Syntax::choice, .presence = Presence::required,
          .choices = std::move(choices), .range = range};
}
// VT-d invalidation granularity, in the register encoding (CCMD.CIRG, IOTLB_REG.IIRG).
Field granularity(const char* range) {
  return {.key = "granularity", .member = Member::type, .syntax = Syntax::choice, .presence = Presence::required,
          .choices = {1, 2, 3}, .range = range};
}

// ---- Descriptions --------------------------------------------------------------------------
std::string access_suffix(const Operation& op) {
  return fmt::format(", CPL {}{}", op.access.cpl, op.access.implicit_supervisor ? ", implicit supervisor-mode" : "");
}
std::string describe_read(const Operation& op) {
  return fmt::format("read {} bytes at {:#x}", op.size, op.access.linear) + access_suffix(op);
}
std::string describe_write(const Operation& op) {
  return fmt::format("write {} bytes {:#x} at {:#x}", op.size, op.value, op.access.linear) + access_suffix(op);
}
std::string describe_fetch(const Operation& op) { return fmt::format("fetch at {:#x}", op.access.linear) + access_suffix(op); }
std::string describe_store(const Operation& op) {
  return fmt::format("store {:#x} to the entry at {:#x}", op.value, op.address);
}
std::string describe_invlpg(const Operation& op) { return fmt::format("INVLPG {:#x}", op.address); }
std::string describe_cr3(const Operation& op) {
  return fmt::format("MOV CR3 <- {:#x}{}", op.value, (op.value & kNoFlush) ? " (no-flush)" : "");
}
std::string describe_cr4(const Operation& op) { return fmt::format("MOV CR4 <- {:#x}", op.value); }
std::string describe_cr0(const Operation& op) { return fmt::format("MOV CR0 <- {:#x}", op.value); }
std::string describe_efer(const Operation& op) { return fmt::format("WRMSR IA32_EFER <- {:#x}", op.value); }
std::string describe_pkru(const Operation& op) { return fmt::format("WRPKRU <- {:#x}", op.value); }
std::string describe_invpcid(const Operation& op) {
  return op.type == 0 ? fmt::format("INVPCID type 0, PCID {:#x}, address {:#x}", op.pcid, op.address)
                      : fmt::format("INVPCID type {}, PCID {:#x}", op.type, op.pcid);
}
std::string describe_invvpid(const Operation& op) {
  return op.type == 0 ? fmt::format("INVVPID type 0, VPID {}, address {:#x}", op.vpid, op.address)
                      : fmt::format("INVVPID type {}, VPID {}", op.type, op.vpid);
}
std::string describe_invept(const Operation& op) { return fmt::format("INVEPT type {}, EPTP {:#x}", op.type, op.eptp); }
std::string describe_vm_entry(const Operation& op) { return fmt::format("VM entry, VPID {}, EPTP {:#x}", op.vpid, op.eptp); }
std::string describe_vm_exit(const Operation&) { return "VM exit"; }
std::string at_cpl(const Operation& op) { return op.access.cpl ? fmt::format(" at CPL {}", op.access.cpl) : ""; }
std::string describe_vmx_address(const Operation& op) {
  return fmt::format("{} {:#x}{}", op.kind == OperationKind::vmxon ? "VMXON" : op.kind == OperationKind::vmclear ? "VMCLEAR" : "VMPTRLD",
                     op.address, at_cpl(op));
}
std::string describe_vmx_plain(const Operation& op) {
  const char* name = op.kind == OperationKind::vmxoff     ? "VMXOFF"
                     : op.kind == OperationKind::vmptrst  ? "VMPTRST"
                     : op.kind == OperationKind::vmlaunch ? "VMLAUNCH"
                     : op.kind == OperationKind::vmresume ? "VMRESUME"
                                                          : "VMCALL";
  return name + at_cpl(op);
}
std::string describe_vmread(const Operation& op) { return fmt::format("VMREAD {:#x}{}", op.field, at_cpl(op)); }
std::string describe_vmwrite(const Operation& op) {
  return fmt::format("VMWRITE {:#x} <- {:#x}{}", op.field, op.value, at_cpl(op));
}

std::string describe_dma(const Operation& op) {
  return op.kind == OperationKind::dma_read
             ? fmt::format("DMA read of {} bytes at {:#x} by {:#06x}", op.size, op.address, op.source_id)
             : fmt::format("DMA write of {} bytes {:#x} at {:#x} by {:#06x}", op.size, op.value, op.address, op.source_id);
}
const char* granularity_name(const Operation& op) {
  return op.type == 1 ? "global" : op.type == 2 ? "domain-selective" : op.kind == OperationKind::invalidate_iotlb ? "page-selective" : "device-selective";
}
std::string describe_context_invalidation(const Operation& op) {
  return fmt::format("{} context-cache invalidation{}", granularity_name(op),
                     op.type == 1 ? "" : op.type == 2 ? fmt::format(", DID {}", op.domain_id)
                                                      : fmt::format(", DID {}, source {:#06x}", op.domain_id, op.source_id));
}
std::string describe_iotlb_invalidation(const Operation& op) {
  return fmt::format("{} IOTLB invalidation{}", granularity_name(op),
                     op.type == 1 ? "" : op.type == 2 ? fmt::format(", DID {}", op.domain_id)
                                                      : fmt::format(", DID {}, address {:#x}, AM {}, IH {}", op.domain_id, op.address,
                                                                    op.address_mask, op.hint ? 1 : 0));
}

std::string describe_invlpga(const Operation& op) { return fmt::format("INVLPGA {:#x}, ASID {}", op.address, op.asid); }
std::string describe_vmrun(const Operation& op) {
  std::string set;
  for (std::size_t i = 0; i < kVmcbFields; ++i)
    if (op.vmcb[i] != kVmcbAsBuilt) set += fmt::format(", {} {:#x}", kVmcbKeys[i], op.vmcb[i]);
  if (op.clean_bits) set += fmt::format(", clean bits {:#x}", op.clean_bits);
  return fmt::format("#VMEXIT, VMRUN with ASID {}, TLB_CONTROL {}{}", op.asid, op.type, set);
}

// ---- CPU needs -----------------------------------------------------------------------------
void cr4_needs(const Operation& op, const CpuFeatures& cpu, CpuNeeds& needs) { touch_cr4_features(op.value, cpu, needs); }
void invpcid_needs(const Operation&, const CpuFeatures& cpu, CpuNeeds& needs) { needs.touch(Feature::invpcid, cpu); }
// SDM Vol. 4 IA32_EFER: NXE exists only with CPUID.80000001H:EDX.NX [bit 20].
void efer_needs(const Operation& op, const CpuFeatures& cpu, CpuNeeds& needs) {
  if (op.value & efer::nxe) needs.touch(Feature::nx, cpu);
}
// SDM Vol. 2B WRPKRU: needs CPUID.(EAX=07H,ECX=0H):ECX.PKU [bit 3] (and CR4.PKE = 1).
void pkru_needs(const Operation&, const CpuFeatures& cpu, CpuNeeds& needs) { needs.touch(Feature::pku, cpu); }

// ---- Rules between fields ------------------------------------------------------------------
std::string write_fits(const Operation& op, std::string& key) {
  if (op.size < 8 && (op.value >> (8 * op.size))) {
    key = "value";
    return fmt::format("does not fit in {} bytes", op.size);
  }
  return {};
}

// VT-d 10.4.7: a global context-cache invalidation names no domain or source; a
// domain-selective one no source.
std::string context_invalidation_fits(const Operation& op, std::string& key) {
  if (op.type == 1 && op.domain_id) return (key = "did"), "a global invalidation names no domain";
  if (op.type != 3 && op.source_id) return (key = "source"), "only a device-selective invalidation names a source";
  return {};
}
// VT-d 10.4.8: a global IOTLB invalidation names no domain; IVA_REG.ADDR is aligned to the
// 2^AM pages AM selects (10.4.8.2: "software must ensure" it; hardware behaviour is undefined
// otherwise, so vectors do not go there).
std::string iotlb_invalidation_fits(const Operation& op, std::string& key) {
  if (op.type == 1 && op.domain_id) return (key = "did"), "a global invalidation names no domain";
  if (op.type != 3 && (op.address_mask || op.hint)) return (key = op.hint ? "ih" : "am"), "only a page-selective invalidation takes am and ih";
  if (op.type == 3 && (op.address & ((std::uint64_t{0x1000} << op.address_mask) - 1)))
    return (key = "iova"), fmt::format("not aligned to the 2^{} pages AM = {} invalidates", op.address_mask, op.address_mask);
  return {};
}
// VMRUN refuses guest ASID 0 (AMD64 APM Vol. 2 15.5.1: "ASID is equal to zero" is a
// consistency-check failure): a vector's VMRUN names a guest's ASID.
// A DMA stays inside one 4 KiB page (the edu engine and the model translate one page).
std::string dma_fits(const Operation& op, std::string& key) {
  if ((op.address & 0xfff) + op.size > 0x1000) return (key = "iova"), "the DMA crosses a 4 KiB page boundary";
  return write_fits(op, key);
}

std::vector<OperationRow> build_table() {
  using K = OperationKind;
  using A = spec::AccessKind;
  std::vector<OperationRow> t;
  t.push_back({.name = "read", .kind = K::access, .access = A::read,
               .fields = {va(), size(8, Render::always), cpl(), implicit()},
               .sdm = "Vol. 3A 4.6", .describe = describe_read});
  t.push_back({.name = "write", .kind = K::access, .access = A::write,
               .fields = {va(), size(8, Render::always), cpl(), implicit(), value()},
               .sdm = "Vol. 3A 4.6", .describe = describe_write, .check = write_fits});
  // A fetch executes the bytes at `va` (vectors place a RET there); its size is one byte.
  t.push_back({.name = "fetch", .kind = K::access, .access = A::fetch,
               .fields = {va(), size(1, Render::never), cpl()},
               .sdm = "Vol. 3A 4.6", .describe = describe_fetch});
  t.push_back({.name = "store_entry", .kind = K::store_entry,
               .fields = {{.key = "gpa", .member = Member::gpa, .syntax = Syntax::physical,
                           .presence = Presence::required, .alternative = "entry"},
                          value()},
               .sdm = "Vol. 3A 4.10.4", .describe = describe_store});
  t.push_back({.name = "invlpg", .kind = K::invlpg, .fields = {va()}, .sdm = "Vol. 3A 4.10.4.1",
               .describe = describe_invlpg});
  t.push_back({.name = "mov_cr3", .kind = K::mov_cr3,
               .fields = {value(Syntax::cr3), pcid(Member::cr3_pcid, Render::never),
                          {.key = "no_flush", .member = Member::cr3_no_flush, .syntax = Syntax::boolean,
                           .render = Render::unless_fallback}},
               .sdm = "Vol. 3A 4.10.4.1", .describe = describe_cr3});
  t.push_back({.name = "mov_cr4", .kind = K::mov_cr4, .fields = {value(Syntax::reg, "cr4")}, .sdm = "Vol. 3A 2.5",
               .describe = describe_cr4, .needs = cr4_needs});
  t.push_back({.name = "mov_cr0", .kind = K::mov_cr0, .fields = {value(Syntax::reg, "cr0")}, .sdm = "Vol. 3A 2.5",
               .describe = describe_cr0});
  t.push_back({.name = "wrmsr_efer", .kind = K::wrmsr_efer, .fields = {value(Syntax::reg, "efer")},
               .sdm = "Vol. 4 IA32_EFER", .describe = describe_efer, .needs = efer_needs});
  t.push_back({.name = "wrpkru", .kind = K::wrpkru,
               .fields = {{.key = "value", .member = Member::value, .syntax = Syntax::number,
                           .presence = Presence::required, .max = 0xffffffff, .range = "PKRU is 32 bits"}},
               .sdm = "Vol. 2B WRPKRU", .describe = describe_pkru, .needs = pkru_needs});
  t.push_back({.name = "invpcid", .kind = K::invpcid,
               .fields = {type({0, 1, 2, 3}, "INVPCID types are 0..3 (SDM Vol. 2B INVPCID)"), pcid(),
                          va(Presence::individual_address)},
               .sdm = "Vol. 2B INVPCID", .describe = describe_invpcid, .needs = invpcid_needs});
  t.push_back({.name = "invvpid", .kind = K::invvpid,
               .fields = {type({0, 1, 2, 3}, "INVVPID types are 0..3 (SDM Vol. 3C 31.3 INVVPID)"), vpid(),
                           va(Presence::individual_address)},
               .vmx = true, .sdm = "Vol. 3C 29.4.3.3", .describe = describe_invvpid});
  t.push_back({.name = "invept", .kind = K::invept,
               .fields = {type({1, 2}, "INVEPT types are 1 and 2 (SDM Vol. 3C 31.3 INVEPT)"), eptp()},
               .vmx = true, .sdm = "Vol. 3C 29.4.3.3", .describe = describe_invept});
  t.push_back({.name = "vm_entry", .kind = K::vm_entry, .fields = {vpid(), eptp()}, .vmx = true,
               .sdm = "Vol. 3C 27", .describe = describe_vm_entry});
  t.push_back({.name = "vm_exit", .kind = K::vm_exit, .vmx = true, .sdm = "Vol. 3C 28",
               .describe = describe_vm_exit});
  // The VMX instructions (SDM Vol. 3C 31.3), each at an optional CPL.
  const Field vmx_cpl = {.key = "cpl", .member = Member::cpl, .syntax = Syntax::choice, .render = Render::unless_fallback,
                         .choices = {0, 1, 2, 3}, .range = "cpl is 0..3"};
  const Field region = {.key = "address", .member = Member::gpa, .syntax = Syntax::number,
                        .presence = Presence::required, .range = "a physical address"};
  const Field component = {.key = "field", .member = Member::field, .syntax = Syntax::number,
                           .presence = Presence::required, .range = "a VMCS component encoding"};
  for (auto [name, kind] : {std::pair{"vmxon", K::vmxon}, std::pair{"vmclear", K::vmclear}, std::pair{"vmptrld", K::vmptrld}})
    t.push_back({.name = name, .kind = kind, .fields = {region, vmx_cpl}, .vmx = true, .sdm = "Vol. 3C 31.3",
                 .describe = describe_vmx_address});
  for (auto [name, kind] : {std::pair{"vmxoff", K::vmxoff}, std::pair{"vmptrst", K::vmptrst},
                            std::pair{"vmlaunch", K::vmlaunch}, std::pair{"vmresume", K::vmresume},
                            std::pair{"vmcall", K::vmcall}})
    t.push_back({.name = name, .kind = kind, .fields = {vmx_cpl}, .vmx = true, .sdm = "Vol. 3C 31.3",
                 .describe = describe_vmx_plain});
  t.push_back({.name = "vmread", .kind = K::vmread, .fields = {component, vmx_cpl}, .vmx = true, .sdm = "Vol. 3C 31.3",
               .describe = describe_vmread});
  t.push_back({.name = "vmwrite", .kind = K::vmwrite, .fields = {component, value(), vmx_cpl}, .vmx = true,
               .sdm = "Vol. 3C 31.3", .describe = describe_vmwrite});
  // DMA remapping (Intel VT-d 3.4.3, 6.5.1, 10.4.7, 10.4.8).
  const Field source = {.key = "source", .member = Member::source_id, .syntax = Syntax::number, .presence = Presence::required,
                        .max = 0xffff, .range = "a source id is 16 bits (bus << 8 | device << 3 | function)"};
  const Field iova = {.key = "iova", .member = Member::iova, .syntax = Syntax::number, .presence = Presence::required,
                      .range = "a device address"};
  const Field did = {.key = "did", .member = Member::domain_id, .syntax = Syntax::number, .render = Render::unless_fallback,
                     .max = 0xffff, .range = "a domain id is 16 bits"};
  t.push_back({.name = "dma_read", .kind = K::dma_read, .fields = {source, iova, size(8, Render::always)}, .iommu = true,
               .sdm = "VT-d 3.4.3", .describe = describe_dma, .check = dma_fits});
  t.push_back({.name = "dma_write", .kind = K::dma_write, .fields = {source, iova, size(8, Render::always), value()},
               .iommu = true, .sdm = "VT-d 3.4.3", .describe = describe_dma, .check = dma_fits});
  Field optional_source = source;
  optional_source.presence = Presence::optional;
  optional_source.render = Render::unless_fallback;
  t.push_back({.name = "invalidate_context_cache", .kind = K::invalidate_context_cache,
               .fields = {granularity("granularity is 1 (global), 2 (domain) or 3 (device) (VT-d 10.4.7 CIRG)"), did,
                          optional_source},
               .iommu = true, .sdm = "VT-d 6.5.1.1", .describe = describe_context_invalidation,
               .check = context_invalidation_fits});
  Field page_iova = iova;
  page_iova.presence = Presence::page_selective;
  t.push_back({.name = "invalidate_iotlb", .kind = K::invalidate_iotlb,
               .fields = {granularity("granularity is 1 (global), 2 (domain) or 3 (page) (VT-d 10.4.8.1 IIRG)"), did,
                          page_iova,
                          {.key = "am", .member = Member::address_mask, .syntax = Syntax::number,
                           .render = Render::unless_fallback, .max = 0x3f, .range = "AM is 6 bits (VT-d 10.4.8.2)"},
                          {.key = "ih", .member = Member::hint, .syntax = Syntax::boolean, .render = Render::unless_fallback}},
               .iommu = true, .sdm = "VT-d 6.5.1.2", .describe = describe_iotlb_invalidation,
               .check = iotlb_invalidation_fits});
  // AMD-V (AMD64 APM Vol. 2 15.16). A guest ASID is 1 .. 2^32 - 1: VMRUN refuses ASID 0, the
  // host's (15.5.1), and the operand of INVLPGA is ECX. TLB_CONTROL 00h, 01h, 03h and 07h are
  // defined (15.16.1); the others are reserved.
  const Field asid = {.key = "asid", .member = Member::asid, .syntax = Syntax::number, .presence = Presence::required,
                      .max = 0xffffffff, .range = "an ASID is 32 bits"};
  t.push_back({.name = "invlpga", .kind = K::invlpga, .fields = {va(), asid}, .svm = true, .sdm = "AMD64 APM Vol. 2 15.16.2",
               .describe = describe_invlpga});
  std::vector<Field> vmrun_fields = {
      asid, {.key = "tlb_control", .member = Member::type, .syntax = Syntax::choice, .render = Render::always,
             .choices = {0, 1, 3, 7},
             .range = "TLB_CONTROL is 0 (nothing), 1 (every ASID), 3 (this guest) or 7 (this guest, non-global) "
                      "(AMD64 APM Vol. 2 15.16.1)"}};
  // VMCB clean bits (15.15.3): only the ASID group's is modelled. The other groups that bear
  // on translations (NP: nCR3; CRx: CR0/CR3/CR4/EFER) would let the processor keep values
  // that the VMCB fields below replace for one VMRUN only; the grammar refuses them.
  vmrun_fields.push_back({.key = "vmcb_clean", .member = Member::clean_bits, .syntax = Syntax::choice,
                          .render = Render::unless_fallback, .choices = {0, 4},
                          .range = "VMCB clean bits: 0, or 0x4 (the ASID group, AMD64 APM Vol. 2 15.15.3), the one clean "
                                   "bit vtspec models"});
  // The VMCB fields VMRUN's consistency checks read, each optional: absent, the L1 builds it.
  for (std::size_t i = 0; i < kVmcbFields; ++i)
    vmrun_fields.push_back({.key = kVmcbKeys[i], .member = static_cast<Member>(static_cast<std::size_t>(Member::vmcb_efer) + i),
                            .syntax = Syntax::number, .fallback = kVmcbAsBuilt, .render = Render::unless_fallback,
                            .max = kVmcbAsBuilt - 1,
                            .range = "a VMCB value (all ones is not one: it stands for the L1's own value)"});
  t.push_back({.name = "vmrun", .kind = K::vmrun, .fields = vmrun_fields, .svm = true,
               .sdm = "AMD64 APM Vol. 2 15.5.1, 15.16.1", .describe = describe_vmrun});
  return t;
}

}  // namespace

std::span<const OperationRow> operation_table() {
  static const std::vector<OperationRow> table = build_table();
  return table;
}

const OperationRow* find_operation(std::string_view name) {
  for (const auto& row : operation_table())
    if (name == row.name) return &row;
  return nullptr;
}

const OperationRow& row_of(const Operation& op) {
  for (const auto& row : operation_table())
    if (row.kind == op.kind && (op.kind != OperationKind::access || row.access == op.access.kind)) return row;
  throw std::logic_error("operation kind missing from the operation table");
}

std::string operation_names(bool with_vmx) {
  std::string out;
  for (const auto& row : operation_table())
    if (with_vmx || !row.vmx) out += std::string(out.empty() ? "" : ", ") + row.name;
  return out;
}

Operation make_operation(const OperationRow& row) {
  Operation op;
  op.kind = row.kind;
  op.access.kind = row.access;
  for (const auto& f : row.fields) set_member(op, f.member, f.fallback);
  return op;
}

std::vector<Operation> ability_examples() {
  std::vector<Operation> out;
  for (const auto& row : operation_table()) {
    Operation op = make_operation(row);
    if (row.kind != OperationKind::access) {
      out.push_back(op);
      // The VMX instructions take a CPL (31.3: #GP(0) above 0).
      if (std::any_of(row.fields.begin(), row.fields.end(), [](const Field& f) { return f.member == Member::cpl; }))
        for (unsigned cpl = 1; cpl < 4; ++cpl) {
          op.access.cpl = cpl;
          out.push_back(op);
        }
      continue;
    }
    for (unsigned cpl = 0; cpl < 4; ++cpl)
      for (bool implicit : {false, true})
        for (std::uint64_t linear : {0x400000ull, 0xffff800000400000ull}) {  // both halves
          op.access.cpl = cpl;
          op.access.implicit_supervisor = implicit;
          op.access.linear = linear;
          out.push_back(op);
        }
  }
  return out;
}

std::string set_member(Operation& op, Member member, std::uint64_t v) {
  const bool is_access = op.kind == OperationKind::access;
  switch (member) {
    case Member::linear: (is_access ? op.access.linear : op.address) = v; break;
    case Member::size: op.size = static_cast<unsigned>(v); break;
    case Member::cpl: op.access.cpl = static_cast<unsigned>(v); break;
    case Member::implicit: op.access.implicit_supervisor = v != 0; break;
    case Member::value: op.value = v; break;
    case Member::cr3_pcid:
      if (v && (op.value & 0xfff)) return "give the PCID in value or in pcid, not both";
      op.value |= v;
      break;
    case Member::cr3_no_flush:
      if (v) op.value |= kNoFlush;  // absent or false: bit 63 as the value gives it
      break;
    case Member::gpa: op.address = v; break;
    case Member::pcid: op.pcid = v; break;
    case Member::type: op.type = static_cast<unsigned>(v); break;
    case Member::vpid: op.vpid = v; break;
    case Member::eptp: op.eptp = v; break;
    case Member::field: op.field = v; break;
    case Member::iova: op.address = v; break;
    case Member::source_id: op.source_id = static_cast<std::uint16_t>(v); break;
    case Member::domain_id: op.domain_id = v; break;
    case Member::address_mask: op.address_mask = static_cast<unsigned>(v); break;
    case Member::hint: op.hint = v != 0; break;
    case Member::asid: op.asid = v; break;
    case Member::clean_bits: op.clean_bits = v; break;
    default: op.vmcb[vmcb_slot(member)] = v; break;
  }
  return {};
}

std::uint64_t get_member(const Operation& op, Member member) {
  switch (member) {
    case Member::linear: return op.kind == OperationKind::access ? op.access.linear : op.address;
    case Member::size: return op.size;
    case Member::cpl: return op.access.cpl;
    case Member::implicit: return op.access.implicit_supervisor;
    case Member::value: return op.value;
    case Member::cr3_pcid: return op.value & 0xfff;
    case Member::cr3_no_flush: return (op.value & kNoFlush) != 0;
    case Member::gpa: return op.address;
    case Member::pcid: return op.pcid;
    case Member::type: return op.type;
    case Member::vpid: return op.vpid;
    case Member::eptp: return op.eptp;
    case Member::field: return op.field;
    case Member::iova: return op.address;
    case Member::source_id: return op.source_id;
    case Member::domain_id: return op.domain_id;
    case Member::address_mask: return op.address_mask;
    case Member::hint: return op.hint;
    case Member::asid: return op.asid;
    case Member::clean_bits: return op.clean_bits;
    default: return op.vmcb[vmcb_slot(member)];
  }
  return 0;
}

}  // namespace vtspec::model
