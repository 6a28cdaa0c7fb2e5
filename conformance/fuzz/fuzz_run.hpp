// `vtspec fuzz`: property-based fuzzing of a live target. Cases come from fuzz_case.hpp's
// RapidCheck generators; every observed event is checked against the model's allowed set
// (never against a single expected value); a divergence is shrunk (RapidCheck's shrinks of
// the case, kept while the same divergence class persists) to a minimal vector, written as
// a vector file with the observation beside the allowed outcomes, and replayed; divergences
// are grouped into the runner's classes, and a known-divergences list (class entries)
// counts the documented ones without stopping. It also checks that a vector's outcome does
// not depend on the vectors run before it on the same VM (reset is part of the target).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "conformance/runner/progress.hpp"
#include "conformance/target.hpp"
#include "spec/paging_walk.hpp"

namespace vtspec::conformance::fuzz {

// An outcome class `gen --cover` aims at (checker/coverage/outcome_classes.hpp), as the
// fuzzer counts it: a #PF with this error code on this access at this CPL (0 or 3).
struct CoverageClass {
  std::string id;
  spec::AccessKind kind;
  unsigned cpl;
  std::uint64_t error_code;
};

struct FuzzOptions {
  std::uint64_t seed = 0;
  std::optional<double> seconds;       // stop after this long
  std::optional<std::size_t> cases;    // or after this many cases
  std::string out_dir;                 // minimal vectors are written here (empty: not written)
  std::string known_path;              // known-divergences list (class entries); empty = none
  std::size_t shrink_attempts = 400;   // target runs a shrink may take
  std::size_t reset_every = 200;       // cases between order-dependence checks (0: never)
  std::vector<CoverageClass> coverage; // classes to report reached / total
  ProgressMode progress = ProgressMode::never;  // the progress line on stderr (progress.hpp)
};

struct FuzzClass {
  std::string key;
  std::size_t operations = 0;  // cases whose first divergent operation is of this class
  std::string known;           // the known-divergences entry's reference, if listed
  std::string file;            // the minimal vector written for it
  std::size_t minimal_operations = 0, minimal_mappings = 0;
  bool replayed = false;       // the written file, loaded and run again, shows the class
};

struct FuzzSummary {
  std::uint64_t seed = 0;
  std::size_t cases = 0, operations = 0, discarded = 0, skipped = 0, target_errors = 0;
  std::size_t consequences = 0;  // divergent operations after a case's first divergence
  // Wall time; the target's runs of drawn cases; waiting for the generator; shrinking and
  // replaying; the order-dependence checks.
  double seconds = 0, run_seconds = 0, wait_seconds = 0, shrink_seconds = 0, reset_seconds = 0;
  std::vector<FuzzClass> classes;
  std::size_t coverage_reached = 0, coverage_total = 0;
  std::size_t reset_checks = 0;
  std::vector<std::string> order_dependent;  // vectors whose outcome changed with what ran before
};

// Exit code (cli/exit_codes.hpp): 0 no divergence outside the known list and no order
// dependence; 1 otherwise; 2 bad input (the known list); 3 a real target ran nothing.
// Cases are drawn and built on one thread, run on the calling one and judged on a third
// (a bounded pipeline); the order-dependence check uses Target::run_on_fresh_machine.
int run_fuzz(Target& target, const FuzzOptions& options, std::ostream& out, FuzzSummary* summary = nullptr);

}  // namespace vtspec::conformance::fuzz
