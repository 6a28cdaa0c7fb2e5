// The progress of a long run on a terminal (`vtspec run --progress`): one line, redrawn in
// place at most ten times a second, "vtspec run: 1234/~5000 vectors (24%), 812 vectors/s,
// ETA 0:05", counting the vectors the files hold (a shard's run reads them all and runs
// its own). The total is exact once the last file is loaded; before that it is estimated
// from the files still to come ("~": the run streams one file at a time and does not read
// ahead). When the output is not a terminal, nothing is drawn: logs stay line-oriented.
#pragma once

#include <chrono>
#include <cstddef>
#include <ostream>

namespace vtspec::conformance {

enum class ProgressMode { automatic, always, never };

// automatic: both stdout and stderr are terminals.
bool progress_wanted(ProgressMode mode);

class Progress {
 public:
  // `files`: how many files the run will read; draws on `out` when `enabled`.
  Progress(std::ostream& out, bool enabled, std::size_t files);
  // A file with `vectors` vectors (of this run's shard) is about to run.
  void start_file(std::size_t vectors);
  void vector_done();
  // Erases the line before the run prints one of its own (it is drawn again later).
  void clear();
  // Draws the final state and clears the line, so that the report starts on a clean one.
  void finish();

 private:
  void draw(bool force);
  using Clock = std::chrono::steady_clock;
  std::ostream& out_;
  bool enabled_;
  std::size_t files_, files_started_ = 0;
  std::size_t done_ = 0, known_total_ = 0;  // vectors done; vectors of the files started
  bool drawn_ = false;
  Clock::time_point start_ = Clock::now(), last_draw_{};
};

}  // namespace vtspec::conformance
