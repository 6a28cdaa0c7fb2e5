// `vtspec run --target model|kvm|auto [--results FILE [--resume]] [--tap] [--junit FILE]
//  [--format text|json] [--known FILE] [--shard K/N] [--list] [--html DIR] PATH...`
#include <iostream>

#include "cli/commands.hpp"
#include "cli/mutated_target.hpp"
#include "cli/progress_option.hpp"
#include "cli/exit_codes.hpp"
#include "conformance/runner/runner.hpp"
#include "conformance/runner/target_factory.hpp"
#include "conformance/runner/vector_listing.hpp"

namespace vtspec::cli {

namespace {
struct RunCommandOptions {
  std::string target = "model";
  std::vector<std::string> paths;
  std::string format = "text";
  std::string shard;
  bool list = false;
  std::string mutation;
  conformance::RunOptions run;
};
}  // namespace

Action add_run_command(CLI::App& app) {
  auto opts = std::make_shared<RunCommandOptions>();
  auto* cmd = app.add_subcommand("run", "Run vectors on a target and compare every outcome with the allowed set.");
  cmd->add_option("--target", opts->target,
                  "model, kvm, a shadow-model target (the reference shadow-paging VMM under one of its policies, "
                  "docs/shadow-paging.md), or auto (KVM when /dev/kvm is usable, otherwise the model, saying why)")
      ->check(CLI::IsMember([] {
        auto names = conformance::target_names();
        names.emplace_back("auto");
        return names;
      }()));
  cmd->add_option("paths", opts->paths, "Vector files or directories (searched for *.yaml vector files)")->required();
  cmd->add_option("--results", opts->run.results_path,
                  "Write one JSON line per finished vector to FILE (vectors/SCHEMA.md, \"Results files\"), synced as "
                  "each finishes. FILE must be absent or empty: an existing non-empty FILE is refused, never "
                  "overwritten (use --resume to continue it). FILE is locked while the run lasts: a second run "
                  "writing it is refused");
  cmd->add_flag("--resume", opts->run.resume,
                "Continue the run recorded in --results FILE: vectors with a record of the same id and content hash "
                "are not run again, a vector edited since runs again, a torn last line is cut off, new records are "
                "appended; refused if FILE holds another target's records (or this target's on another kernel, "
                "CPU or KVM backend) or a damaged line. An absent FILE starts a new run");
  cmd->add_flag("--tap", opts->run.tap, "Print TAP instead of the plain report");
  cmd->add_option("--junit", opts->run.junit_path,
                  "Write a JUnit XML report to FILE; a divergence's failure message is its allowed-versus-observed text");
  cmd->add_option("--html", opts->run.html_dir,
                  "Write a static HTML report to DIR/index.html (everything inline: works offline): the per-target "
                  "matrix, each divergence class with its minimal vector, the allowed set against the observation, "
                  "the walk as a table of levels (a two-dimensional walk as the grid of guest and EPT references)");
  cmd->add_flag("-v,--verbose", opts->run.verbose, "Also list passing and skipped vectors");
  cmd->add_option("--format", opts->format, "text (the plain report) or json (one JSON document on stdout)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--known", opts->run.known_path,
                  "Known-divergences list (YAML, vectors/SCHEMA.md): listed divergences are KNOWN, not FAIL");
  cmd->add_option("--shard", opts->shard,
                  "Run shard K of N (K from 1): the vectors whose id's FNV-1a 64 hash is K-1 modulo N, so shards "
                  "partition the corpus and stay put as it grows. Without it, GTEST_SHARD_INDEX (from 0) and "
                  "GTEST_TOTAL_SHARDS shard the run as they shard a GoogleTest binary");
  cmd->add_flag("--list", opts->list,
                "List the vectors (of the shard) with what each needs from a target, one file line then one "
                "indented line per vector, and run nothing");
  add_progress_option(*cmd, opts->run.progress, "vectors");
  cmd->add_option("--mutation", opts->mutation,
                  "Run on a target with a planted bug, e.g. to replay a counterexample of `vtspec prove --mutation`: "
                  "with --target model one of the access-rights mutants (vtspec prove --list), with a shadow-model "
                  "target a shadow VMM bug (model/shadow/shadow_bug.hpp)");
  return [opts]() -> int {
    try {
      if (!opts->shard.empty()) opts->run.shard = conformance::parse_shard(opts->shard);
      else if (const auto from_environment = conformance::shard_from_process_environment()) opts->run.shard = *from_environment;
    } catch (const std::invalid_argument& e) {
      std::cerr << "vtspec run: " << e.what() << "\n";
      return kBadInput;
    }
    if (opts->list) return conformance::list_vectors(opts->paths, opts->run.shard, std::cout, std::cerr);
    if (opts->run.resume && opts->run.results_path.empty()) {
      std::cerr << "vtspec run: --resume needs --results FILE\n";
      return kBadInput;
    }
    if (opts->format == "json" && opts->run.tap) {
      std::cerr << "vtspec run: --tap and --format json both choose the output; pick one\n";
      return kBadInput;
    }
    opts->run.format = opts->format == "json" ? conformance::RunOptions::Format::json : conformance::RunOptions::Format::text;
    std::unique_ptr<conformance::Target> target;
    if (!opts->mutation.empty()) {
      std::string error;
      target = make_mutated_target(opts->target, opts->mutation, error);
      if (!target) {
        std::cerr << "vtspec run: " << error << "\n";
        return kBadInput;
      }
    } else {
      target = conformance::make_target(opts->target == "auto" ? "kvm" : opts->target);
    }
    if (opts->target == "auto" && opts->mutation.empty()) {
      const std::string why = target->capabilities().unavailable;
      if (!why.empty()) {
        std::cerr << "vtspec run: KVM is not usable here (" << why << "); running the vectors on the model instead\n";
        target = conformance::make_target("model");
      }
    }
    try {
      return conformance::run_vectors(*target, opts->paths, opts->run, std::cout);
    } catch (const std::exception& e) {
      std::cerr << "vtspec run: " << e.what() << "\n";
      return kBadInput;
    }
  };
}

}  // namespace vtspec::cli
