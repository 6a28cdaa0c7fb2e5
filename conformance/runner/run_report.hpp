// Everything one `vtspec run` found, gathered for the reports written at its end (the plain
// report's sections and the `--format json` document).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "conformance/runner/divergence_class.hpp"
#include "conformance/runner/runner.hpp"
#include "conformance/runner/vector_record.hpp"

namespace vtspec::conformance {

// A divergence a known-divergences entry lists.
struct KnownInstance {
  DivergenceInstance instance;
  std::string class_key;
  std::string entry;  // KnownDivergence::describe()
  std::string reference, verdict;
};

// A file that failed to load, a vector the target could not finish, or a run that executed
// nothing.
struct RunError {
  std::string file, vector;  // empty when not about one
  std::string message;
};

// A file found in a directory that holds no vectors: another vtspec file (a note), or YAML
// that is not vtspec's (a warning). Listed, never dropped silently.
struct NotRunFile {
  std::string file, message;
  bool warning = false;
};

struct RunReport {
  std::string target;
  std::vector<std::string> files;
  RunSummary summary;
  std::vector<std::pair<std::string, std::size_t>> skips;  // reason -> vectors, most first
  std::vector<DivergenceClass> classes;                    // most operations first
  std::vector<KnownInstance> known;
  std::vector<std::string> fixed;  // KnownDivergence::describe() of entries that no longer diverge
  std::vector<RunError> errors;
  std::vector<NotRunFile> not_run;
  std::vector<std::string> notes;  // e.g. stale results records, known entries for vectors not loaded
  std::vector<VectorRecord> records;
};

}  // namespace vtspec::conformance
