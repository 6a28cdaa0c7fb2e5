// Each subcommand registers itself on the CLI11 app and returns the action to run.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace vtspec::cli {

using Action = std::function<int()>;

Action add_walk_command(CLI::App& app);
Action add_gen_command(CLI::App& app);
Action add_run_command(CLI::App& app);
Action add_prove_command(CLI::App& app);
Action add_bench_command(CLI::App& app);
Action add_fuzz_command(CLI::App& app);
Action add_oracle_command(CLI::App& app);
Action add_report_command(CLI::App& app);
Action add_explain_entry_command(CLI::App& app);

}  // namespace vtspec::cli
