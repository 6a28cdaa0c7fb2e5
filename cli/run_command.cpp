// `vtspec run --target model|kvm|qemu-vtd|qemu-svm|bochs|auto|... [--results FILE [--resume]]
//  [--tap] [--junit FILE] [--format text|json] [--known FILE]... [--shard K/N] [--list]
//  [--html DIR] PATH...`
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/mutated_target.hpp"
#include "cli/progress_option.hpp"
#include "cli/exit_codes.hpp"
#include "conformance/runner/runner.hpp"
#include "conformance/runner/known_divergences.hpp"
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
  std::vector<std::string> known;
  conformance::RunOptions run;
};

// The real targets `--target auto` runs, each where it is available here.
const char* const kAutoTargets[] = {"kvm", "qemu-vtd", "qemu-svm", "bochs", "kvm-vmx"};

// The known-divergences list for `target`: the one --known file, or among several the one
// with entries for it (a list's entries each name their target). Empty: none.
std::string known_list_for(const std::string& target, const std::vector<std::string>& files) {
  if (files.size() == 1) return files.front();
  std::string chosen;
  for (const auto& f : files) {
    bool names_it = true;
    try {
      names_it = !conformance::KnownDivergences::load(f, target).empty();
    } catch (const std::exception&) {
      // a broken list is the runner's to report, with file, line and column
    }
    if (!names_it) continue;
    if (!chosen.empty())
      throw std::invalid_argument(fmt::format("--known {} and --known {} both list divergences of target {}", chosen, f, target));
    chosen = f;
  }
  return chosen;
}

// `--target auto`: every real target available here runs the paths, with its own known list;
// one that is not available says why in one line. None at all: the model, saying so. The
// end is one summary line per target. The exit code is the worst run's (2, then 1, then 3).
int run_auto(RunCommandOptions& opts) {
  std::vector<std::unique_ptr<conformance::Target>> available;
  std::vector<std::string> absent;
  for (const char* name : kAutoTargets) {
    auto t = conformance::make_target(name);
    if (const std::string why = t->capabilities().unavailable; !why.empty())
      absent.push_back(fmt::format("{}: {}", name, why));
    else
      available.push_back(std::move(t));
  }
  for (const auto& a : absent) std::cerr << "vtspec run --target auto: not here: " << a << "\n";
  if (available.empty()) {
    std::cerr << "vtspec run: no real target is usable here; running the vectors on the model instead\n";
    available.push_back(conformance::make_target("model"));
  }
  const bool single_output = opts.run.format == conformance::RunOptions::Format::json || opts.run.tap ||
                             !opts.run.results_path.empty() || !opts.run.junit_path.empty() || !opts.run.html_dir.empty();
  if (available.size() > 1 && single_output) {
    std::cerr << "vtspec run: --target auto runs " << available.size()
              << " targets here; --format json, --tap, --results, --junit and --html describe one target's run: "
                 "give the target by name\n";
    return kBadInput;
  }
  std::vector<std::string> lines;
  int worst = kOk;
  for (auto& target : available) {
    conformance::RunOptions options = opts.run;
    options.known_path = known_list_for(target->name(), opts.known);
    conformance::RunSummary summary;
    const int code = conformance::run_vectors(*target, opts.paths, options, std::cout, &summary);
    lines.push_back(fmt::format("  {} ({}): {} vectors: {} passed, {} failed, {} skipped, {} errors, {} known divergences in "
                                "{:.2f} s",
                                target->name(), target->capabilities().identity.describe(), summary.vectors, summary.passed,
                                summary.failed, summary.skipped, summary.errors, summary.known, summary.seconds));
    auto rank = [](int c) { return c == kBadInput ? 3 : c == kCheckFailed ? 2 : c == kTargetUnavailable ? 1 : 0; };
    if (rank(code) > rank(worst)) worst = code;
  }
  std::cout << fmt::format("vtspec run --target auto: {} target{}\n", available.size(), available.size() == 1 ? "" : "s");
  for (const auto& l : lines) std::cout << l << "\n";
  for (const auto& a : absent) std::cout << "  not here: " << a << "\n";
  return worst;
}
}  // namespace

Action add_run_command(CLI::App& app) {
  auto opts = std::make_shared<RunCommandOptions>();
  auto* cmd = app.add_subcommand("run", "Run vectors on a target and compare every outcome with the allowed set.");
  cmd->add_option("--target", opts->target,
                  "model, kvm, qemu-vtd, qemu-svm, bochs, a shadow-model target (the reference shadow-paging VMM "
                  "under one of its policies, docs/shadow-paging.md), kvm-vmx (the EPT vectors on the host KVM's nested VMX), or "
                  "auto (every real target usable here - kvm, qemu-vtd, qemu-svm, bochs, kvm-vmx - one after another, each saying what it skips, with one summary line "
                  "per target at the end; the model when none is, saying why)")
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
  cmd->add_option("--known", opts->known,
                  "Known-divergences list (YAML, vectors/SCHEMA.md): listed divergences are KNOWN, not FAIL. May be "
                  "given once per target: each target takes the list whose entries name it")
      ->allow_extra_args(false);  // one file per --known: the paths after it stay paths
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
    } else if (opts->target == "auto") {
      try {
        return run_auto(*opts);
      } catch (const std::exception& e) {
        std::cerr << "vtspec run: " << e.what() << "\n";
        return kBadInput;
      }
    } else {
      target = conformance::make_target(opts->target);
    }
    try {
      opts->run.known_path = known_list_for(target->name(), opts->known);
    } catch (const std::exception& e) {
      std::cerr << "vtspec run: " << e.what() << "\n";
      return kBadInput;
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
