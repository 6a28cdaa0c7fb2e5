// `vtspec run`: loads vector files, runs each vector on a target, compares every observed
// outcome with the vector's allowed set, and reports: a line per failing vector, the
// divergences grouped into classes with one full example each (divergence_class.hpp), the
// known divergences a --known list names, TAP, JUnit, JSON, a summary line, and the results
// file that makes a killed run resumable.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "conformance/runner/progress.hpp"
#include "conformance/runner/shard.hpp"
#include "conformance/target.hpp"

namespace vtspec::conformance {

struct RunOptions {
  std::string results_path;  // JSON lines, one per finished vector; empty = none
  bool resume = false;       // continue the run recorded in results_path
  bool tap = false;          // TAP on the output stream
  std::string junit_path;    // JUnit XML written at the end; empty = none
  bool verbose = false;      // also list passing and skipped vectors
  enum class Format { text, json } format = Format::text;  // json: one document on the output stream
  std::string known_path;    // known-divergences list (known_divergences.hpp); empty = none
  Shard shard;               // the vectors this run takes (shard.hpp); 1/1: all
  ProgressMode progress = ProgressMode::never;  // the progress line on stderr (progress.hpp)
  std::string html_dir;      // DIR/index.html, the HTML report (html_report.hpp); empty = none
};

struct RunSummary {
  std::size_t files = 0, vectors = 0, operations = 0;
  std::size_t passed = 0, failed = 0, skipped = 0, errors = 0, load_errors = 0, resumed = 0;
  std::size_t known = 0;  // divergent operations a known-divergences entry lists
  std::size_t known_vectors = 0;  // vectors whose every divergence is known (neither passed nor failed)
  std::size_t fixed = 0;  // known-divergences entries whose vector no longer diverges
  std::size_t not_run = 0;   // files found in a directory that hold no vectors (listed in the report)
  std::size_t warnings = 0;  // of those, files that are not vtspec files at all
  double seconds = 0;
};

// Exit code per cli/exit_codes.hpp: 0 all passed (skips and known divergences allowed), 1 a
// divergence, a target error or a known divergence that no longer diverges, 2 a file (or
// the known list) failed to load, 3 a real target executed no vector (unavailable
// here, or every vector skipped: that is never a success).
int run_vectors(Target& target, const std::vector<std::string>& paths, const RunOptions& options, std::ostream& out,
                RunSummary* summary = nullptr);

}  // namespace vtspec::conformance
