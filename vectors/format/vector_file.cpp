#include "vectors/format/vector_file.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "model/operation_table.hpp"
#include "spec/page_fault_error_code.hpp"
#include "vectors/format/content_hash.hpp"
#include "vectors/format/load_error.hpp"
#include "vectors/format/operation_yaml.hpp"
#include "vectors/format/state_file.hpp"
#include "vectors/format/vector_address_space.hpp"
#include "vectors/format/input_file.hpp"
#include "vectors/format/yaml_document.hpp"

namespace vtspec::vectors {

namespace {

using model::Operation;
using model::OperationKind;

struct Reader {
  std::string file;

  [[noreturn]] void fail(const YAML::Node& node, const std::string& field, const std::string& message) const {
    throw LoadError(file, node, field, message);
  }
  void require_map(const YAML::Node& node, const std::string& field) const {
    if (!node.IsMap()) fail(node, field, "expected a mapping");
  }
  void keys(const YAML::Node& map, const std::string& where, std::initializer_list<const char*> known) const {
    require_map(map, where);
    for (const auto& kv : map) {
      const std::string key = kv.first.Scalar();
      if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; }))
        fail(kv.first, where.empty() ? key : where + "." + key, "unknown field");
    }
  }
  const YAML::Node need(const YAML::Node& map, const char* key, const std::string& where, const char* what = "missing") const {
    const YAML::Node v = map[key];
    if (!v) fail(map, where.empty() ? std::string(key) : where + "." + key, what);
    return v;
  }
  std::uint64_t number(const YAML::Node& node, const std::string& field) const { return parse_number(node, file, field); }
  std::string text(const YAML::Node& node, const std::string& field) const {
    if (!node.IsScalar()) fail(node, field, "expected text");
    return node.Scalar();
  }
  bool boolean(const YAML::Node& node, const std::string& field) const {
    const std::string s = node.IsScalar() ? node.Scalar() : "";
    if (s == "true" || s == "yes") return true;
    if (s == "false" || s == "no") return false;
    fail(node, field, "expected true or false");
  }
  std::vector<std::string> texts(const YAML::Node& node, const std::string& field) const {
    if (!node.IsSequence()) fail(node, field, "expected a list");
    std::vector<std::string> out;
    std::size_t i = 0;
    for (const auto& item : node) out.push_back(text(item, fmt::format("{}[{}]", field, i++)));
    return out;
  }
};

FlagExpectation parse_flag_expectation(const Reader& r, const YAML::Node& node, const std::string& field) {
  const std::string s = node.IsScalar() ? node.Scalar() : "";
  if (s == "set" || s == "1") return FlagExpectation::set;
  if (s == "clear" || s == "0") return FlagExpectation::clear;
  if (s == "either") return FlagExpectation::either;
  r.fail(node, field, "expected set, clear or either");
}

// Error-code flags by the names of SDM Vol. 3A Figure 4-12.
std::uint64_t parse_error_code(const Reader& r, const YAML::Node& node, const std::string& field) {
  if (!node.IsSequence()) return r.number(node, field);
  static const std::map<std::string, unsigned> bits = {{"P", spec::pf::present}, {"W", spec::pf::write},
                                                       {"U", spec::pf::user},    {"RSVD", spec::pf::reserved},
                                                       {"I", spec::pf::fetch},   {"PK", spec::pf::key}};
  std::uint64_t code = 0;
  for (const auto& item : node) {
    auto it = bits.find(item.IsScalar() ? item.Scalar() : "");
    if (it == bits.end()) r.fail(item, field, fmt::format("unknown error-code flag '{}' (P, W, U, RSVD, I, PK)", item.Scalar()));
    code |= std::uint64_t{1} << it->second;
  }
  return code;
}

unsigned parse_fault(const Reader& r, const YAML::Node& node, const std::string& field) {
  static const std::map<std::string, unsigned> names = {{"PF", 14}, {"GP", 13}, {"UD", 6}, {"DB", 1}};
  auto it = names.find(node.IsScalar() ? node.Scalar() : "");
  if (it != names.end()) return it->second;
  const std::uint64_t v = r.number(node, field);
  if (v > 31) r.fail(node, field, "exception vectors are 0..31");
  return static_cast<unsigned>(v);
}

