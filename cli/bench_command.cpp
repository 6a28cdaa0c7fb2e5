// `vtspec bench mutation ...` is bench_mutation.cpp.
// `vtspec bench access [--target kvm|model] [--all] [--maxphyaddr N] [--limit N]`: the
// access-test space (docs/access-space.md) generated in memory and run on a target, with the
// figures issue 10 asks for: cases, wall time, cases/s, ms/case and the ratio to
// kvm-unit-tests' x86/access.c on this machine kind (3,359 s for 1,916,928 cases: 1.75 ms a
// case). The generator (model expectations) runs on its own thread and hands vectors to the
// target through a bounded queue, so the two cores work at once; where the time goes is
// reported (generation, the target's run, judging). Every case is judged against the
// model's allowed set as `vtspec run` judges it: a divergence makes the command exit 1,
// with one example per class.
#include <chrono>
#include <deque>
#include <functional>
#include <iostream>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "checker/generate/access_space.hpp"
#include "cli/bench_instances.hpp"
#include "cli/bench_mutation.hpp"
#include "cli/commands.hpp"
#include "cli/progress_option.hpp"
#include "cli/exit_codes.hpp"
#include "conformance/bounded_queue.hpp"
#include "conformance/runner/skip_decision.hpp"
#include "conformance/runner/target_factory.hpp"
#include "conformance/runner/vector_judgement.hpp"

