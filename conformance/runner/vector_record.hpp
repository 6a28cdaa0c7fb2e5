// The result of one vector on one target, as the runner reports it and as the results file
// stores it (one JSON object per line, appended as each vector finishes; vectors/SCHEMA.md,
// "Results files").
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace vtspec::conformance {

// One divergent operation of a vector: its index and its divergence class
// (divergence_class.hpp).
struct DivergentOperation {
  std::size_t operation = 0;
  std::string class_key;
  friend bool operator==(const DivergentOperation&, const DivergentOperation&) = default;
};

struct VectorRecord {
  // known: every divergence is on the run's known-divergences list (known_divergences.hpp);
  // decided per run, so the results file stores the judgement before the list (fail).
  enum class Status { pass, fail, skipped, error, known };
  std::string file;              // the path as this run spelt it: information only
  std::string id;
  std::string hash;              // the vector's content hash (vectors/format/content_hash.hpp)
  // The target that produced it: TargetIdentity's name and describe() (capabilities.hpp).
  // The results file fills them in; a resume of another target's records is refused.
  std::string target;
  std::string identity;
  Status status = Status::pass;
  std::string reason;            // skipped / error: why
  std::size_t operations = 0;
  std::size_t divergences = 0;
  std::string details;           // one line per divergent operation: where, what, the difference
  std::vector<DivergentOperation> divergent;  // every divergent operation, in order
  double seconds = 0;
};

const char* to_string(VectorRecord::Status status);

// How many records of each status (the merged summary's rows, the HTML report's matrix).
struct StatusCounts {
  std::size_t passed = 0, failed = 0, skipped = 0, errors = 0, known = 0;
  void add(VectorRecord::Status status);
};

// One line of JSON (no trailing newline), and back. parse returns nullopt for anything that
// is not a complete record (e.g. a line torn by a killed run), saying why in `error`.
std::string to_json(const VectorRecord& record);
std::optional<VectorRecord> parse_record(const std::string& line, std::string* error = nullptr);

}  // namespace vtspec::conformance
