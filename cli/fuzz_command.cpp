// `vtspec fuzz --target kvm|model [--seed N] [--time 60s | --cases N] [--out DIR] [--known FILE]`
#include <chrono>
#include <iostream>
#include <random>

#include "checker/coverage/outcome_classes.hpp"
#include "cli/commands.hpp"
#include "cli/mutated_target.hpp"
#include "cli/progress_option.hpp"
#include "cli/exit_codes.hpp"
#include "model/shadow/shadow_bug.hpp"
#include "conformance/fuzz/fuzz_run.hpp"
#include "conformance/runner/target_factory.hpp"

namespace vtspec::cli {

namespace {

struct FuzzCommandOptions {
  std::string target = "kvm";
  std::optional<std::uint64_t> seed;
  std::string time;
  std::optional<std::size_t> cases;
  std::string mutation;
  conformance::fuzz::FuzzOptions fuzz;
};

// "60s", "2m", "90" (seconds).
std::optional<double> parse_duration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const std::string unit = text.substr(used);
  if (unit.empty() || unit == "s") return v;
  if (unit == "m") return v * 60;
  return std::nullopt;
}

// The #PF outcome classes of `vtspec gen --cover`, as the fuzzer counts them.
std::vector<conformance::fuzz::CoverageClass> page_fault_classes() {
  std::vector<conformance::fuzz::CoverageClass> out;
  for (const auto& c : checker::outcome_classes())
    if (c.family == checker::OutcomeClass::page_fault) out.push_back({c.id, c.kind, c.cpl, c.value});
  return out;
}

}  // namespace

Action add_fuzz_command(CLI::App& app) {
  auto opts = std::make_shared<FuzzCommandOptions>();
  auto* cmd = app.add_subcommand("fuzz", "Property-based fuzzing of a live target: random vectors judged by the model's "
                                         "allowed sets, divergences shrunk to minimal replayable vectors.");
  cmd->add_option("--target", opts->target, "kvm (default), model, or a shadow-model target (docs/shadow-paging.md)")
      ->check(CLI::IsMember(conformance::target_names()));
  cmd->add_option("--seed", opts->seed, "Seed (default: from the clock; always printed, the same seed gives the same cases)");
  cmd->add_option("--time", opts->time, "Run this long: 60s, 2m (default 60s unless --cases)");
  cmd->add_option("--cases", opts->cases, "Run this many cases");
  cmd->add_option("--out", opts->fuzz.out_dir, "Write each divergence class's minimal vector here (default fuzz-out)");
  cmd->add_option("--known", opts->fuzz.known_path,
                  "Known-divergences list; class entries (no vector:) count documented divergences without failing");
  cmd->add_option("--mutation", opts->mutation,
                  "With --target model: fuzz a model with this mutant's bug (vtspec prove --list); with a shadow-model target: a shadow VMM with a planted bug (" + std::string(model::shadow::shadow_bug_names()) + "); the fuzzer must find it");
  add_progress_option(*cmd, opts->fuzz.progress, "cases");
  cmd->add_option("--shrink-attempts", opts->fuzz.shrink_attempts, "Target runs one shrink may take (default 400)");
  cmd->add_option("--reset-every", opts->fuzz.reset_every,
                  "Cases between order-dependence checks on a fresh VM (default 200; 0: never)");
  return [opts]() -> int {
    auto& f = opts->fuzz;
    f.seed = opts->seed ? *opts->seed : static_cast<std::uint64_t>(std::random_device{}()) << 16 ^
                                            static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    f.seconds = parse_duration(opts->time);
    if (!opts->time.empty() && !f.seconds) {
      std::cerr << "vtspec fuzz: --time '" << opts->time << "': expected seconds, e.g. 60s or 2m\n";
      return kBadInput;
    }
    f.cases = opts->cases;
    if (!f.seconds && !f.cases) f.seconds = 60;
    if (f.out_dir.empty()) f.out_dir = "fuzz-out";
    f.coverage = page_fault_classes();
    const std::string name = opts->target;
    if (!opts->mutation.empty()) {
      std::string error;
      auto mutated = make_mutated_target(name, opts->mutation, error);
      if (!mutated) {
        std::cerr << "vtspec fuzz: " << error << "\n";
        return kBadInput;
      }
      return conformance::fuzz::run_fuzz(*mutated, f, std::cout);
    }
    auto target = conformance::make_target(name);
    return conformance::fuzz::run_fuzz(*target, f, std::cout);
  };
}

}  // namespace vtspec::cli
