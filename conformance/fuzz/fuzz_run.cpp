#include "conformance/fuzz/fuzz_run.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <span>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "conformance/bounded_queue.hpp"
#include "conformance/fuzz/fuzz_case.hpp"
#include "conformance/runner/comparison.hpp"
#include "conformance/runner/known_divergences.hpp"
#include "conformance/runner/skip_decision.hpp"
#include "conformance/runner/vector_judgement.hpp"
#include "vectors/format/load_error.hpp"
#include "vectors/format/vector_file.hpp"
#include "vectors/format/vector_writer.hpp"

namespace vtspec::conformance::fuzz {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Judged {
  bool ran = false;  // not skipped, not discarded
  bool target_error = false;
  VectorResult result;
  VectorRecord record;  // divergent operations with their classes
};

// Runs a vector (not judged yet): `ran` unless it was skipped.
Judged run_only(Target& target, const vectors::Vector& v, std::string* skipped = nullptr) {
  Judged j;
  if (auto why = skip_reason(vectors::needs_of(v), target.capabilities())) {
    if (skipped) *skipped = *why;
    return j;
  }
  try {
    j.result = target.run(v);
  } catch (const std::exception& e) {
    j.result.status = VectorResult::Status::target_error;
    j.result.reason = e.what();
  }
  if (j.result.status == VectorResult::Status::skipped) return j;
  j.ran = true;
  j.target_error = j.result.status == VectorResult::Status::target_error;
  return j;
}

Judged run_and_judge(Target& target, const vectors::Vector& v) {
  Judged j = run_only(target, v);
  if (j.ran) judge(v, j.result, j.record);
  return j;
}

// A case's finding is its first divergence: after it the target's machine and the model's
// differ, so later divergences may be its consequences (a write the model refused leaves a
// value a later read sees) and are counted, not classified.
bool shows_class(const Judged& j, const std::string& key) {
  return !j.record.divergent.empty() && j.record.divergent.front().class_key == key;
}

// Two runs of one vector saw the same: events and entries after each operation.
bool same_observations(const VectorResult& a, const VectorResult& b) {
  if (a.status != b.status || a.observations.size() != b.observations.size()) return false;
  for (std::size_t i = 0; i < a.observations.size(); ++i) {
    const Observation &x = a.observations[i], &y = b.observations[i];
    if (x.ran != y.ran || !model::difference(x.event, y.event).empty() || x.entries_after != y.entries_after) return false;
  }
  return true;
}

std::string case_id(std::uint64_t seed, std::size_t k) { return fmt::format("fuzz/s{}-c{}", seed, k); }

// The vector file of a minimal case: the model's allowed outcomes as expectations, and what
// the target observed in the description and beside the divergent operation.
std::string minimal_vector_text(const BuiltVector& b, const Judged& j, const std::string& key, const std::string& target,
                                std::uint64_t seed, std::size_t k) {
  std::string observed;
  for (const auto& d : j.record.divergent)
    observed += fmt::format(" operation {}: {} [class: {}].", d.operation,
                            describe_observation(b.vector, observation_of(j.result, d.operation)), d.class_key);
  const std::string description = fmt::format(
      "vtspec fuzz --seed {} case {}, shrunk: the minimal vector of class '{}'. Expectations are the model's; {} "
      "observed:{}",
      seed, k, key, target, observed);
  return vectors::render_vector_file(description, {{&b.vector, b.state_yaml}});
}

}  // namespace

// The pipeline's items: a case drawn and built (generator thread), run (the target, on the
// calling thread), judged (judge thread). Cases keep their draw order throughout, so a seed
// gives the same cases, classes and files whatever the threads' timing.
struct Drawn {
  std::size_t k = 0;
  std::optional<rc::Shrinkable<FuzzCase>> shrinkable;
  std::optional<BuiltVector> built;  // empty: the case builds no vector (discarded)
};
struct Ran {
  Drawn drawn;
  Judged judged;  // result set by the target thread, record by the judge thread
};
constexpr std::size_t kPipelineDepth = 32;