ExpectedOutcome parse_outcome(const Reader& r, const YAML::Node& node, const std::string& field, const Operation& op,
                              const Vector& v) {
  ExpectedOutcome out;
  if (node.IsScalar()) {
    if (node.Scalar() != "ok") r.fail(node, field, "expected 'ok' or a mapping with value / fault / entries");
    return out;
  }
  r.keys(node, field,
         {"ok", "value", "fault", "error_code", "cr2", "dma_fault", "vm_exit", "vm_fail", "vm_entry_failure", "entries", "flags"});
  const bool is_read = (op.kind == OperationKind::access && op.access.kind == spec::AccessKind::read) ||
                       op.kind == OperationKind::dma_read || op.kind == OperationKind::vmread || op.kind == OperationKind::vmptrst;
  model::Event& event = out.event;
  const bool is_dma = op.kind == OperationKind::dma_read || op.kind == OperationKind::dma_write;
  if ((node["vm_fail"] || node["vm_entry_failure"]) && !model::row_of(op).vmx)
    r.fail(node["vm_fail"] ? node["vm_fail"] : node["vm_entry_failure"], field, "only a VMX instruction fails with VMfail or a VM-entry failure");
  if (node["vm_fail"] || node["vm_entry_failure"]) {
    if (node["vm_fail"] && node["vm_entry_failure"]) r.fail(node, field, "give one of vm_fail and vm_entry_failure");
    for (const char* other : {"value", "fault", "error_code", "cr2", "dma_fault", "vm_exit"})
      if (node[other]) r.fail(node[other], field + "." + other, "a failed VMX instruction has no other outcome");
  }
  if (node["vm_fail"]) {
    // SDM Vol. 3C 31.2: VMfailInvalid (CF = 1, no current VMCS), or VMfailValid with the
    // VM-instruction error number it stores (31.4: 1..28).
    const YAML::Node f = node["vm_fail"];
    if (f.IsScalar() && f.Scalar() == "invalid") {
      event = model::Event::vm_fail_invalid();
    } else {
      const std::uint64_t n = r.number(f, field + ".vm_fail");
      if (n < 1 || n > 28) r.fail(f, field + ".vm_fail", "expected invalid (VMfailInvalid) or a VM-instruction error number 1..28 (VMfailValid, SDM Vol. 3C 31.4)");
      event = model::Event::vm_fail_valid(static_cast<unsigned>(n));
    }
  } else if (node["vm_entry_failure"]) {
    // 27.8: a VM entry that fails while loading guest state or MSRs: exit reason 33 (invalid
    // guest state) or 34 (MSR loading) with bit 31 set, and the exit qualification.
    const YAML::Node f = node["vm_entry_failure"];
    const std::string where = field + ".vm_entry_failure";
    if (op.kind != OperationKind::vmlaunch && op.kind != OperationKind::vmresume)
      r.fail(f, where, "only VMLAUNCH and VMRESUME fail a VM entry");
    r.require_map(f, where);
    r.keys(f, where, {"reason", "qualification"});
    const std::uint64_t reason = r.number(r.need(f, "reason", where), where + ".reason");
    if (reason != 33 && reason != 34)
      r.fail(f["reason"], where + ".reason", "expected 33 (invalid guest state) or 34 (MSR loading), SDM Vol. 3C 27.8");
    const std::uint64_t q = f["qualification"] ? r.number(f["qualification"], where + ".qualification") : 0;
    event = model::Event::vm_entry_failure(static_cast<unsigned>(reason), q);
  } else if (node["dma_fault"]) {
    // VT-d 7.1.3 / 10.4.14: the fault record's reason, source id, page (FI) and type (T).
    const YAML::Node f = node["dma_fault"];
    const std::string where = field + ".dma_fault";
    if (!is_dma) r.fail(f, where, "only a DMA faults with a fault record");
    if (node["fault"] || node["value"]) r.fail(f, where, "a DMA fault gives no exception and reads no value");
    r.require_map(f, where);
    r.keys(f, where, {"reason", "source", "address", "read"});
    const std::uint64_t reason = r.number(r.need(f, "reason", where), where + ".reason");
    if (reason > 0xff) r.fail(f["reason"], where + ".reason", "a fault reason is 1..0xff (VT-d Appendix A), or 0: blocked without a record");
    const std::uint64_t address = r.number(r.need(f, "address", where), where + ".address");
    if (address & 0xfff) r.fail(f["address"], where + ".address", "the fault record holds the page (bits 63:12, VT-d 10.4.14)");
    const bool read = f["read"] ? r.boolean(f["read"], where + ".read") : op.kind == OperationKind::dma_read;
    if (read != (op.kind == OperationKind::dma_read)) r.fail(f["read"], where + ".read", "contradicts the operation's direction");
    const std::uint64_t source = f["source"] ? r.number(f["source"], where + ".source") : op.source_id;
    if (source > 0xffff) r.fail(f["source"], where + ".source", "a source id is 16 bits");
    event = model::Event::dma_fault(static_cast<unsigned>(reason), static_cast<std::uint16_t>(source), address, read);
  } else if (node["vm_exit"]) {
    // vtspec/vector/2: an access of a guest under EPT that ends in a VM exit (SDM Vol. 3C
    // 28.2.1, 29.3.3): the basic exit reason, the exit qualification (Table 28-7; bits the
    // SDM leaves open in `qualification_open`), the guest-physical address and, when
    // qualification bit 7 says it is valid, the guest-linear address.
    const YAML::Node x = node["vm_exit"];
    const std::string where = field + ".vm_exit";
    if (v.initial.npt) {
      // vtspec/vector/3: #VMEXIT(NPF) (AMD64 APM Vol. 2 15.25.6): EXITINFO1 (the nested
      // fault's error code, bit 32 final address, bit 33 guest page table) and EXITINFO2 (the
      // guest-physical address).
      if (node["fault"] || node["value"] || node["error_code"] || node["cr2"])
        r.fail(x, where, "a #VMEXIT delivers no exception and reads no value");
      r.require_map(x, where);
      const YAML::Node reason = r.need(x, "reason", where);
      if (op.kind == OperationKind::vmrun) {
        // 15.5.1: a VMRUN that fails a consistency check ends in #VMEXIT(INVALID), with
        // EXITINFO1/2 undefined.
        r.keys(x, where, {"reason"});
        if (!reason.IsScalar() || reason.Scalar() != "invalid")
          r.fail(reason, where + ".reason", "expected invalid (the #VMEXIT a failed VMRUN has)");
        event = model::Event::svm_invalid();
      } else {
        if (op.kind != OperationKind::access) r.fail(x, where, "only an access exits with a nested page fault, and a VMRUN with invalid");
        r.keys(x, where, {"reason", "exit_info1", "exit_info2"});
        if (!reason.IsScalar() || reason.Scalar() != "npf")
          r.fail(reason, where + ".reason", "expected npf (the #VMEXIT an access under nested paging has)");
        const std::uint64_t info1 = r.number(r.need(x, "exit_info1", where), where + ".exit_info1");
        if (((info1 >> 32) & 3) != 1 && ((info1 >> 32) & 3) != 2)
          r.fail(x["exit_info1"], where + ".exit_info1", "exactly one of bit 32 (final address) and bit 33 (guest page table) is set");
        if (info1 & ~(std::uint64_t{3} << 32 | 0xffffffffu))
          r.fail(x["exit_info1"], where + ".exit_info1", "bits 63:34 are not defined for a nested page fault");
        if (!(info1 & 4)) r.fail(x["exit_info1"], where + ".exit_info1", "bit 2 (U/S) is set: every nested access is a user access");
        const std::uint64_t info2 = r.number(r.need(x, "exit_info2", where), where + ".exit_info2");
        if (info2 >> v.initial.features.maxphyaddr)
          r.fail(x["exit_info2"], where + ".exit_info2",
                 fmt::format("{:#x} is beyond MAXPHYADDR ({} bits)", info2, v.initial.features.maxphyaddr));
        event = model::Event::svm_exit(model::kSvmExitNpf, info1, info2);
      }
    } else {
    if (!v.initial.ept) r.fail(x, where, "only a guest under EPT (the state's ept:) or nested paging (npt:) exits on an access");
    if (op.kind != OperationKind::access) r.fail(x, where, "only an access exits with an EPT violation or misconfiguration");
    if (node["fault"] || node["value"] || node["error_code"] || node["cr2"])
      r.fail(x, where, "a VM exit delivers no exception and reads no value");
    r.require_map(x, where);
    r.keys(x, where, {"reason", "qualification", "qualification_open", "guest_physical", "guest_linear"});
    const YAML::Node reason = r.need(x, "reason", where);
    unsigned exit_reason = 0;
    if (reason.IsScalar() && reason.Scalar() == "ept_violation") exit_reason = model::kExitEptViolation;
    else if (reason.IsScalar() && reason.Scalar() == "ept_misconfig") exit_reason = model::kExitEptMisconfig;
    else r.fail(reason, where + ".reason", "expected ept_violation or ept_misconfig (the exits an access under EPT has)");
    const std::uint64_t gpa = r.number(r.need(x, "guest_physical", where), where + ".guest_physical");
    if (gpa >> v.initial.features.maxphyaddr)
      r.fail(x["guest_physical"], where + ".guest_physical",
             fmt::format("{:#x} is beyond MAXPHYADDR ({} bits)", gpa, v.initial.features.maxphyaddr));
    if (exit_reason == model::kExitEptMisconfig) {
      // 28.2.1: an EPT misconfiguration has no exit qualification, nor a guest-linear address.
      for (const char* k : {"qualification", "qualification_open", "guest_linear"})
        if (x[k]) r.fail(x[k], where + "." + k, "an EPT misconfiguration saves no exit qualification or guest-linear address");
      event = model::Event::vm_exit(exit_reason, 0, gpa, std::nullopt);
      event.qualification_undefined = ~std::uint64_t{0};
    } else {
      const std::uint64_t q = r.number(r.need(x, "qualification", where), where + ".qualification");
      const bool linear_valid = (q >> 7) & 1;  // Table 28-7 bit 7
      std::optional<std::uint64_t> linear;
      if (x["guest_linear"]) {
        if (!linear_valid) r.fail(x["guest_linear"], where + ".guest_linear", "qualification bit 7 says the guest-linear address is not valid");
        linear = r.number(x["guest_linear"], where + ".guest_linear");
        if (*linear != op.access.linear)
          r.fail(x["guest_linear"], where + ".guest_linear",
                 fmt::format("{:#x} is not the access's linear address {:#x}", *linear, op.access.linear));
      } else if (linear_valid) {
        r.fail(x, where + ".guest_linear", "missing (qualification bit 7 says it is valid)");
      }
      event = model::Event::vm_exit(exit_reason, q, gpa, linear);
      if (x["qualification_open"]) {
        event.qualification_undefined = r.number(x["qualification_open"], where + ".qualification_open");
        if (q & event.qualification_undefined)
          r.fail(x["qualification_open"], where + ".qualification_open", "bits left open are given as 0 in qualification");
      }
    }
    }
  } else if (node["fault"]) {
    event = model::Event::exception(parse_fault(r, node["fault"], field + ".fault"));
    if (node["value"]) r.fail(node["value"], field + ".value", "a faulting operation reads no value");
    if (node["error_code"]) event.error_code = parse_error_code(r, node["error_code"], field + ".error_code");
    if (event.vector == model::kPageFaultVector) {
      event.cr2 = r.number(r.need(node, "cr2", field, "missing (a #PF expectation gives CR2)"), field + ".cr2");
      if (!node["error_code"]) r.fail(node, field + ".error_code", "missing (a #PF expectation gives the error code)");
    } else if (node["cr2"]) {
      r.fail(node["cr2"], field + ".cr2", "only a #PF sets CR2");
    }
  } else {
    if (node["error_code"]) r.fail(node["error_code"], field + ".error_code", "error_code needs fault");
    if (node["cr2"]) r.fail(node["cr2"], field + ".cr2", "cr2 needs fault");
    if (node["value"]) {
      if (!is_read) r.fail(node["value"], field + ".value", "only a read has a value");
      event.value = r.number(node["value"], field + ".value");
      if (op.size < 8 && (*event.value >> (8 * op.size)))
        r.fail(node["value"], field + ".value", fmt::format("does not fit in {} bytes", op.size));
    }
  }
  if (node["ok"] && (event.kind != model::EventKind::completed || !r.boolean(node["ok"], field + ".ok")))
    r.fail(node["ok"], field + ".ok", "ok: true contradicts fault");
  if (node["entries"]) {
    const auto& e = node["entries"];
    r.require_map(e, field + ".entries");
    for (const auto& kv : e) {
      const std::string name = kv.first.Scalar();
      const std::string where = field + ".entries." + name;
      if (std::none_of(v.entries.begin(), v.entries.end(), [&](const CheckedEntry& c) { return c.name == name; }))
        r.fail(kv.first, where, "not an entry named under the vector's entries:");
      r.keys(kv.second, where, {"A", "D"});
      EntryFlags flags{name};
      if (kv.second["A"]) flags.accessed = parse_flag_expectation(r, kv.second["A"], where + ".A");
      if (kv.second["D"]) flags.dirty = parse_flag_expectation(r, kv.second["D"], where + ".D");
      out.entries.push_back(flags);
    }
  }
  if (node["flags"]) {
    out.flags = r.texts(node["flags"], field + ".flags");
    for (std::size_t i = 0; i < out.flags.size(); ++i)
      if (!v.notes.count(out.flags[i]))
        r.fail(node["flags"][i], fmt::format("{}.flags[{}]", field, i),
               fmt::format("flag '{}' is not explained under the file's notes:", out.flags[i]));
  }
  return out;
}

