// The results file (`vtspec run --results F`; vectors/SCHEMA.md, "Results files"): one JSON
// line per finished vector, appended and synced as each one finishes, so a killed run loses
// at most the vector in flight.
//
// A record is found again by what its vector is, its id and content hash
// (vectors/format/content_hash.hpp), not by how its path was spelt; a vector edited since
// its record was written has another hash, so it runs again, and the run says how many
// records were stale. Every record carries its target's identity (TargetIdentity), and a
// resume with another target or identity is refused: results are never mixed. Nothing is
// destroyed or taken silently: a new run refuses an F that
// exists and is not empty (--resume continues it); one writer at a time (LockedFile: a
// second fails at once, naming the first); a torn last line (a run killed while writing it)
// is cut off the file itself; any other line that is not a record is refused with its line
// number.
#pragma once

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "conformance/capabilities.hpp"
#include "conformance/runner/locked_file.hpp"
#include "conformance/runner/vector_record.hpp"

namespace vtspec::conformance {

// A line of a results file that is not a record: "PATH:LINE: not a vtspec results record (why)".
struct DamagedResults : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The one reader of results files' text (the resumed run's and `vtspec report merge`'s): calls
// `each` with every record and its line number (from 1), in order. Throws DamagedResults for
// a complete line that is not a record. Returns the offset of a last line without a newline
// (a run killed while writing it), or text.size() when the text ends in a newline.
std::size_t read_results_text(const std::string& path, const std::string& text,
                              const std::function<void(VectorRecord&&, std::size_t line)>& each);

class ResultsFile {
 public:
  // Opens and locks `path` for a run of `target`. resume = false: `path` must be absent or
  // empty; resume = true: its records are read first, and must all be `target`'s. Throws
  // std::runtime_error (the CLI's exit 2) when `path` exists without resume, is in use,
  // cannot be opened, has a line that is not a record, or holds another target's records.
  ResultsFile(const std::string& path, bool resume, const TargetIdentity& target);

  // The record of this vector found when resuming, or null: then the vector runs. A record
  // of the same id with another hash is stale: counted (notes()), never returned.
  const VectorRecord* find(const std::string& id, const std::string& hash);
  // Writes `record` as the target's (its target and identity fields are filled in here).
  void append(VectorRecord record);
  // What the run should tell: a torn line cut off, stale records.
  std::vector<std::string> notes() const;

 private:
  void read_records(const std::string& text);

  LockedFile file_;
  TargetIdentity target_;
  std::map<std::pair<std::string, std::string>, VectorRecord> previous_;  // by (id, hash)
  std::map<std::string, std::size_t> records_of_id_;  // previous records per id: stale when none matches
  std::size_t stale_ = 0;
  std::size_t torn_bytes_ = 0;  // of the last line, cut off
};

}  // namespace vtspec::conformance
