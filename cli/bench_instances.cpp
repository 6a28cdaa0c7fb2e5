// `vtspec bench corpus --target T [--instances N] [--repeat R] [--known FILE] PATH...`: the
// throughput of a target on checked-in vectors, with N instances of the target side by side
// (for an emulator target, N QEMU processes: each instance owns its machine), the vectors
// handed out one at a time to whichever instance is free - a batch at a time to a target that
// runs many per machine (Target::batch_size: Bochs, whose own processes per target
// VTSPEC_BOCHS_INSTANCES sets). Every run is judged as `vtspec
// run` judges it (vector_judgement.hpp); a divergence not on the known list makes the
// command exit 1, so a fast wrong target is never a result. Reported: wall time, vectors/s
// and operations/s over the whole run and after the slowest instance's start-up, and per
// instance its start-up time and share.
#include "cli/bench_instances.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "cli/exit_codes.hpp"
#include "conformance/runner/known_divergences.hpp"
#include "conformance/runner/skip_decision.hpp"
#include "conformance/runner/target_factory.hpp"
#include "conformance/runner/vector_judgement.hpp"
#include "vectors/format/corpus_file.hpp"
#include "vectors/format/load_error.hpp"

namespace vtspec::cli {

namespace {

using Clock = std::chrono::steady_clock;
double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

struct Instance {
  double startup_s = 0;  // make_target and capabilities(): for QEMU targets, booting a machine
  std::size_t vectors = 0;
  std::string unavailable;
};

struct Tally {
  std::mutex lock;
  std::size_t passed = 0, skipped = 0, failed = 0, known = 0, errors = 0, operations = 0;
  std::map<std::string, std::pair<std::size_t, std::string>> classes;  // unknown divergences: count, one example
  std::map<std::string, std::size_t> skip_reasons;
};

}  // namespace

int run_instances_bench(const InstancesBenchOptions& o) {
  if (o.instances == 0 || o.repeat == 0) {
    std::cerr << "vtspec bench corpus: --instances and --repeat are at least 1\n";
    return kBadInput;
  }
  // Every vector first: the clock then times the target alone.
  std::vector<vectors::Vector> all;
  conformance::KnownDivergences known;
  try {
    if (!o.known_path.empty()) known = conformance::KnownDivergences::load(o.known_path, o.target);
    const vectors::CorpusListing listing = vectors::find_corpus_files(o.paths);
    for (const auto& [dir, why] : listing.unlisted) {
      std::cerr << fmt::format("vtspec bench corpus: {}: cannot list directory: {}\n", dir, why);
      return kBadInput;
    }
    for (const vectors::CorpusFile& file : listing.files) {
      vectors::CorpusFileContents contents = vectors::load_corpus_file(file);
      if (contents.kind != vectors::CorpusFileContents::Kind::vectors) continue;
      for (std::size_t i = 0; i < contents.vectors.size(); ++i) {
        all.push_back(contents.vectors.load(i));
        known.loaded(all.back().id, all.back().operations.size());
      }
    }
  } catch (const vectors::LoadError& e) {
    std::cerr << "vtspec bench corpus: " << e.what() << "\n";
    return kBadInput;
  }
  if (all.empty()) {
    std::cerr << "vtspec bench corpus: no vectors in the paths given\n";
    return kBadInput;
  }
  if (!conformance::make_target(o.target)) return kBadInput;

  const std::size_t total = all.size() * o.repeat;
  std::atomic<std::size_t> next{0};
  std::vector<Instance> instances(o.instances);
  Tally tally;
  const auto t0 = Clock::now();
  auto work = [&](Instance& me) {
    const auto start = Clock::now();
    auto target = conformance::make_target(o.target);
    const conformance::Capabilities& caps = target->capabilities();
    me.startup_s = seconds(Clock::now() - start);
    if (!caps.unavailable.empty()) {
      me.unavailable = caps.unavailable;
      return;
    }
    // A target that runs many vectors per machine (Bochs) takes them a batch at a time.
    const std::size_t chunk = std::max<std::size_t>(1, target->batch_size());
    for (std::size_t first; (first = next.fetch_add(chunk)) < total;) {
      std::vector<const vectors::Vector*> to_run;
      for (std::size_t i = first; i < std::min(total, first + chunk); ++i) {
        const vectors::Vector& v = all[i % all.size()];
        ++me.vectors;
        if (const auto skip = conformance::skip_reason(vectors::needs_of(v), caps)) {
          std::lock_guard<std::mutex> held(tally.lock);
          ++tally.skipped;
          ++tally.skip_reasons[*skip];
          continue;
        }
        to_run.push_back(&v);
      }
      std::vector<conformance::VectorResult> results;
      if (chunk == 1 && to_run.size() == 1) results.push_back(target->run(*to_run.front()));
      else if (!to_run.empty()) results = target->run_many(to_run);
      std::lock_guard<std::mutex> held(tally.lock);
      for (std::size_t k = 0; k < to_run.size() && k < results.size(); ++k) {
        const vectors::Vector& v = *to_run[k];
        const conformance::VectorResult& result = results[k];
        conformance::VectorRecord record;
        record.id = v.id;
        record.operations = v.operations.size();
        if (result.status == conformance::VectorResult::Status::skipped) {
          ++tally.skipped;
          ++tally.skip_reasons[result.reason];
          continue;
        }
        if (result.status == conformance::VectorResult::Status::target_error) {
          ++tally.errors;
          tally.classes.emplace("target error", std::make_pair(0, v.id + ": " + result.reason)).first->second.first++;
          continue;
        }
        tally.operations += v.operations.size();
        conformance::judge(v, result, record);
        bool unknown = false;
        for (const auto& d : record.divergent) {
          if (known.match(v.id, d.operation, d.class_key)) continue;
          unknown = true;
          auto& c = tally.classes[d.class_key];
          if (c.first++ == 0) c.second = fmt::format("{} operation {}", v.id, d.operation);
        }
        if (record.divergent.empty()) ++tally.passed;
        else if (unknown) ++tally.failed;
        else ++tally.known;
      }
    }
  };
  std::vector<std::thread> threads;
  for (auto& instance : instances) threads.emplace_back(work, std::ref(instance));
  for (auto& t : threads) t.join();
  const double wall = seconds(Clock::now() - t0);

  for (const auto& instance : instances)
    if (!instance.unavailable.empty()) {
      std::cerr << "vtspec bench corpus: the " << o.target << " target is unavailable here: " << instance.unavailable << "\n";
      return kTargetUnavailable;
    }
  double slowest_startup = 0;
  for (const auto& instance : instances) slowest_startup = std::max(slowest_startup, instance.startup_s);
  const std::size_t ran = tally.passed + tally.failed + tally.known;
  const double steady = std::max(wall - slowest_startup, 1e-9);
  std::cout << fmt::format("vtspec bench corpus: {} vectors x {} on {} instance{} of {}: wall time {:.3f} s\n", all.size(),
                           o.repeat, o.instances, o.instances == 1 ? "" : "s", o.target, wall);
  std::cout << fmt::format("  {} ran ({} operations): {} passed, {} known divergences only, {} diverge; {} skipped, {} "
                           "target errors\n",
                           ran, tally.operations, tally.passed, tally.known, tally.failed, tally.skipped, tally.errors);
  std::cout << fmt::format("  {:.0f} vectors/s, {:.0f} operations/s over the wall time; {:.0f} vectors/s, {:.0f} "
                           "operations/s after the slowest start-up ({:.3f} s)\n",
                           ran / wall, tally.operations / wall, ran / steady, tally.operations / steady, slowest_startup);
  for (std::size_t i = 0; i < instances.size(); ++i)
    std::cout << fmt::format("  instance {}: start-up {:.3f} s, {} vectors\n", i + 1, instances[i].startup_s, instances[i].vectors);
  for (const auto& [reason, n] : tally.skip_reasons) std::cout << fmt::format("  SKIPPED x{}: {}\n", n, reason);
  for (const auto& [key, c] : tally.classes) std::cout << fmt::format("  DIVERGENCE {} x{}: e.g. {}\n", key, c.first, c.second);
  if (ran == 0) {
    std::cerr << "vtspec bench corpus: the target ran no vector\n";
    return kTargetUnavailable;
  }
  return tally.failed || tally.errors ? kCheckFailed : kOk;
}

}  // namespace vtspec::cli