// The vector's operations use the grammar of histories too (operation_yaml.hpp), without
// the VMX operations: v1 vectors have no VMX state.
Operation parse_vector_operation(const Reader& r, const YAML::Node& node, const std::string& field, const Vector& v) {
  OperationContext context;
  context.paging_levels = v.initial.paging_levels();
  context.maxphyaddr = v.initial.features.maxphyaddr;
  context.entries = &v.entries;
  // A guest under EPT (vtspec/vector/2) has a VMM, whose INVVPID, INVEPT and VM entries come
  // between the guest's operations (each after a VM exit of the guest); no other VMX operation
  // is the guest's or its VMM's in a vector.
  if (!v.initial.ept && !v.initial.vmx)
    context.vmx_refused = "VMX operations need a guest under EPT (the state's ept:, vtspec/vector/2), whose VMM runs them, or "
                          "a VMX L1 (the state's vmx:, vtspec/vector/4)";
  if (!v.initial.iommu) context.iommu_refused = "DMA-remapping operations need the state's iommu: section (a remapping unit and devices)";
  if (!v.initial.npt) context.svm_refused = "AMD-V operations need a guest under nested paging (the state's npt:, vtspec/vector/3)";
  context.other_keys = {"expect", "acceptable"};
  Operation op = parse_operation(node, r.file, field, context);
  if ((op.kind == OperationKind::dma_read || op.kind == OperationKind::dma_write) &&
      std::find(v.initial.iommu->devices.begin(), v.initial.iommu->devices.end(), op.source_id) == v.initial.iommu->devices.end())
    r.fail(node["source"], field + ".source", fmt::format("{:#06x} is not one of the state's iommu.devices", op.source_id));
  if (v.initial.ept && model::row_of(op).vmx) {
    if (op.kind != OperationKind::invvpid && op.kind != OperationKind::invept && op.kind != OperationKind::vm_entry)
      r.fail(node["op"], field + ".op",
             fmt::format("{}: a vtspec/vector/2 guest's VMM runs invvpid, invept and vm_entry between its operations; the "
                         "other VMX operations are state files' (history:, vtspec explain-entry)",
                         model::to_string(op.kind)));
    if (op.kind == OperationKind::vm_entry && !op.eptp)
      r.fail(node, field, "vm_entry: a vtspec/vector/2 guest runs under EPT: the entry needs an eptp");
  }
  // vtspec/vector/4: the processor is a VMX L1 and runs VMX instructions (31.3); the bare
  // transitions of histories (vm_entry, vm_exit) are not instructions.
  if (v.initial.vmx && (!model::row_of(op).vmx || op.kind == OperationKind::vm_entry || op.kind == OperationKind::vm_exit))
    r.fail(node["op"], field + ".op",
           fmt::format("{}: a vtspec/vector/4 VMX L1 (vmx:) runs vmxon, vmxoff, vmclear, vmptrld, vmptrst, vmread, vmwrite, "
                       "vmlaunch, vmresume, vmcall, invept and invvpid",
                       model::to_string(op.kind)));
  // vtspec/vector/3: the guest under nested paging accesses memory, stores to its paging
  // structures and runs INVLPG; its L1 hypervisor runs INVLPGA and VMRUN between those. What
  // else a guest can do under npt: (control-register writes, PCIDs) is not in the grammar yet.
  if (v.initial.npt && op.kind != OperationKind::access && op.kind != OperationKind::store_entry &&
      op.kind != OperationKind::invlpg && !model::row_of(op).svm)
    r.fail(node["op"], field + ".op",
           fmt::format("{}: a vtspec/vector/3 guest under nested paging (npt:) runs read, write, fetch, store_entry and "
                       "invlpg, and its hypervisor invlpga and vmrun",
                       model::to_string(op.kind)));
  return op;
}

