#include "conformance/fuzz/fuzz_run.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include <fmt/format.h>

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

struct Judged {
  bool ran = false;  // not skipped, not discarded
  bool target_error = false;
  VectorResult result;
  VectorRecord record;  // divergent operations with their classes
};

Judged run_and_judge(Target& target, const vectors::Vector& v, std::string* skipped = nullptr) {
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
  judge(v, j.result, j.record);
  return j;
}

bool shows_class(const Judged& j, const std::string& key) {
  return std::any_of(j.record.divergent.begin(), j.record.divergent.end(),
                     [&](const DivergentOperation& d) { return d.class_key == key; });
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

int run_fuzz(Target& target, const std::function<std::unique_ptr<Target>()>& fresh, const FuzzOptions& o,
             std::ostream& out, FuzzSummary* summary_out) {
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
  rc::Random random(o.seed);
  std::map<std::string, FuzzClass> classes;
  std::map<std::string, std::size_t> skip_reasons;  // the generator draws only runnable cases; these slipped through
  std::set<std::string> reached;
  struct Recent {
    BuiltVector built;
    VectorResult result;
  };
  std::vector<Recent> recent;  // for the order-dependence check
  std::mt19937_64 order(o.seed);
  double run_seconds = 0;

  auto out_of_time = [&] {
    if (o.cases && s.cases >= *o.cases) return true;
    return o.seconds && std::chrono::duration<double>(Clock::now() - start).count() >= *o.seconds;
  };
  for (std::size_t k = 0; !out_of_time(); ++k) {
    rc::Random r = random.split();
    const std::optional<unsigned> phase1 = k < systematic ? std::optional<unsigned>(static_cast<unsigned>(k)) : std::nullopt;
    // Every case at the nominal size: the weights decide the distribution (docs/fuzzing.md),
    // not a size ramp (gen::inRange would otherwise narrow its ranges for early cases).
    rc::Shrinkable<FuzzCase> shrinkable = fuzz_case_gen(space, phase1)(r, rc::kNominalSize);
    auto built = build_vector(shrinkable.value(), case_id(o.seed, k), space);
    if (!built) {
      ++s.discarded;
      continue;
    }
    const auto t0 = Clock::now();
    std::string skipped;
    Judged j = run_and_judge(target, built->vector, &skipped);
    run_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    if (!j.ran) {
      ++s.skipped;
      ++skip_reasons[skipped.empty() ? j.result.reason : skipped];
      continue;
    }
    ++s.cases;
    s.operations += built->vector.operations.size();
    s.target_errors += j.target_error;
    // Coverage: the model's valid outcome of every access, as an outcome class.
    for (std::size_t i = 0; i < built->vector.operations.size(); ++i) {
      const model::Operation& op = built->vector.operations[i];
      const model::Event& e = built->vector.expectations[i].outcomes.front().event;
      if (op.kind != model::OperationKind::access || e.kind != model::EventKind::exception || e.vector != model::kPageFaultVector)
        continue;
      for (const auto& c : o.coverage)
        if (c.kind == op.access.kind && c.cpl == (op.access.cpl == 3 ? 3u : 0u) && c.error_code == e.error_code) reached.insert(c.id);
    }
    // Divergences: each class once shrunk, written and replayed; every one counted.
    for (const auto& d : j.record.divergent) {
      FuzzClass& c = classes[d.class_key];
      c.key = d.class_key;
      ++c.operations;
      if (const KnownDivergence* entry = known.match(built->vector.id, d.operation, d.class_key)) c.known = entry->reference;
      if (c.operations > 1 || o.out_dir.empty()) continue;
      // Shrink: take the first shrink of the case that still shows this class, until none does.
      rc::Shrinkable<FuzzCase> best = shrinkable;
      BuiltVector best_built = *built;
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
        out << "error: the minimal vector does not load: " << e.what() << "\n";
      }
      out << fmt::format("{} class '{}': {} ({} operations, {} mappings after {} shrink runs){}\n",
                         c.known.empty() ? "DIVERGENCE" : "KNOWN", d.class_key, c.file, c.minimal_operations,
                         c.minimal_mappings, attempts, c.replayed ? "" : " -- does NOT replay");
      out.flush();
    }
    // Reset is part of the target: outcomes must not depend on what ran before on the VM.
    if (o.reset_every) {
      recent.push_back({*built, j.result});
      if (recent.size() > 8) recent.erase(recent.begin());
      if ((s.cases % o.reset_every) == 0 && fresh) {
        std::vector<std::size_t> shuffled(recent.size());
        for (std::size_t i = 0; i < shuffled.size(); ++i) shuffled[i] = i;
        std::shuffle(shuffled.begin(), shuffled.end(), order);
        std::vector<VectorResult> again;
        for (std::size_t i : shuffled) again.push_back(target.run(recent[i].built.vector));  // back to back, another order
        for (std::size_t n = 0; n < shuffled.size(); ++n) {
          const Recent& r0 = recent[shuffled[n]];
          auto clean = fresh();
          const VectorResult alone = clean->run(r0.built.vector);  // a fresh VM
          ++s.reset_checks;
          if (same_observations(alone, r0.result) && same_observations(alone, again[n])) continue;
          s.order_dependent.push_back(r0.built.vector.id);
          std::string file;
          if (!o.out_dir.empty()) {
            file = (std::filesystem::path(o.out_dir) / fmt::format("order-{}.yaml", s.order_dependent.size())).string();
            std::ofstream(file) << vectors::render_vector_file("vtspec fuzz: its outcome on a reused VM differed from a fresh VM's",
                                                               {{&r0.built.vector, r0.built.state_yaml}});
          }
          out << fmt::format("ORDER-DEPENDENT {}: the outcome on the reused VM differs from a fresh VM's {}\n",
                             r0.built.vector.id, file);
        }
      }
    }
  }
  s.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  s.run_seconds = run_seconds;
  for (auto& [key, c] : classes) s.classes.push_back(c);
  std::stable_sort(s.classes.begin(), s.classes.end(), [](const FuzzClass& a, const FuzzClass& b) { return a.operations > b.operations; });
  s.coverage_reached = reached.size();
  s.coverage_total = o.coverage.size();

  out << fmt::format("{} cases ({} skipped, {} discarded), {} operations in {:.1f} s: {:.0f} cases/s, {:.0f} operations/s "
                     "({:.0f} operations/s in the target)\n",
                     s.cases, s.skipped, s.discarded, s.operations, s.seconds, s.cases / s.seconds, s.operations / s.seconds,
                     run_seconds > 0 ? s.operations / run_seconds : 0.0);
  for (const auto& [why, count] : skip_reasons) out << fmt::format("  SKIPPED {:>5}: {}\n", count, why);
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
