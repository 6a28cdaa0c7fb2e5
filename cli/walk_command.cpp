// `vtspec walk STATE.yaml --va ADDR --access read|write|fetch --cpl N`
#include <cstdio>
#include <map>
#include <stdexcept>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "model/processor/processor.hpp"
#include "model/walk_trace.hpp"
#include "spec/canonical_address.hpp"
#include "vectors/format/history_section.hpp"
#include "vectors/format/load_error.hpp"
#include "vectors/format/state_file.hpp"

namespace vtspec::cli {

namespace {
struct WalkOptions {
  std::string state_path;
  std::string va;
  std::string access = "read";
  unsigned cpl = 0;
  bool implicit = false;
};
// The TLB part of `vtspec walk`: every cached entry after the history, then every allowed
// outcome with the entry that could supply it and why that entry is still valid.
std::string format_cached_outcomes(const model::Processor& m, const model::AccessRequest& req) {
  const auto ctx = m.context();
  std::string out = fmt::format("\nTLB model after {} history steps (VPID {}, PCID {:#x}{}):\n", m.steps(), ctx.vpid,
                                ctx.pcid, ctx.ept_active ? fmt::format(", EP4TA {:#x}", ctx.ep4ta) : "");
  const auto& entries = m.tlb().entries();
  out += fmt::format("  cached entries ({}):\n", entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) out += fmt::format("    [{}] {}\n", i, entries[i].describe());
  out += "  allowed outcomes with the caches (SDM Vol. 3A 4.10, Vol. 3C 29.4):\n";
  for (const auto& a : m.allowed(req)) {
    out += fmt::format("    - {}  via {}", a.outcome.describe(), model::to_string(a.source));
    if (a.source == model::SourceKind::fresh_walk) {
      out += "\n";
      continue;
    }
    out += fmt::format(" [{}] {}\n", a.entry, entries[a.entry].describe());
    for (const auto& line : m.tlb().explain(a.entry)) out += fmt::format("        {}\n", line);
  }
  return out;
}

}  // namespace

Action add_walk_command(CLI::App& app) {
  auto opts = std::make_shared<WalkOptions>();
  auto* cmd = app.add_subcommand("walk", "Translate one access on a machine state and print every memory reference, "
                                         "the decoded entries and the allowed outcomes.");
  cmd->add_option("state", opts->state_path, "Machine state (YAML, schema vtspec/state/1)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--va", opts->va, "Linear address (0x...)")->required();
  cmd->add_option("--access", opts->access, "read, write or fetch")
      ->check(CLI::IsMember({"read", "write", "fetch"}));
  cmd->add_option("--cpl", opts->cpl, "Current privilege level 0-3")->check(CLI::Range(0, 3));
  cmd->add_flag("--implicit", opts->implicit, "An implicit supervisor-mode access (e.g. a descriptor-table read)");
  return [opts]() -> int {
    model::AccessRequest req;
    try {
      req.linear = vectors::parse_number(YAML::Node(opts->va), "(command line)", "--va");
      const auto state = vectors::load_state_file(opts->state_path);
      static const std::map<std::string, spec::AccessKind> kinds = {
          {"read", spec::AccessKind::read}, {"write", spec::AccessKind::write}, {"fetch", spec::AccessKind::fetch}};
      req.kind = kinds.at(opts->access);
      req.cpl = opts->cpl;
      req.implicit_supervisor = opts->implicit;
      // A non-canonical address faults before paging (spec/canonical_address.hpp): the
      // answer is #GP(0) (a data reference; a stack reference would be #SS(0)), no walk.
      if (!spec::is_canonical(req.linear, state.paging_levels())) {
        const auto fault = spec::non_canonical_fault(spec::SegmentUse::data);
        std::fputs(fmt::format("{} {:#x} at CPL {}: the address is not canonical for {}-level paging (bits 63:{} are not "
                               "all equal)\n"
                               "outcome: #GP({}) (vector {}); a reference through SS would be #SS(0). No paging-structure "
                               "entry is read, no accessed flag is set, CR2 is unchanged (SDM Vol. 1 3.3.7.1; Vol. 3A 6.15)\n",
                               opts->access, req.linear, req.cpl, state.paging_levels(),
                               spec::linear_address_bits(state.paging_levels()) - 1, fault.error_code, fault.vector)
                       .c_str(),
                   stdout);
        return kOk;
      }
      const auto history = vectors::load_history_file(opts->state_path);
      if (history.empty()) {
        const auto t = model::translate(state, req);
        std::fputs(model::format_walk(state, req, t).c_str(), stdout);
        return kOk;
      }
      // With a history, replay it on the processor model and show what the caches may supply.
      model::Processor machine(state, {}, {.capacity = 0, .keep_log = true});
      for (std::size_t i = 0; i < history.size(); ++i) {
        try {
          machine.apply(history[i]);
        } catch (const std::invalid_argument& e) {
          throw vectors::LoadError(opts->state_path, 0, 0, fmt::format("history[{}]", i), e.what());
        }
      }
      const auto t = model::translate(machine.state(), req);
      std::fputs(model::format_walk(machine.state(), req, t).c_str(), stdout);
      std::fputs(format_cached_outcomes(machine, req).c_str(), stdout);
      return kOk;
    } catch (const vectors::LoadError& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
      return kBadInput;
    }
  };
}

}  // namespace vtspec::cli