// What a group of vectors shares (Wycheproof's test groups): a state, checked entries, and the
// file's notes. A vector in a group takes the group's state and entries instead of its own.
struct Shared {
  const YAML::Node* state = nullptr;  // the group's state block, if any
  const YAML::Node* entries = nullptr;
  std::string state_field;            // where it is, for messages
  const std::map<std::string, std::string>* notes = nullptr;
  unsigned version = 1;               // the file's schema: vtspec/vector/<version>
};

// A vector must stay inside what vector_address_space.h gives it: the model could run it,
// no target could (the harness lives in the rest).
void check_address_space(const Reader& r, const YAML::Node& node, const std::string& field, const Vector& v) {
  std::vector<std::uint64_t> entries;
  for (const auto& e : v.entries) entries.push_back(e.physical);
  const auto violation = check_vector_address_space(v.initial, v.operations, entries);
  if (!violation) return;
  using Where = AddressSpaceViolation::Where;
  const std::size_t i = violation->index;
  if (violation->where == Where::operation) {
    const SourceLocation& at = v.operation_sources.at(i);
    throw LoadError(r.file, at.line, at.column, fmt::format("{}.operations[{}]", field, i), violation->message);
  }
  if (violation->where == Where::entry)
    throw LoadError(r.file, v.source.line, v.source.column, fmt::format("{}.entries.{}", field, v.entries.at(i).name),
                    violation->message);
  r.fail(node, field, violation->message);
}