int run_fuzz(Target& target, const FuzzOptions& o, std::ostream& out, FuzzSummary* summary_out) {
  const auto start = Clock::now();
  FuzzSummary s;
  s.seed = o.seed;
  const Capabilities& caps = target.capabilities();
  out << fmt::format("vtspec fuzz --target {} --seed {}  ({})\n", target.name(), o.seed, caps.identity.describe());
  if (!caps.unavailable.empty()) {
    out << "error: the " << target.name() << " target is unavailable here: " << caps.unavailable << "\n";
    return 3;
  }
  KnownDivergences known;
  if (!o.known_path.empty()) {
    try {
      known = KnownDivergences::load(o.known_path, target.name());
    } catch (const vectors::LoadError& e) {
      out << "error: " << e.what() << "\n";
      return 2;
    }
  }
  if (!o.out_dir.empty()) std::filesystem::create_directories(o.out_dir);
  const FuzzSpace space = fuzz_space(caps);
  const unsigned systematic = systematic_cases(space);
  std::map<std::string, FuzzClass> classes;
  std::map<std::string, std::size_t> skip_reasons;  // the generator draws only runnable cases; these slipped through
  std::set<std::string> reached;
  struct Recent {
    BuiltVector built;
    VectorResult result;
  };
  // For the order-dependence check: the last vectors of each virtual CPU (the vectors that
  // shared a VM on a target that keeps one per CPU), by what the vector needs of its CPU.
  std::map<std::pair<unsigned, std::map<model::Feature, bool>>, std::vector<Recent>> recent_by_cpu;
  std::mt19937_64 order(o.seed);
  std::size_t judged = 0;  // cases judged, for the order-dependence check's period

  Progress progress(std::cerr, progress_wanted(o.progress), "vtspec fuzz", "cases");
  if (o.cases) progress.expect_total(*o.cases);
  if (o.seconds) progress.expect_seconds(*o.seconds);
  auto show_classes = [&] {
    std::size_t known_classes = 0;
    for (const auto& [key, c] : classes) known_classes += !c.known.empty();
    const std::size_t new_classes = classes.size() - known_classes;
    progress.set_note(classes.empty() ? "" : fmt::format("{} divergence class{}{}", new_classes, new_classes == 1 ? "" : "es",
                                                         known_classes ? fmt::format(" (+{} known)", known_classes) : ""));
  };

  auto out_of_time = [&] {
    if (o.cases && s.cases >= *o.cases) return true;
    return o.seconds && std::chrono::duration<double>(Clock::now() - start).count() >= *o.seconds;
  };

  // Generator thread: draws and builds (the model's expectations) ahead of the target.
  // RapidCheck's generation context is one per process, not per thread: drawing a case and
  // evaluating a shrink (which re-runs generators) take turns under this lock.
  std::mutex rapidcheck;
  BoundedQueue<Drawn> drawn_queue(kPipelineDepth);
  std::thread generator([&] {
    rc::Random random(o.seed);
    for (std::size_t k = 0;; ++k) {
      Drawn d;
      d.k = k;
      rc::Random r = random.split();
      const std::optional<unsigned> phase1 = k < systematic ? std::optional<unsigned>(static_cast<unsigned>(k)) : std::nullopt;
      // Every case at the nominal size: the weights decide the distribution (docs/fuzzing.md),
      // not a size ramp (gen::inRange would otherwise narrow its ranges for early cases).
      FuzzCase value;
      {
        std::lock_guard lock(rapidcheck);
        d.shrinkable.emplace(fuzz_case_gen(space, phase1)(r, rc::kNominalSize));
        value = d.shrinkable->value();
      }
      d.built = build_vector(value, case_id(o.seed, k), space);
      if (!drawn_queue.push(std::move(d))) return;  // closed: the run is over
    }
  });
  // Judge thread: the model along the path the target took (vector_judgement.hpp).
  BoundedQueue<Ran> ran_queue(kPipelineDepth), judged_queue(kPipelineDepth);
  std::thread judge_thread([&] {
    Ran item;
    while (ran_queue.pop(item)) {
      judge(item.drawn.built->vector, item.judged.result, item.judged.record);
      judged_queue.push_unbounded(std::move(item));  // unbounded: the target thread drains it between runs
    }
    judged_queue.close();
  });

  // What follows a judgement, on the target's thread (shrinking and the order-dependence
  // check run the target).
  auto process = [&](Ran& item) {
    const std::size_t k = item.drawn.k;
    const BuiltVector& built = *item.drawn.built;
    const Judged& j = item.judged;
    // Coverage: the model's valid outcome of every access, as an outcome class.
    for (std::size_t i = 0; i < built.vector.operations.size(); ++i) {
      const model::Operation& op = built.vector.operations[i];
      const model::Event& e = built.vector.expectations[i].outcomes.front().event;
      if (op.kind != model::OperationKind::access || e.kind != model::EventKind::exception || e.vector != model::kPageFaultVector)
        continue;
      for (const auto& c : o.coverage)
        if (c.kind == op.access.kind && c.cpl == (op.access.cpl == 3 ? 3u : 0u) && c.error_code == e.error_code) reached.insert(c.id);
    }
    // The first divergence: each class once shrunk, written and replayed; every one counted.
    if (j.record.divergent.size() > 1) s.consequences += j.record.divergent.size() - 1;
    for (const auto& d : std::span(j.record.divergent).first(std::min<std::size_t>(1, j.record.divergent.size()))) {
      FuzzClass& c = classes[d.class_key];
      c.key = d.class_key;
      ++c.operations;
      if (const KnownDivergence* entry = known.match(built.vector.id, d.operation, d.class_key)) c.known = entry->reference;
      if (c.operations > 1 || o.out_dir.empty()) continue;
      // Shrink: take the first shrink of the case that still shows this class, until none does.
      const auto t_shrink = Clock::now();
      std::lock_guard lock(rapidcheck);
      rc::Shrinkable<FuzzCase> best = *item.drawn.shrinkable;
      BuiltVector best_built = built;
      Judged best_judged = j;
      std::size_t attempts = 0;
      for (bool improved = true; improved && attempts < o.shrink_attempts;) {
        improved = false;
        auto shrinks = best.shrinks();
        while (auto next = shrinks.next()) {
          if (++attempts > o.shrink_attempts) break;
          auto candidate = build_vector(next->value(), case_id(o.seed, k), space);
          if (!candidate) continue;
          Judged cj = run_and_judge(target, candidate->vector);
          if (!cj.ran || !shows_class(cj, d.class_key)) continue;
          best = std::move(*next);
          best_built = std::move(*candidate);
          best_judged = std::move(cj);
          improved = true;
          break;
        }
      }
      const std::string text = minimal_vector_text(best_built, best_judged, d.class_key, target.name(), o.seed, k);
      c.file = (std::filesystem::path(o.out_dir) / fmt::format("class-{}.yaml", classes.size())).string();
      std::ofstream(c.file) << text;
      c.minimal_operations = best_built.vector.operations.size();
      c.minimal_mappings = best.value().mappings.size();
      // Replay: the file, loaded as `vtspec run` loads it, shows the class again.
      try {
        for (const auto& v : vectors::load_vector_file(c.file)) c.replayed = c.replayed || shows_class(run_and_judge(target, v), d.class_key);
      } catch (const vectors::LoadError& e) {
        progress.clear();
        out << "error: the minimal vector does not load: " << e.what() << "\n";
      }
      progress.clear();
      out << fmt::format("{} class '{}': {} ({} operations, {} mappings after {} shrink runs){}\n",
                         c.known.empty() ? "DIVERGENCE" : "KNOWN", d.class_key, c.file, c.minimal_operations,
                         c.minimal_mappings, attempts, c.replayed ? "" : " -- does NOT replay");
      out.flush();
      s.shrink_seconds += since(t_shrink);
    }
    // Reset is part of the target: outcomes must not depend on what ran before on the VM.
    if (o.reset_every) {
      const model::CpuNeeds needs = vectors::needs_of(built.vector);
      std::vector<Recent>& recent = recent_by_cpu[{needs.maxphyaddr, needs.features}];
      recent.push_back({built, j.result});
      if (recent.size() > 8) recent.erase(recent.begin());
      if ((++judged % o.reset_every) == 0) {
        const auto t_reset = Clock::now();
        std::vector<std::size_t> shuffled(recent.size());
        for (std::size_t i = 0; i < shuffled.size(); ++i) shuffled[i] = i;
        std::shuffle(shuffled.begin(), shuffled.end(), order);
        std::vector<VectorResult> again;
        for (std::size_t i : shuffled) again.push_back(target.run(recent[i].built.vector));  // back to back, another order
        std::vector<const VectorResult*> again_of(recent.size()), fresh_of(recent.size());
        for (std::size_t n = 0; n < shuffled.size(); ++n) again_of[shuffled[n]] = &again[n];
        std::shuffle(shuffled.begin(), shuffled.end(), order);  // and in a third order on a fresh VM
        std::vector<const vectors::Vector*> fresh_order;
        for (std::size_t i : shuffled) fresh_order.push_back(&recent[i].built.vector);
        const std::vector<VectorResult> fresh = target.run_on_fresh_machine(fresh_order);
        if (fresh.size() != shuffled.size()) throw std::logic_error("run_on_fresh_machine: one result per vector");
        for (std::size_t n = 0; n < shuffled.size(); ++n) fresh_of[shuffled[n]] = &fresh[n];
        for (std::size_t i = 0; i < recent.size(); ++i) {
          const Recent& r0 = recent[i];
          ++s.reset_checks;
          if (same_observations(*fresh_of[i], r0.result) && same_observations(*fresh_of[i], *again_of[i])) continue;
          s.order_dependent.push_back(r0.built.vector.id);
          std::string file;
          if (!o.out_dir.empty()) {
            file = (std::filesystem::path(o.out_dir) / fmt::format("order-{}.yaml", s.order_dependent.size())).string();
            std::ofstream(file) << vectors::render_vector_file("vtspec fuzz: its outcome on a reused VM differed from a fresh VM's",
                                                               {{&r0.built.vector, r0.built.state_yaml}});
          }
          progress.clear();
          out << fmt::format("ORDER-DEPENDENT {}: the outcome on the reused VM differs from a fresh VM's {}\n",
                             r0.built.vector.id, file);
        }
        s.reset_seconds += since(t_reset);
      }
    }
  };
  auto process_judged = [&](bool wait) {
    Ran item;
    while (wait ? judged_queue.pop(item) : judged_queue.try_pop(item)) {
      process(item);
      show_classes();
    }
  };

  // The target's thread: runs each drawn case, then handles what the judge has finished.
  while (!out_of_time()) {
    Drawn d;
    const auto t_wait = Clock::now();
    if (!drawn_queue.pop(d)) break;
    s.wait_seconds += since(t_wait);
    if (!d.built) {
      ++s.discarded;
      continue;
    }
    Ran item;
    const auto t0 = Clock::now();
    std::string skipped;
    item.judged = run_only(target, d.built->vector, &skipped);
    s.run_seconds += since(t0);
    if (!item.judged.ran) {
      ++s.skipped;
      ++skip_reasons[skipped.empty() ? item.judged.result.reason : skipped];
      continue;
    }
    ++s.cases;
    progress.done();
    s.operations += d.built->vector.operations.size();
    s.target_errors += item.judged.target_error;
    item.drawn = std::move(d);
    ran_queue.push(std::move(item));
    process_judged(false);
  }
  drawn_queue.close();
  generator.join();
  ran_queue.close();
  process_judged(true);  // every case run is judged
  judge_thread.join();
  show_classes();
  progress.finish();
  s.seconds = since(start);
  for (auto& [key, c] : classes) s.classes.push_back(c);
  std::stable_sort(s.classes.begin(), s.classes.end(), [](const FuzzClass& a, const FuzzClass& b) { return a.operations > b.operations; });
  s.coverage_reached = reached.size();
  s.coverage_total = o.coverage.size();

  out << fmt::format("{} cases ({} skipped, {} discarded), {} operations in {:.1f} s: {:.0f} cases/s, {:.0f} operations/s "
                     "({:.0f} operations/s in the target)\n",
                     s.cases, s.skipped, s.discarded, s.operations, s.seconds, s.cases / s.seconds, s.operations / s.seconds,
                     s.run_seconds > 0 ? s.operations / s.run_seconds : 0.0);
  out << fmt::format("  where the time goes: target runs {:.1f} s, waiting for the generator {:.1f} s, shrinking and replaying "
                     "{:.1f} s, order-dependence checks {:.1f} s\n",
                     s.run_seconds, s.wait_seconds, s.shrink_seconds, s.reset_seconds);
  for (const auto& [why, count] : skip_reasons) out << fmt::format("  SKIPPED {:>5}: {}\n", count, why);
  if (s.consequences)
    out << fmt::format("  {} divergent operations after a case's first divergence (not classified: possibly its consequences)\n",
                       s.consequences);
  std::size_t unknown = 0;
  for (const auto& c : s.classes) {
    unknown += c.known.empty();
    out << fmt::format("  {:>6} {} {}{}\n", c.operations, c.known.empty() ? "CLASS" : "KNOWN", c.key,
                       c.known.empty() ? "" : " (" + c.known + ")");
  }
  if (s.coverage_total)
    out << fmt::format("outcome classes reached: {} of {} #PF classes of `gen --cover`\n", s.coverage_reached, s.coverage_total);
  out << fmt::format("order-dependence checks: {} vectors re-run on a fresh VM, {} differed\n", s.reset_checks,
                     s.order_dependent.size());
  out << fmt::format("seed {} (run again with --seed {})\n", o.seed, o.seed);
  if (summary_out) *summary_out = s;
  if (caps.real && s.cases == 0) return 3;
  return unknown || !s.order_dependent.empty() ? 1 : 0;
}

}  // namespace vtspec::conformance::fuzz
