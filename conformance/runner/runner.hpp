// `vtspec run`: loads vector files, runs each vector on a target, compares every observed
// outcome with the vector's allowed set, and reports: a line per divergent vector with the
// operation, the allowed set, what was observed and the model's walk trace; TAP; JUnit; a
// summary line; and the results file that makes a killed run resumable.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "conformance/target.hpp"

namespace vtspec::conformance {

struct RunOptions {
  std::string results_path;  // JSON lines, one per finished vector; empty = none
  bool resume = false;       // continue the run recorded in results_path
  bool tap = false;          // TAP on the output stream
  std::string junit_path;    // JUnit XML written at the end; empty = none
  bool verbose = false;      // also list passing and skipped vectors
};

struct RunSummary {
  std::size_t files = 0, vectors = 0, operations = 0;
  std::size_t passed = 0, failed = 0, skipped = 0, errors = 0, load_errors = 0, resumed = 0;
  double seconds = 0;
};

// Exit code per cli/exit_codes.hpp: 0 all passed (skips allowed), 1 a divergence or a
// target error, 2 a file failed to load, 3 a real target executed no vector (unavailable
// here, or every vector skipped: that is never a success).
int run_vectors(Target& target, const std::vector<std::string>& paths, const RunOptions& options, std::ostream& out,
                RunSummary* summary = nullptr);

}  // namespace vtspec::conformance
