#include "checker/generate/draft.hpp"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <stdexcept>

#include <fmt/format.h>

#include "model/operation_table.hpp"
#include "spec/paging_entry.hpp"
#include "vectors/format/model_evaluation.hpp"
#include "vectors/format/state_file.hpp"

namespace vtspec::generate {

using model::Operation;
using model::OperationKind;

std::string StateSketch::yaml() const {
  std::string out = fmt::format("features: {{ {} }}\n", fmt::join(features, ", "));
  if (!iommu.empty()) out += "iommu: " + iommu + "\n";
  if (!cpu) {
    if (!writes.empty()) out += "memory:\n";
    for (const auto& [gpa, value] : writes) out += fmt::format("  - {{ hpa: {:#x}, u64: {:#x} }}\n", gpa, value);
    return out;
  }
  if (!vmx.empty()) {
    out += "registers:\n";
    out += fmt::format("  cr0: [{}]\n", fmt::join(cr0, ", "));
    out += fmt::format("  cr4: [{}]\n", fmt::join(cr4, ", "));
    out += fmt::format("  efer: [{}]\n", fmt::join(efer, ", "));
    if (!host_writes.empty()) out += "memory:\n";
    for (const auto& [hpa, value] : host_writes) out += fmt::format("  - {{ hpa: {:#x}, u64: {:#x} }}\n", hpa, value);
    return out + "vmx:\n" + vmx;
  }
  if (!npt.empty()) {
    out += "npt: " + npt + "\n";
    out += "registers:\n";
    out += fmt::format("  cr0: [{}]\n", fmt::join(cr0, ", "));
    out += fmt::format("  cr4: [{}]\n", fmt::join(cr4, ", "));
    out += fmt::format("  efer: [{}]\n", fmt::join(efer, ", "));
    if (ac) out += "  rflags: [AC]\n";
    out += fmt::format("  cr3: {:#x}\n", cr3 ? cr3 : root);
    out += "memory:\n";
    for (const auto& [hpa, value] : host_writes) out += fmt::format("  - {{ hpa: {:#x}, u64: {:#x} }}\n", hpa, value);
    return out;
  }
  if (!ept_eptp.empty()) {
    out += "ept:\n  eptp: " + ept_eptp + "\n";
    if (!ept_caps.empty()) out += "  caps: " + ept_caps + "\n";
    if (ept_tables_at) out += fmt::format("  tables_at: {:#x}\n", ept_tables_at);
    out += "  map:\n";
    for (const auto& m : ept_map) out += "    - " + m + "\n";
  }
  out += "registers:\n";
  out += fmt::format("  cr0: [{}]\n", fmt::join(cr0, ", "));
  out += fmt::format("  cr4: [{}]\n", fmt::join(cr4, ", "));
  out += fmt::format("  efer: [{}]\n", fmt::join(efer, ", "));
  if (ac) out += "  rflags: [AC]\n";
  if (pkru) out += fmt::format("  pkru: {:#x}\n", pkru);
  if (cr3) out += fmt::format("  cr3: {:#x}\n", cr3);
  out += fmt::format("paging:\n  root: {:#x}\n  tables_at: {:#x}\n  map:\n", root, tables_at);
  for (const auto& m : mappings) out += "    - " + m + "\n";
  if (!writes.empty() || !host_writes.empty()) {
    out += "memory:\n";
    for (const auto& [gpa, value] : writes) out += fmt::format("  - {{ gpa: {:#x}, u64: {:#x} }}\n", gpa, value);
    for (const auto& [hpa, value] : host_writes) out += fmt::format("  - {{ hpa: {:#x}, u64: {:#x} }}\n", hpa, value);
  }
  return out;
}

namespace {
Operation access(spec::AccessKind kind, std::uint64_t va, unsigned cpl, unsigned size, std::uint64_t value) {
  Operation op;
  op.kind = OperationKind::access;
  op.access.kind = kind;
  op.access.linear = va;
  op.access.cpl = cpl;
  op.size = size;
  op.value = value;
  return op;
}

}  // namespace

model::MachineState load_sketch(const StateSketch& state) {
  YAML::Node doc = YAML::Load(state.yaml());
  doc["schema"] = "vtspec/state/1";
  return vectors::load_state(doc, "<generated state>");
}

void Draft::read(std::uint64_t va, unsigned cpl, unsigned size) {
  vector.operations.push_back(access(spec::AccessKind::read, va, cpl, size, 0));
}
void Draft::write(std::uint64_t va, unsigned cpl, std::uint64_t value, unsigned size) {
  vector.operations.push_back(access(spec::AccessKind::write, va, cpl, size, value));
}
void Draft::fetch(std::uint64_t va, unsigned cpl) { vector.operations.push_back(access(spec::AccessKind::fetch, va, cpl, 1, 0)); }
void Draft::store_entry(std::uint64_t gpa, std::uint64_t value) {
  Operation op;
  op.kind = OperationKind::store_entry;
  op.address = gpa;
  op.value = value;
  vector.operations.push_back(op);
}
void Draft::invlpg(std::uint64_t va) {
  Operation op;
  op.kind = OperationKind::invlpg;
  op.address = va;
  vector.operations.push_back(op);
}
void Draft::mov_cr3(std::uint64_t value, bool no_flush) {
  Operation op;
  op.kind = OperationKind::mov_cr3;
  op.value = value | (no_flush ? std::uint64_t{1} << 63 : 0);
  vector.operations.push_back(op);
}
void Draft::control(OperationKind kind, std::uint64_t value) {
  Operation op;
  op.kind = kind;
  op.value = value;
  vector.operations.push_back(op);
}
void Draft::invpcid(unsigned type, std::uint64_t pcid, std::uint64_t va) {
  Operation op;
  op.kind = OperationKind::invpcid;
  op.type = type;
  op.pcid = pcid;
  op.address = va;
  vector.operations.push_back(op);
}

void Draft::invvpid(unsigned type, std::uint64_t vpid, std::uint64_t va) {
  Operation op = model::make_operation(*model::find_operation("invvpid"));
  op.type = type;
  op.vpid = vpid;
  op.address = va;
  vector.operations.push_back(op);
}
void Draft::invept(unsigned type, std::uint64_t eptp) {
  Operation op = model::make_operation(*model::find_operation("invept"));
  op.type = type;
  op.eptp = eptp;
  vector.operations.push_back(op);
}
void Draft::vmx(const char* name, std::uint64_t address, std::uint64_t field, std::uint64_t value, unsigned cpl) {
  Operation op = model::make_operation(*model::find_operation(name));
  op.address = address;
  op.field = field;
  op.value = value;
  op.access.cpl = cpl;
  vector.operations.push_back(op);
}
void Draft::vm_entry(std::uint64_t vpid, std::uint64_t eptp) {
  Operation op = model::make_operation(*model::find_operation("vm_entry"));
  op.vpid = vpid;
  op.eptp = eptp;
  vector.operations.push_back(op);
}

void Draft::invlpga(std::uint64_t va, std::uint64_t asid) {
  Operation op = model::make_operation(*model::find_operation("invlpga"));
  op.address = va;
  op.asid = asid;
  vector.operations.push_back(op);
}
void Draft::vmrun(std::uint64_t asid, unsigned tlb_control, const std::vector<std::pair<model::VmcbField, std::uint64_t>>& vmcb,
                  std::uint64_t clean_bits) {
  Operation op = model::make_operation(*model::find_operation("vmrun"));
  op.asid = asid;
  op.type = tlb_control;
  for (const auto& [field, value] : vmcb) op.vmcb[static_cast<std::size_t>(field)] = value;
  op.clean_bits = clean_bits;
  vector.operations.push_back(op);
}

void Draft::dma_read(std::uint16_t source, std::uint64_t iova, unsigned size) {
  Operation op = model::make_operation(*model::find_operation("dma_read"));
  op.source_id = source;
  op.address = iova;
  op.size = size;
  vector.operations.push_back(op);
}
void Draft::dma_write(std::uint16_t source, std::uint64_t iova, std::uint64_t value, unsigned size) {
  Operation op = model::make_operation(*model::find_operation("dma_write"));
  op.source_id = source;
  op.address = iova;
  op.size = size;
  op.value = value;
  vector.operations.push_back(op);
}
void Draft::invalidate_context_cache(unsigned granularity, std::uint64_t did, std::uint16_t source) {
  Operation op = model::make_operation(*model::find_operation("invalidate_context_cache"));
  op.type = granularity;
  op.domain_id = did;
  op.source_id = source;
  vector.operations.push_back(op);
}
void Draft::invalidate_iotlb(unsigned granularity, std::uint64_t did, std::uint64_t iova, unsigned am, bool ih) {
  Operation op = model::make_operation(*model::find_operation("invalidate_iotlb"));
  op.type = granularity;
  op.domain_id = did;
  op.address = iova;
  op.address_mask = am;
  op.hint = ih;
  vector.operations.push_back(op);
}

void complete(Draft& d) {
  d.vector.initial = load_sketch(d.state);
  d.vector.expectations.clear();
  d.vector.notes.clear();
  for (auto& step : vectors::evaluate_on_model(d.vector)) {
    if (!step.sound)
      throw std::logic_error(fmt::format("{} operation {}: the model's allowed set may now lack architectural outcomes "
                                         "(model::Tlb::sound()); a generated vector must not go there",
                                         d.vector.id, d.vector.expectations.size()));
    d.vector.expectations.push_back(std::move(step.expectation));
    d.vector.notes.merge(step.notes);
  }
}

std::string entry_key(unsigned level) {
  std::string name = spec::level_name(level);
  for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return name;
}

std::uint64_t host_address(const StateSketch& state, std::uint64_t gpa) {
  const auto host = load_sketch(state).guest_physical().host_address(gpa);
  if (!host) throw std::invalid_argument(fmt::format("host_address: guest-physical {:#x} is not mapped", gpa));
  return *host;
}

std::uint64_t entry_address(const StateSketch& state, std::uint64_t va, unsigned level) {
  const model::MachineState s = load_sketch(state);
  std::uint64_t table = s.regs.cr3 & spec::frame_mask(s.features.maxphyaddr);
  for (unsigned l = s.paging_levels();; --l) {
    const std::uint64_t slot = table + ((va >> spec::index_shift(l)) & 511) * 8;
    if (l == level) return slot;
    const auto host = s.guest_physical().host_address(slot);  // under EPT the tables are guest-physical
    if (!host) throw std::invalid_argument(fmt::format("entry_address: guest-physical {:#x} is not mapped", slot));
    table = s.memory.read64(*host) & spec::frame_mask(s.features.maxphyaddr);
  }
}

}  // namespace vtspec::generate
