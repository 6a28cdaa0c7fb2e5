#include "vectors/format/vector_writer.hpp"

#include <algorithm>
#include <map>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "spec/page_fault_error_code.hpp"
#include "vectors/format/operation_yaml.hpp"

namespace vtspec::vectors {

namespace {

std::string hex(std::uint64_t v) { return fmt::format("{:#x}", v); }

// Error-code flags by the names of SDM Vol. 3A Figure 4-12 (the loader reads the same names).
std::string error_code_text(std::uint64_t code) {
  static const std::pair<unsigned, const char*> names[] = {{spec::pf::present, "P"}, {spec::pf::write, "W"},
                                                           {spec::pf::user, "U"},    {spec::pf::reserved, "RSVD"},
                                                           {spec::pf::fetch, "I"},   {spec::pf::key, "PK"}};
  std::string out;
  std::uint64_t known = 0;
  for (const auto& [bit, name] : names) {
    known |= std::uint64_t{1} << bit;
    if ((code >> bit) & 1) out += std::string(out.empty() ? "" : ", ") + name;
  }
  if (code & ~known) return hex(code);
  return "[" + out + "]";
}

const char* flag_text(FlagExpectation f) {
  return f == FlagExpectation::set ? "set" : f == FlagExpectation::clear ? "clear" : "either";
}

std::string indent(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) out += line.empty() ? "\n" : prefix + line + "\n";
  return out;
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string render_outcome(const ExpectedOutcome& o) {
  std::vector<std::string> parts;
  const model::Event& e = o.event;
  if (e.kind == model::EventKind::exception) {
    const char* name = e.vector == model::kPageFaultVector           ? "PF"
                       : e.vector == model::kGeneralProtectionVector ? "GP"
                       : e.vector == model::kInvalidOpcodeVector     ? "UD"
                                                                     : nullptr;
    parts.push_back(std::string("fault: ") + (name ? name : std::to_string(e.vector)));
    if (e.vector == model::kPageFaultVector) {
      parts.push_back("error_code: " + error_code_text(e.error_code));
      parts.push_back("cr2: " + hex(e.cr2.value_or(0)));
    } else if (e.error_code) {
      parts.push_back("error_code: " + hex(e.error_code));
    }
  } else if (e.kind == model::EventKind::dma_fault) {
    parts.push_back(fmt::format("dma_fault: {{ reason: {:#x}, source: {:#06x}, address: {:#x}, read: {} }}", e.fault_reason,
                                e.source_id, e.fault_address, e.fault_read ? "true" : "false"));
  } else if (e.kind == model::EventKind::vm_exit && e.svm && e.exit_reason == model::kSvmExitInvalid) {
    parts.push_back("vm_exit: { reason: invalid }");  // AMD64 APM Vol. 2 15.5.1
  } else if (e.kind == model::EventKind::vm_exit && e.svm && e.exit_reason == model::kSvmExitNpf) {
    // vtspec/vector/3: #VMEXIT(NPF) (AMD64 APM Vol. 2 15.25.6).
    parts.push_back(fmt::format("vm_exit: {{ reason: npf, exit_info1: {:#x}, exit_info2: {:#x} }}", e.qualification,
                                e.guest_physical.value_or(0)));
  } else if (e.kind == model::EventKind::vm_exit && !e.svm &&
             (e.exit_reason == model::kExitEptViolation || e.exit_reason == model::kExitEptMisconfig)) {
    // vtspec/vector/2: an access's EPT violation or misconfiguration (SDM Vol. 3C 28.2.1).
    if (e.exit_reason == model::kExitEptMisconfig) {
      parts.push_back(fmt::format("vm_exit: {{ reason: ept_misconfig, guest_physical: {:#x} }}", e.guest_physical.value_or(0)));
    } else {
      std::string x = fmt::format("reason: ept_violation, qualification: {:#x}", e.qualification & ~e.qualification_undefined);
      if (e.qualification_undefined) x += fmt::format(", qualification_open: {:#x}", e.qualification_undefined);
      x += fmt::format(", guest_physical: {:#x}", e.guest_physical.value_or(0));
      if (e.guest_linear) x += fmt::format(", guest_linear: {:#x}", *e.guest_linear);
      parts.push_back("vm_exit: { " + x + " }");
    }
  } else if (e.kind == model::EventKind::vm_fail_invalid) {
    parts.push_back("vm_fail: invalid");  // SDM Vol. 3C 31.2
  } else if (e.kind == model::EventKind::vm_instruction_error) {
    parts.push_back(fmt::format("vm_fail: {}", e.instruction_error));
  } else if (e.kind == model::EventKind::vm_entry_failure) {
    parts.push_back(fmt::format("vm_entry_failure: {{ reason: {}, qualification: {:#x} }}", e.exit_reason, e.qualification));
  } else if (e.kind != model::EventKind::completed) {
    throw std::invalid_argument("a vector cannot express " + model::describe(e));
  } else if (e.value) {
    parts.push_back("value: " + hex(*e.value));
  } else {
    parts.push_back("ok: true");
  }
  if (!o.entries.empty()) {
    std::vector<std::string> entries;
    for (const auto& f : o.entries)
      entries.push_back(fmt::format("{}: {{ A: {}, D: {} }}", f.name, flag_text(f.accessed), flag_text(f.dirty)));
    parts.push_back(fmt::format("entries: {{ {} }}", fmt::join(entries, ", ")));
  }
  if (!o.flags.empty()) parts.push_back(fmt::format("flags: [{}]", fmt::join(o.flags, ", ")));
  return fmt::format("{{ {} }}", fmt::join(parts, ", "));
}

std::string render_operation(const model::Operation& op, const Expectation* expectation) {
  std::vector<std::string> parts = render_operation_fields(op);
  if (expectation && !expectation->outcomes.empty()) {
    parts.push_back("expect: " + render_outcome(expectation->outcomes[0]));
    if (expectation->outcomes.size() > 1) {
      std::vector<std::string> alts;
      for (std::size_t i = 1; i < expectation->outcomes.size(); ++i) alts.push_back(render_outcome(expectation->outcomes[i]));
      parts.push_back(fmt::format("acceptable: [ {} ]", fmt::join(alts, ", ")));
    }
  }
  return fmt::format("{{ {} }}", fmt::join(parts, ", "));
}

std::string render_vector_file(const std::string& description, const std::vector<VectorText>& vectors) {
  std::string out = "# Generated by `vtspec gen`: expectations come from the model. Do not edit by hand;\n"
                    "# change checker/generate and regenerate (a ctest checks the two agree).\n";
  // The lowest schema every vector fits, so a v1 file regenerates as v1.
  const bool v2 = std::any_of(vectors.begin(), vectors.end(), [](const VectorText& t) { return t.vector->initial.ept.has_value(); });
  const bool v3 = std::any_of(vectors.begin(), vectors.end(), [](const VectorText& t) { return t.vector->initial.npt.has_value(); });
  const bool v4 = std::any_of(vectors.begin(), vectors.end(), [](const VectorText& t) { return t.vector->initial.vmx.has_value(); });
  out += fmt::format("schema: {}\n", v4 ? kVectorSchemaV4 : v3 ? kVectorSchemaV3 : v2 ? kVectorSchemaV2 : kVectorSchema);
  out += "description: " + quoted(description) + "\n";
  std::map<std::string, std::string> notes;
  for (const auto& text : vectors)
    for (const auto& e : text.vector->expectations)
      for (const auto& o : e.outcomes)
        for (const auto& flag : o.flags) notes[flag] = text.vector->notes.at(flag);
  if (!notes.empty()) {
    out += "notes:\n";
    for (const auto& [flag, why] : notes) out += fmt::format("  {}: {}\n", flag, quoted(why));
  }
  out += "vectors:\n";
  for (const auto& [v, state] : vectors) {
    out += "  - id: " + v->id + "\n";
    out += "    description: " + quoted(v->description) + "\n";
    std::vector<std::string> sdm;
    for (const auto& s : v->sdm) sdm.push_back(quoted(s));
    out += fmt::format("    sdm: [{}]\n", fmt::join(sdm, ", "));
    if (!v->requires_features.empty()) out += fmt::format("    requires: [{}]\n", fmt::join(v->requires_features, ", "));
    out += "    state:\n" + indent(state, "      ");
    if (!v->entries.empty()) {
      out += "    entries:\n";
      for (const auto& e : v->entries) out += fmt::format("      {}: {:#x}\n", e.name, e.physical);
    }
    out += "    operations:\n";
    for (std::size_t i = 0; i < v->operations.size(); ++i)
      out += "      - " + render_operation(v->operations[i], i < v->expectations.size() ? &v->expectations[i] : nullptr) + "\n";
  }
  return out;
}

}  // namespace vtspec::vectors
