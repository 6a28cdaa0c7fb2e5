// The progress of a long run on a terminal: one line on stderr, redrawn in place at most ten
// times a second, e.g.
//   vtspec run: 1234/~5000 vectors (24%), 812 vectors/s, ETA 0:05
//   vtspec fuzz: 7200/~72000 cases (10%), 1203 cases/s, ETA 0:54, 2 divergence classes
// The total is known in one of three ways, and "~" marks an estimate:
//  - from files streamed one at a time (`vtspec run`): exact once the last file is loaded,
//    before that estimated from the files still to come (the run does not read ahead);
//  - as a count given up front (`vtspec fuzz --cases`, `vtspec bench access`): exact;
//  - as a time limit (`vtspec fuzz --time`): the total is what the rate so far reaches by
//    the deadline, and the ETA is the deadline.
// With both a count and a time limit the run stops at whichever comes first, and so does the
// line's ETA. When the output is not a terminal, nothing is drawn: logs stay line-oriented.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <ostream>
#include <string>

namespace vtspec::conformance {

enum class ProgressMode { automatic, always, never };

// automatic: both stdout and stderr are terminals.
bool progress_wanted(ProgressMode mode);

class Progress {
 public:
  // `command` starts the line ("vtspec run"); `unit` names what is counted ("vectors").
  Progress(std::ostream& out, bool enabled, std::string command, std::string unit);
  // The total comes from `files` files, each announced by start_file.
  void expect_files(std::size_t files);
  void expect_total(std::size_t total);
  void expect_seconds(double seconds);

  // A file with `items` items (of this run's shard) is about to run.
  void start_file(std::size_t items);
  void done(std::size_t items = 1);
  // Text after the counts ("2 divergence classes"); empty for none.
  void set_note(std::string note);
  // Erases the line before the run prints one of its own (it is drawn again later).
  void clear();
  // Draws the final state and clears the line, so that the report starts on a clean one.
  void finish();

 private:
  void draw(bool force);
  using Clock = std::chrono::steady_clock;
  std::ostream& out_;
  bool enabled_;
  std::string command_, unit_, note_;
  std::optional<std::size_t> files_, total_;
  std::optional<double> seconds_;
  std::size_t files_started_ = 0, in_files_started_ = 0;  // files announced; items they hold
  std::size_t done_ = 0;
  bool drawn_ = false;
  // finish() was called: a time-bounded run has reached its deadline by its own clock, which
  // may run a little ahead of this one (started later), so its count is the total.
  bool finished_ = false;
  Clock::time_point start_ = Clock::now(), last_draw_{};
};

}  // namespace vtspec::conformance
