// `vtspec report merge RESULTS...`: the results files of many shards and hosts as one
// summary, a row per target identity (TargetIdentity::describe(): the kernel, CPU model and
// backend of a KVM host), so a fleet shows which host diverges, and per divergence class the
// identities that show it.
#pragma once

#include <cstddef>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "conformance/runner/vector_record.hpp"

namespace vtspec::conformance {

struct IdentityRow {
  std::string identity;
  std::size_t vectors = 0, operations = 0, divergences = 0;
  StatusCounts counts;
  std::set<std::string> files;  // the results files that hold its records
};

struct MergedResults {
  std::vector<std::string> files;
  std::vector<IdentityRow> rows;  // in identity order
  // class key -> identity -> divergent operations
  std::map<std::string, std::map<std::string, std::size_t>> classes;
  // Each vector of each identity once: a vector recorded again (two shards overlapping, a
  // file given twice) counts once, the last record read; how often that happened.
  std::vector<VectorRecord> records;
  std::size_t repeated = 0;
};

// Reads every file whole before anything is merged. Throws std::runtime_error naming the
// file (and its line) for a file that cannot be read, a line that is not a record, or a
// torn last line (a run killed while writing it: resume that run first).
MergedResults merge_results(const std::vector<std::string>& paths);

void write_merged_summary(std::ostream& out, const MergedResults& merged);

// 0 every record passed, was skipped or known; 1 a failure or an error (cli/exit_codes.hpp).
int merged_exit_code(const MergedResults& merged);

}  // namespace vtspec::conformance
