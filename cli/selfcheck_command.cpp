// `vtspec selfcheck`: the model's internal consistency checks (placeholder filled below).
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"

namespace vtspec::cli {

Action add_selfcheck_command(CLI::App& app) {
  app.add_subcommand("selfcheck", "Run the model's self-check.");
  return []() -> int { return kOk; };
}

}  // namespace vtspec::cli
