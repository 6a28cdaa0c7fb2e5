// Each subcommand registers itself on the CLI11 app and returns the action to run.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace vtspec::cli {

using Action = std::function<int()>;

Action add_walk_command(CLI::App& app);
Action add_selfcheck_command(CLI::App& app);

}  // namespace vtspec::cli
