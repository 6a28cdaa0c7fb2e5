// The operation table: one row per operation a vector or a history can name, giving its
// YAML name, its fields (YAML key, which Operation member, required or not, the values it
// takes), how it is described, and what it needs from the CPU. The YAML reader and writer
// (vectors/format), the descriptions, cpu_needs() and the harness encoder
// (conformance/harness/operation_encoding.*) all go through it instead of switching on the
// kind; vectors/schema/vector-v1.schema.json is tested against it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/cpu_needs.hpp"
#include "model/operation.hpp"

namespace vtspec::model {

// The Operation member a field sets.
enum class Member : std::uint8_t {
  linear,        // access.linear for accesses, `address` for invlpg / invpcid / invvpid
  size,          // access size in bytes
  cpl,           // access.cpl
  implicit,      // access.implicit_supervisor
  value,
  cr3_pcid,      // MOV CR3: ORed into value bits 11:0
  cr3_no_flush,  // MOV CR3: value bit 63 (SDM Vol. 3A 4.10.4.1)
  gpa,           // `address` as a guest-physical address (store_entry)
  pcid,
  type,
  vpid,
  eptp,
  field,         // a VMCS component encoding (VMREAD / VMWRITE)
  iova,          // `address` as a device (DMA input) address: translated by the IOMMU, not the CPU
  source_id,     // a PCI requester id (DMA, device-selective invalidation)
  domain_id,     // a VT-d domain id
  address_mask,  // IVA_REG.AM
  hint,          // IVA_REG.IH
  asid,          // an AMD-V guest ASID
  // VMRUN: one VMCB field each, in VmcbField's order (Operation::vmcb)
  vmcb_efer, vmcb_cr0, vmcb_cr3, vmcb_cr4, vmcb_dr6, vmcb_dr7, vmcb_cs_attrib, vmcb_intercept_misc2, vmcb_iopm_base,
  vmcb_msrpm_base, vmcb_event_injection,
  clean_bits,    // VMRUN: the VMCB clean bits
};

// How a field's value is written. The YAML layer reads it and makes the checks that need
// the machine state (canonical addresses, MAXPHYADDR).
enum class Syntax : std::uint8_t {
  number,    // a number, at most `max`
  choice,    // one of `choices`
  boolean,   // true / false
  linear,    // a linear address, canonical for the paging mode (SDM Vol. 3A 3.3.7.1)
  physical,  // a guest-physical address below MAXPHYADDR, 8-byte aligned; or, with
             // `alternative`, the name of an entry under the vector's `entries:`
  cr3,       // a CR3 value: bit 63 = no-flush, every other bit below MAXPHYADDR
  reg,       // a register value: a number or a list of `reg`'s flag names (as in `registers:`)
};

enum class Presence : std::uint8_t {
  required,
  optional,
  individual_address,  // required for type 0 (individual-address invalidation), refused otherwise
  page_selective,      // required for type 3 (VT-d page-selective invalidation), refused otherwise
};

// When the writer puts a field out.
enum class Render : std::uint8_t { always, unless_fallback, never };

struct Field {
  const char* key;
  Member member;
  Syntax syntax;
  Presence presence = Presence::optional;
  std::uint64_t fallback = 0;           // the member's value when the field is absent
  Render render = Render::always;
  std::vector<std::uint64_t> choices = {};  // Syntax::choice
  std::uint64_t max = ~std::uint64_t{0};  // Syntax::number
  const char* reg = nullptr;            // Syntax::reg: cr0, cr4, efer
  const char* alternative = nullptr;    // Syntax::physical: a key naming the address by entry name
  const char* range = nullptr;          // the rule in words, for errors ("a PCID is 12 bits")
};

struct OperationRow {
  const char* name;  // the `op:` value
  OperationKind kind;
  spec::AccessKind access = spec::AccessKind::read;  // rows of kind access
  std::vector<Field> fields = {};
  // VMX operations need a VMX context (histories); vtspec/vector/1 vectors have none.
  bool vmx = false;
  // DMA-remapping operations need the vector's `iommu:` section (a remapping unit and devices).
  bool iommu = false;
  // AMD-V operations need a guest under nested paging (the vector's `npt:` section).
  bool svm = false;
  const char* sdm = "";
  std::string (*describe)(const Operation&) = nullptr;
  // Features the operation touches, beyond its ability (CpuNeeds::abilities).
  void (*needs)(const Operation&, const CpuFeatures&, CpuNeeds&) = nullptr;
  // Rules between fields, once all are set: empty, or the error and the key it names.
  std::string (*check)(const Operation&, std::string& key) = nullptr;
};

std::span<const OperationRow> operation_table();
const OperationRow* find_operation(std::string_view name);
const OperationRow& row_of(const Operation& operation);
// "read, write, fetch, ...": the names of the rows (without VMX ones unless `with_vmx`).
std::string operation_names(bool with_vmx);

// A new operation of `row` with every field at its fallback.
Operation make_operation(const OperationRow& row);
// One operation for each ability a vector can need (model::ability): every row and, for the
// accesses, each CPL 0-3, implicit supervisor-mode or not, in the lower and the upper half.
// Targets say what they can run by going through these.
std::vector<Operation> ability_examples();
// Set / read one member. set_member returns an error in words, empty when the value fits.
std::string set_member(Operation& operation, Member member, std::uint64_t value);
std::uint64_t get_member(const Operation& operation, Member member);

}  // namespace vtspec::model
