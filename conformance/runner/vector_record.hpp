// The result of one vector on one target, as the runner reports it and as the results file
// stores it (one JSON object per line, appended as each vector finishes).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace vtspec::conformance {

struct VectorRecord {
  enum class Status { pass, fail, skipped, error };
  std::string file;
  std::string id;
  Status status = Status::pass;
  std::string reason;            // skipped / error: why
  std::size_t operations = 0;
  std::size_t divergences = 0;
  std::string details;           // the divergence report (operation, allowed set, observed, trace)
  double seconds = 0;
};

const char* to_string(VectorRecord::Status status);

// One line of JSON (no trailing newline), and back. parse returns nullopt for anything that
// is not a complete record (e.g. a line torn by a killed run).
std::string to_json(const VectorRecord& record);
std::optional<VectorRecord> parse_record(const std::string& line);

}  // namespace vtspec::conformance
