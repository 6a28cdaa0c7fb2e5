// `vtspec walk STATE.yaml --va ADDR --access read|write|fetch --cpl N`
#include <cstdio>
#include <map>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "model/walk_trace.hpp"
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
      const auto t = model::translate(state, req);
      std::fputs(model::format_walk(state, req, t).c_str(), stdout);
      return kOk;
    } catch (const vectors::LoadError& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
      return kBadInput;
    }
  };
}

}  // namespace vtspec::cli