Vector parse_vector(const Reader& r, const YAML::Node& node, const std::string& field, const Shared& shared) {
  r.keys(node, field, {"id", "description", "sdm", "requires", "state", "entries", "operations"});
  Vector v;
  if (shared.notes) v.notes = *shared.notes;
  v.source = {r.file, node.Mark().line + 1, node.Mark().column + 1};
  v.id = r.text(r.need(node, "id", field), field + ".id");
  if (v.id.empty()) r.fail(node["id"], field + ".id", "empty");
  if (node["description"]) v.description = r.text(node["description"], field + ".description");
  if (node["sdm"]) v.sdm = r.texts(node["sdm"], field + ".sdm");
  if (node["requires"]) {
    v.requires_features = r.texts(node["requires"], field + ".requires");
    for (std::size_t i = 0; i < v.requires_features.size(); ++i)
      if (!model::feature_named(v.requires_features[i]))
        r.fail(node["requires"][i], fmt::format("{}.requires[{}]", field, i),
               fmt::format("unknown feature '{}' ({})", v.requires_features[i], model::feature_names()));
  }
  // The state block is a vtspec/state/1 document; its schema key is optional here.
  if (shared.state && node["state"]) r.fail(node["state"], field + ".state", "the vector's group gives the state");
  if (shared.entries && node["entries"]) r.fail(node["entries"], field + ".entries", "the vector's group gives the entries");
  YAML::Node state = shared.state ? *shared.state : r.need(node, "state", field);
  const std::string state_field = shared.state ? shared.state_field : field + ".state";
  r.require_map(state, state_field);
  // v1 describes guest paging; v2 adds a guest under EPT; v3 an AMD-V guest under nested paging.
  if (state["npt"] && shared.version < 3)
    r.fail(state["npt"], state_field + ".npt",
           fmt::format("nested paging is not part of vtspec/vector/{} (an AMD-V guest needs schema: {})", shared.version,
                       kVectorSchemaV3));
  if (state["npt"] && state["iommu"]) r.fail(state["iommu"], state_field + ".iommu", "a DMA vector's CPU takes no part: no npt:");
  if (state["ept"] && shared.version < 2)
    r.fail(state["ept"], state_field + ".ept", fmt::format("EPT is not part of vtspec/vector/1 (a guest under EPT needs schema: {})", kVectorSchemaV2));
  if (state["ept"] && state["iommu"]) r.fail(state["iommu"], state_field + ".iommu", "a DMA vector's CPU takes no part: no ept:");
  if (state["vmx"] && shared.version < 4)
    r.fail(state["vmx"], state_field + ".vmx",
           fmt::format("a VMX L1 is not part of vtspec/vector/{} (VMX instructions in root operation need schema: {})",
                       shared.version, kVectorSchemaV4));
  if (state["history"]) r.fail(state["history"], state_field + ".history", "a vector's operations take the place of a history");
  if (!state["schema"]) state["schema"] = kStateSchema;
  v.initial = load_state(state, r.file, state_field);
  const unsigned maxphyaddr = v.initial.features.maxphyaddr;
  const YAML::Node entries_node = shared.entries ? *shared.entries : node["entries"];
  if (entries_node) {
    const auto& e = entries_node;
    r.require_map(e, field + ".entries");
    for (const auto& kv : e) {
      const std::string name = r.text(kv.first, field + ".entries");
      const std::string where = field + ".entries." + name;
      const std::uint64_t gpa = r.number(kv.second, where);
      if (gpa & 7) r.fail(kv.second, where, "paging-structure entries are 8-byte aligned");
      if (gpa >> maxphyaddr) r.fail(kv.second, where, fmt::format("{:#x} is beyond MAXPHYADDR ({} bits)", gpa, maxphyaddr));
      v.entries.push_back({name, gpa});
    }
  }
  const YAML::Node ops = r.need(node, "operations", field);
  if (!ops.IsSequence() || ops.size() == 0) r.fail(ops, field + ".operations", "expected a non-empty list of operations");
  std::size_t i = 0;
  for (const auto& item : ops) {
    const std::string where = fmt::format("{}.operations[{}]", field, i++);
    Operation op = parse_vector_operation(r, item, where, v);
    Expectation expectation;
    expectation.outcomes.push_back(parse_outcome(r, r.need(item, "expect", where, "missing expectation"), where + ".expect", op, v));
    if (item["acceptable"]) {
      const auto& alts = item["acceptable"];
      if (!alts.IsSequence()) r.fail(alts, where + ".acceptable", "expected a list of outcomes");
      std::size_t j = 0;
      for (const auto& alt : alts) {
        ExpectedOutcome o = parse_outcome(r, alt, fmt::format("{}.acceptable[{}]", where, j++), op, v);
        o.result = ExpectedOutcome::Result::acceptable;
        expectation.outcomes.push_back(std::move(o));
      }
    }
    v.operations.push_back(op);
    v.expectations.push_back(std::move(expectation));
    v.operation_sources.push_back({r.file, item.Mark().line + 1, item.Mark().column + 1});
  }
  check_address_space(r, node, field, v);
  v.content_hash = content_hash(v);
  return v;
}

