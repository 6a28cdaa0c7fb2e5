#include <cstdio>
#include <map>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"

int main(int argc, char** argv) {
  using namespace vtspec::cli;
  CLI::App app{
      "vtspec: a reference model of x86 memory virtualization and its conformance suite.\n"
      "Exit codes: 0 ok, 1 check failed, 2 bad input or usage, 3 target unavailable."};
  app.require_subcommand(1);
  std::map<CLI::App*, Action> actions;
  auto add = [&](Action (*registrar)(CLI::App&)) {
    const std::size_t before = app.get_subcommands({}).size();
    Action action = registrar(app);
    actions[app.get_subcommands({})[before]] = std::move(action);
  };
  add(add_walk_command);
  add(add_gen_command);
  add(add_run_command);
  add(add_prove_command);
  add(add_bench_command);
  add(add_fuzz_command);
  add(add_oracle_command);
  add(add_report_command);
  add(add_explain_entry_command);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kOk : kBadInput;
  }
  for (auto* sub : app.get_subcommands()) return actions.at(sub)();
  return kBadInput;
}
