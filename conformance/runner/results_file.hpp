// The results file: one JSON line per finished vector, appended and flushed as each one
// finishes, so a killed run loses at most the vector in flight. Reopened with resume, it
// yields the records already there (a torn last line is dropped and cut off the file), and
// the run continues with the rest: nothing lost, nothing repeated.
#pragma once

#include <cstdio>
#include <map>
#include <string>

#include "conformance/runner/vector_record.hpp"

namespace vtspec::conformance {

class ResultsFile {
 public:
  // Opens `path` for appending. resume = false truncates it; resume = true reads it first.
  // Throws std::runtime_error when it cannot be opened.
  ResultsFile(const std::string& path, bool resume);
  ~ResultsFile();
  ResultsFile(const ResultsFile&) = delete;
  ResultsFile& operator=(const ResultsFile&) = delete;

  static std::string key(const std::string& file, const std::string& id) { return file + "\n" + id; }
  // Records found when resuming, by key(file, id).
  const std::map<std::string, VectorRecord>& previous() const { return previous_; }
  void append(const VectorRecord& record);

 private:
  std::FILE* out_ = nullptr;
  std::map<std::string, VectorRecord> previous_;
};

}  // namespace vtspec::conformance