// Which vector of the file a slice holds (vector_list.cpp): its list and index in the whole
// file, so fields are named as in the file; the checks across vectors (ids, notes) are the
// caller's.
struct SliceIndex {
  std::optional<std::size_t> group;  // in groups[group].vectors, else in vectors
  std::size_t vector = 0;
};

std::vector<Vector> load_vectors_impl(const YAML::Node& doc, const std::string& file, const SliceIndex* slice) {
  const Reader r{file};
  if (!doc) r.fail(doc, "", "empty: a vector file is a YAML mapping with schema: and vectors: or groups:");
  if (!doc.IsMap()) r.fail(doc, "", "a vector file is a YAML mapping with schema: and vectors: or groups:");
  r.keys(doc, "", {"schema", "description", "notes", "groups", "vectors"});
  const YAML::Node schema =
      r.need(doc, "schema", "", "missing (expected 'vtspec/vector/1', 'vtspec/vector/2', 'vtspec/vector/3' or 'vtspec/vector/4')");
  const char* const known[] = {kVectorSchema, kVectorSchemaV2, kVectorSchemaV3, kVectorSchemaV4};
  const auto* which = std::find_if(std::begin(known), std::end(known),
                                   [&](const char* k) { return schema.IsScalar() && schema.Scalar() == k; });
  if (which == std::end(known))
    r.fail(schema, "schema",
           fmt::format("unsupported schema '{}' (expected '{}', '{}', '{}' or '{}')", schema.IsScalar() ? schema.Scalar() : "",
                       kVectorSchema, kVectorSchemaV2, kVectorSchemaV3, kVectorSchemaV4));
  const unsigned v2 = static_cast<unsigned>(which - std::begin(known)) + 1;
  if (!doc["vectors"] && !doc["groups"]) r.fail(doc, "vectors", "missing (give vectors: or groups:)");
  // notes: flag -> why an outcome with that flag is allowed (Wycheproof's "notes").
  std::map<std::string, std::string> notes;
  if (doc["notes"]) {
    r.require_map(doc["notes"], "notes");
    for (const auto& kv : doc["notes"]) {
      const std::string flag = r.text(kv.first, "notes");
      notes[flag] = r.text(kv.second, "notes." + flag);
    }
  }
  std::vector<Vector> out;
  std::set<std::string> ids;
  auto add_list = [&](const YAML::Node& list, const std::string& list_field, const Shared& shared) {
    if (!list.IsSequence()) r.fail(list, list_field, "expected a list of vectors");
    std::size_t i = slice ? slice->vector : 0;
    for (const auto& item : list) {
      const std::string field = fmt::format("{}[{}]", list_field, i++);
      r.require_map(item, field);
      out.push_back(parse_vector(r, item, field, shared));
      if (!ids.insert(out.back().id).second) r.fail(item["id"], field + ".id", fmt::format("duplicate id '{}'", out.back().id));
    }
  };
  if (doc["vectors"]) add_list(doc["vectors"], "vectors", Shared{nullptr, nullptr, "", &notes, v2});
  if (doc["groups"]) {
    const YAML::Node groups = doc["groups"];
    if (!groups.IsSequence()) r.fail(groups, "groups", "expected a list of groups");
    std::size_t g = slice && slice->group ? *slice->group : 0;
    for (const auto& group : groups) {
      const std::string field = fmt::format("groups[{}]", g++);
      r.keys(group, field, {"description", "state", "entries", "vectors"});
      const YAML::Node state = r.need(group, "state", field, "missing (a group gives the state its vectors share)");
      const YAML::Node entries = group["entries"];
      add_list(r.need(group, "vectors", field), field + ".vectors",
               Shared{&state, entries ? &entries : nullptr, field + ".state", &notes, v2});
    }
  }
  // Every note explains a flag some outcome uses: an unused note is a typo somewhere.
  if (slice) return out;
  for (const auto& [flag, text] : notes) {
    bool used = false;
    for (const auto& v : out)
      for (const auto& e : v.expectations)
        for (const auto& o : e.outcomes) used = used || std::find(o.flags.begin(), o.flags.end(), flag) != o.flags.end();
    if (!used) {
      YAML::Node n = doc["notes"];
      r.fail(n, "notes." + flag, "no outcome in this file uses this flag");
    }
  }
  return out;
}

}  // namespace

