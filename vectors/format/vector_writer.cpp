#include "vectors/format/vector_writer.hpp"

#include <map>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "spec/page_fault_error_code.hpp"

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
  } else if (e.kind != model::EventKind::completed) {
    throw std::invalid_argument("vtspec/vector/1 cannot express " + model::describe(e));
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
  using model::OperationKind;
  std::vector<std::string> parts;
  switch (op.kind) {
    case OperationKind::access: {
      const auto kind = op.access.kind;
      parts.push_back(kind == spec::AccessKind::read ? "op: read" : kind == spec::AccessKind::write ? "op: write" : "op: fetch");
      parts.push_back("va: " + hex(op.access.linear));
      if (kind != spec::AccessKind::fetch) parts.push_back(fmt::format("size: {}", op.size));
      parts.push_back(fmt::format("cpl: {}", op.access.cpl));
      if (kind == spec::AccessKind::write) parts.push_back("value: " + hex(op.value));
      break;
    }
    case OperationKind::store_entry:
      parts = {"op: store_entry", "gpa: " + hex(op.address), "value: " + hex(op.value)};
      break;
    case OperationKind::invlpg: parts = {"op: invlpg", "va: " + hex(op.address)}; break;
    case OperationKind::mov_cr3:
      parts = {"op: mov_cr3", "value: " + hex(op.value & ~(std::uint64_t{1} << 63))};
      if (op.value >> 63) parts.push_back("no_flush: true");
      break;
    case OperationKind::mov_cr4: parts = {"op: mov_cr4", "value: " + hex(op.value)}; break;
    case OperationKind::invpcid:
      parts = {"op: invpcid", fmt::format("type: {}", op.type), "pcid: " + hex(op.pcid)};
      if (op.type == 0) parts.push_back("va: " + hex(op.address));
      break;
    default: parts = {std::string("op: ") + model::to_string(op.kind)}; break;
  }
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
  out += fmt::format("schema: {}\n", kVectorSchema);
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
