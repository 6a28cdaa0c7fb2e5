// `vtspec report merge RESULTS... [--html DIR]`: results files of many shards and hosts as
// one summary, a row per target identity (conformance/runner/results_merge.hpp).
#include <iostream>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "conformance/runner/results_merge.hpp"

namespace vtspec::cli {

namespace {
struct ReportCommandOptions {
  std::vector<std::string> results;
};
}  // namespace

Action add_report_command(CLI::App& app) {
  auto opts = std::make_shared<ReportCommandOptions>();
  auto* cmd = app.add_subcommand("report", "Reports over results files (`vtspec run --results`).");
  cmd->require_subcommand(1);
  auto* merge = cmd->add_subcommand(
      "merge", "Merge results files of many shards and hosts into one summary: a row per target identity (kernel, CPU "
               "model, backend) and, per divergence class, the identities that show it. Exit 1 when any record failed");
  merge->add_option("results", opts->results, "Results files (JSON lines, vectors/SCHEMA.md, \"Results files\")")
      ->required();
  return [opts]() -> int {
    try {
      const auto merged = conformance::merge_results(opts->results);
      conformance::write_merged_summary(std::cout, merged);
      return conformance::merged_exit_code(merged);
    } catch (const std::exception& e) {
      std::cerr << "vtspec report merge: " << e.what() << "\n";
      return kBadInput;
    }
  };
}

}  // namespace vtspec::cli