std::vector<Vector> load_vectors(const YAML::Node& doc, const std::string& file) { return load_vectors_impl(doc, file, nullptr); }

namespace {

// load_vectors, with yaml-cpp's own errors (conversion errors carry a mark) as LoadErrors.
std::vector<Vector> load_vectors_checked(const YAML::Node& doc, const std::string& file) {
  try {
    return load_vectors(doc, file);
  } catch (const LoadError&) {
    throw;
  } catch (const YAML::Exception& e) {
    throw LoadError(file, e.mark.line + 1, e.mark.column + 1, "", e.msg);
  }
}

}  // namespace

std::vector<Vector> load_vector_text(const std::string& text, const std::string& file) {
  const YAML::Node doc = parse_yaml_document(text, file);
  return load_vectors_checked(doc, file);
}

std::vector<Vector> load_vector_file(const std::string& path) { return load_vector_text(read_input_file(path), path); }

std::vector<Vector> load_vector_slice(const YAML::Node& slice, const std::string& file, std::optional<std::size_t> group,
                                      std::size_t index) {
  const SliceIndex at{group, index};
  try {
    return load_vectors_impl(slice, file, &at);
  } catch (const LoadError&) {
    throw;
  } catch (const YAML::Exception& e) {
    throw LoadError(file, e.mark.line + 1, e.mark.column + 1, "", e.msg);
  }
}

}  // namespace vtspec::vectors
