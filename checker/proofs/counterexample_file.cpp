#include "checker/proofs/counterexample_file.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

namespace vtspec::checker {

const char* access_name(spec::AccessKind kind) {
  switch (kind) {
    case spec::AccessKind::read: return "read";
    case spec::AccessKind::write: return "write";
    case spec::AccessKind::fetch: return "fetch";
  }
  return "read";
}

std::string replay_command(const std::string& file, const model::AccessRequest& a) {
  return fmt::format("vtspec walk {} --va {:#x} --access {} --cpl {}{}", file, a.linear, access_name(a.kind), a.cpl,
                     a.implicit_supervisor ? " --implicit" : "");
}

namespace {
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') { out += "\\n"; continue; }
    out += c;
  }
  return out + "\"";
}
const char* yes(bool b) { return b ? "true" : "false"; }
}  // namespace

std::string state_yaml(const model::MachineState& s, const std::string& description) {
  std::string y = "schema: vtspec/state/1\n";
  y += "description: " + quoted(description) + "\n";
  const auto& f = s.features;
  y += fmt::format(
      "features: {{ maxphyaddr: {}, page1gb: {}, la57: {}, smep: {}, smap: {}, pku: {}, pks: {}, pcid: {}, nx: {} }}\n",
      f.maxphyaddr, yes(f.page1gb), yes(f.la57), yes(f.smep), yes(f.smap), yes(f.pku), yes(f.pks), yes(f.pcid), yes(f.nx));
  const auto& r = s.regs;
  y += fmt::format("registers: {{ cr0: {:#x}, cr3: {:#x}, cr4: {:#x}, efer: {:#x}, rflags: {:#x}, pkru: {:#x}, pkrs: {:#x} }}\n",
                   r.cr0, r.cr3, r.cr4, r.efer, r.rflags, r.pkru, r.pkrs);
  if (s.ept) {
    const auto& c = s.ept->caps;
    y += fmt::format("ept:\n  eptp: {:#x}\n", s.ept->eptp);
    y += fmt::format(
        "  caps: {{ execute_only: {}, walk_length_4: {}, walk_length_5: {}, memory_type_uc: {}, memory_type_wb: {}, "
        "page_2m: {}, page_1g: {}, accessed_dirty: {}, advanced_exit_info: {}, mode_based_execute: {} }}\n",
        yes(c.execute_only), yes(c.walk_length_4), yes(c.walk_length_5), yes(c.memory_type_uc), yes(c.memory_type_wb),
        yes(c.page_2m), yes(c.page_1g), yes(c.accessed_dirty), yes(c.advanced_exit_info), yes(c.mode_based_execute));
  }
  std::string mem;
  auto frames = s.memory.frame_numbers();
  std::sort(frames.begin(), frames.end());
  for (std::uint64_t frame : frames) {
    for (std::uint64_t off = 0; off < model::PhysicalMemory::kFrameSize; off += 8) {
      const std::uint64_t a = frame * model::PhysicalMemory::kFrameSize + off;
      const std::uint64_t v = s.memory.read64(a);
      if (v) mem += fmt::format("  - {{ hpa: {:#x}, u64: {:#x} }}\n", a, v);
    }
  }
  if (!mem.empty()) y += "memory:\n" + mem;
  return y;
}

bool write_text_file(const std::string& path, const std::string& text) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::ofstream out(path);
  if (!out) return false;
  out << text;
  return static_cast<bool>(out);
}

}  // namespace vtspec::checker