namespace vtspec::cli {

namespace {

namespace as = generate::access_space;
using Clock = std::chrono::steady_clock;

// kvm-unit-tests' x86/access.c on this machine kind (issue 10): 3,359 s for 1,916,928 cases.
constexpr double kAccessCSeconds = 3359.0, kAccessCCases = 1916928.0;
constexpr double kAccessCMsPerCase = kAccessCSeconds * 1000.0 / kAccessCCases;

struct BenchOptions {
  std::string target = "kvm";
  bool all = false;
  unsigned maxphyaddr = 0;  // 0: the target's largest
  std::uint64_t limit = 0;
  bool pregenerate = false;  // generate every vector before the first runs (to time the target alone)
  conformance::ProgressMode progress = conformance::ProgressMode::automatic;
};

// Between the generator thread and the target (memory stays bounded).
using VectorQueue = conformance::BoundedQueue<as::GeneratedVector>;
constexpr std::size_t kQueueCapacity = 256;

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

int run_access_bench(const BenchOptions& o) {
  auto target = conformance::make_target(o.target);
  if (!target) return kBadInput;
  const auto t_probe = Clock::now();
  const conformance::Capabilities& caps = target->capabilities();
  const double probe_s = seconds(Clock::now() - t_probe);
  if (!caps.unavailable.empty()) {
    std::cerr << "vtspec bench: the " << o.target << " target is unavailable here: " << caps.unavailable << "\n";
    return kTargetUnavailable;
  }
  as::Options space;
  space.maxphyaddr = o.maxphyaddr ? o.maxphyaddr : caps.max_maxphyaddr;
  space.kvm_unit_tests_only = !o.all;
  space.pku = o.all || caps[model::Feature::pku].can_have;  // access.c leaves keys out where CR4.PKE cannot be set
  space.state_text = false;                                  // vectors in memory: no YAML
  const std::uint64_t space_cases = as::enumerated_cases(space);
  std::cout << fmt::format("vtspec bench access: {} on {} at MAXPHYADDR {}: {} cases in the space "
                           "(docs/access-space.md){}\n",
                           o.all ? "the whole access space" : "the kvm-unit-tests part (x86/access.c's cases)",
                           caps.identity.describe(), space.maxphyaddr, space_cases,
                           o.limit ? fmt::format(", the first {} of them", o.limit) : "");

  VectorQueue queue(kQueueCapacity);
  as::Report report;
  double generate_cpu_s = 0;
  std::string generate_error;
  std::deque<as::GeneratedVector> pregenerated;
  auto generate_all = [&](const std::function<void(as::GeneratedVector&&)>& sink) {
    const auto t0 = Clock::now();
    try {
      report = as::generate(
          space, [&](const model::CpuNeeds& needs) { return conformance::skip_reason(needs, caps); }, sink, o.limit);
    } catch (const std::exception& e) {
      generate_error = e.what();
    }
    generate_cpu_s = seconds(Clock::now() - t0);
  };
  if (o.pregenerate) {
    generate_all([&](as::GeneratedVector&& v) { pregenerated.push_back(std::move(v)); });
    for (auto& v : pregenerated) queue.push_unbounded(std::move(v));
    pregenerated.clear();
    queue.close();
  }
  const auto start = Clock::now();
  std::thread generator([&] {
    if (o.pregenerate) return;
    generate_all([&](as::GeneratedVector&& v) { queue.push(std::move(v)); });
    queue.close();
  });

  // The space's cases (or the limit): those the target cannot run are not generated, so the
  // line can end short of its total only where the report lists them as not runnable.
  conformance::Progress progress(std::cerr, conformance::progress_wanted(o.progress), "vtspec bench access", "cases");
  progress.expect_total(o.limit ? std::min<std::uint64_t>(o.limit, space_cases) : space_cases);
  std::uint64_t cases = 0, vectors = 0, operations = 0, failed_vectors = 0, failed_operations = 0, errors = 0;
  Clock::duration run_time{}, judge_time{}, wait_time{};
  std::map<std::string, std::pair<std::uint64_t, std::string>> classes;  // class -> (count, first example)
  as::GeneratedVector g;
  for (;;) {
    const auto t_wait = Clock::now();
    if (!queue.pop(g)) break;
    const auto t_run = Clock::now();
    wait_time += t_run - t_wait;
    const conformance::VectorResult result = target->run(g.vector);
    const auto t_judge = Clock::now();
    run_time += t_judge - t_run;
    ++vectors;
    cases += g.cases;
    progress.done(g.cases);
    operations += g.vector.operations.size();
    if (result.status != conformance::VectorResult::Status::ran) {
      ++errors;
      auto& c = classes[result.status == conformance::VectorResult::Status::skipped ? "skipped by the target" : "target error"];
      if (c.first++ == 0) c.second = fmt::format("{}: {}", g.vector.id, result.reason);
      continue;
    }
    // Judged as `vtspec run` judges (conformance/runner/vector_judgement.hpp).
    conformance::VectorRecord record;
    conformance::judge(g.vector, result, record);
    failed_operations += record.divergences;
    failed_vectors += record.divergences != 0;
    if (record.divergences) progress.set_note(fmt::format("{} divergent vectors", failed_vectors));
    for (const auto& d : record.divergent) {
      auto& c = classes[d.class_key];
      if (c.first++ == 0) c.second = fmt::format("{}: {}", g.vector.id, record.details.substr(0, record.details.find('\n')));
    }
    judge_time += Clock::now() - t_judge;
  }
  generator.join();
  progress.finish();
  const double wall = seconds(Clock::now() - start);
  if (!generate_error.empty()) {
    std::cerr << "vtspec bench: the generator failed: " << generate_error << "\n";
    return kCheckFailed;
  }

  const double ms_per_case = cases ? wall * 1000.0 / static_cast<double>(cases) : 0;
  std::cout << fmt::format("ran {} cases in {} vectors ({} operations) on {}: wall time {:.1f} s\n", cases, vectors,
                           operations, o.target, wall);
  std::cout << fmt::format("  {:.0f} cases/s, {:.4f} ms/case; kvm-unit-tests x86/access.c: {:.2f} ms/case "
                           "({} s for {} cases), ratio {:.1f}x\n",
                           cases / wall, ms_per_case, kAccessCMsPerCase, kAccessCSeconds, kAccessCCases,
                           ms_per_case > 0 ? kAccessCMsPerCase / ms_per_case : 0.0);
  if (!o.all && !o.limit)
    std::cout << fmt::format("  access.c's {} cases are {} distinct configurations, all run here; at this rate the "
                             "kvm-unit-tests space takes {:.1f} s (access.c: {} s)\n",
                             kAccessCCases, cases, wall, kAccessCSeconds);
  std::cout << fmt::format("  where the time goes: target run {:.1f} s, judging {:.1f} s, waiting for the generator "
                           "{:.1f} s; generator{} (model expectations) {:.1f} s; capability probes {:.1f} s\n",
                           seconds(run_time), seconds(judge_time), seconds(wait_time),
                           o.pregenerate ? ", before the clock started," : " thread", generate_cpu_s, probe_s);
  for (const auto& [reason, n] : report.not_runnable)
    std::cout << fmt::format("  not runnable on {}: {} cases: {}\n", o.target, n, reason);
  for (const auto& [key, c] : classes) std::cout << fmt::format("  DIVERGENCE {} x{}: e.g. {}\n", key, c.first, c.second);
  std::cout << fmt::format("  {} vectors diverge ({} operations), {} not run\n", failed_vectors, failed_operations, errors);
  return failed_vectors || errors ? kCheckFailed : kOk;
}

}  // namespace

Action add_bench_command(CLI::App& app) {
  auto opts = std::make_shared<BenchOptions>();
  auto* cmd = app.add_subcommand("bench", "Measure a target's throughput on a generated space, or the mutation score of spec/.");
  cmd->require_subcommand(1);
  auto* access = cmd->add_subcommand(
      "access", "The kvm-unit-tests access-test space (docs/access-space.md) in memory on a target: wall time, cases/s, "
                "ms/case and the ratio to x86/access.c's 1.75 ms/case on this machine kind");
  access->add_option("--target", opts->target, "kvm (default) or model")->check(CLI::IsMember({"model", "kvm"}));
  access->add_flag("--all", opts->all, "The whole space the target can run (default: the part x86/access.c covers)");
  access->add_option("--maxphyaddr", opts->maxphyaddr, "The virtual CPU's MAXPHYADDR (default: the target's largest, as access.c runs)");
  access->add_option("--limit", opts->limit, "Stop after this many cases");
  add_progress_option(*access, opts->progress, "cases");
  access->add_flag("--pregenerate", opts->pregenerate,
                   "Generate every vector before the first runs, so the wall time is the target's alone (holds them all "
                   "in memory: use with --limit)");
  auto corpus_opts = std::make_shared<InstancesBenchOptions>();
  auto* corpus = cmd->add_subcommand(
      "corpus", "Checked-in vectors on N instances of a target side by side (for QEMU targets N machines), each run "
                "judged against the model: wall time, vectors/s and operations/s, per-instance start-up");
  corpus->add_option("--target", corpus_opts->target, "the target (default qemu-svm)")
      ->check(CLI::IsMember(conformance::target_names()));
  corpus->add_option("--instances", corpus_opts->instances, "target instances running at once (default 1)");
  corpus->add_option("--repeat", corpus_opts->repeat, "run the vectors this many times over (default 1)");
  corpus->add_option("--known", corpus_opts->known_path, "known-divergences list: listed divergences do not fail the bench");
  corpus->add_option("paths", corpus_opts->paths, "vector files or directories")->required();
  auto* mutation = cmd->add_subcommand(
      "mutation", "The systematic mutation bench of spec/ (docs/mutation-score.md): sites | build | run [--sample N --seed S "
                  "| --ids I,J] | check --ids KEY; the arguments go to checker/mutants/spec_mutation_bench.py");
  mutation->prefix_command();
  return [opts, mutation, corpus, corpus_opts]() -> int {
    if (mutation->parsed()) return run_mutation_bench(mutation->remaining());
    if (corpus->parsed()) return run_instances_bench(*corpus_opts);
    return run_access_bench(*opts);
  };
}

}  // namespace vtspec::cli
