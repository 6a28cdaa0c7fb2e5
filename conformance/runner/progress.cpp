#include "conformance/runner/progress.hpp"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

namespace vtspec::conformance {

bool progress_wanted(ProgressMode mode) {
  switch (mode) {
    case ProgressMode::always: return true;
    case ProgressMode::never: return false;
    case ProgressMode::automatic: return ::isatty(STDOUT_FILENO) && ::isatty(STDERR_FILENO);
  }
  return false;
}

Progress::Progress(std::ostream& out, bool enabled, std::string command, std::string unit)
    : out_(out), enabled_(enabled), command_(std::move(command)), unit_(std::move(unit)) {}

void Progress::expect_files(std::size_t files) { files_ = files; }
void Progress::expect_total(std::size_t total) { total_ = total; }
void Progress::expect_seconds(double seconds) { seconds_ = seconds; }

void Progress::start_file(std::size_t items) {
  ++files_started_;
  in_files_started_ += items;
  draw(false);
}

void Progress::done(std::size_t items) {
  done_ += items;
  draw(false);
}

void Progress::set_note(std::string note) {
  if (note == note_) return;
  note_ = std::move(note);
  draw(false);
}

void Progress::clear() {
  if (!drawn_) return;
  out_ << "\r\033[K" << std::flush;
  drawn_ = false;
  last_draw_ = {};  // drawn again at the next change
}

void Progress::finish() {
  if (!enabled_) return;
  finished_ = true;
  draw(true);
  clear();
}

void Progress::draw(bool force) {
  if (!enabled_) return;
  const auto now = Clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? double(done_) / elapsed : 0;

  // Each way of knowing the total gives one (total, exact); the smallest wins (the run stops
  // at whichever bound it reaches first).
  std::optional<std::size_t> total;
  bool exact = false;
  auto bound = [&](std::size_t t, bool is_exact) {
    if (!total || t < *total) total = t, exact = is_exact;
  };
  if (files_) {
    // Files not yet read are taken to hold as many items as the average file read so far.
    const bool all_read = files_started_ >= *files_;
    const double per_file = files_started_ ? double(in_files_started_) / double(files_started_) : 0;
    bound(all_read ? in_files_started_
                   : in_files_started_ + std::size_t(per_file * double(*files_ - files_started_) + 0.5),
          all_read);
  }
  if (total_) bound(*total_, true);
  if (seconds_ && finished_) bound(done_, true);
  else if (seconds_ && elapsed > 0) bound(std::max(done_, std::size_t(rate * *seconds_ + 0.5)), elapsed >= *seconds_);
  if (total && done_ > *total) total = done_;  // a run that stops at a chunk's end may pass its bound

  std::string eta = "-";
  std::optional<double> left;
  if (total && rate > 0 && *total >= done_) left = double(*total - done_) / rate;
  if (seconds_) left = std::min(left.value_or(*seconds_), std::max(0.0, *seconds_ - elapsed));
  if (left) {
    const auto s = static_cast<long>(*left + 0.5);
    eta = fmt::format("{}:{:02}", s / 60, s % 60);
  }
  const std::string counts =
      total ? fmt::format("{}/{}{} {} ({}%)", done_, exact ? "" : "~", *total, unit_, *total ? std::min<std::size_t>(100, done_ * 100 / *total) : 100)
            : fmt::format("{} {}", done_, unit_);
  out_ << fmt::format("\r\033[K{}: {}, {:.0f} {}/s, ETA {}{}{}", command_, counts, rate, unit_, eta, note_.empty() ? "" : ", ",
                      note_)
       << std::flush;
  drawn_ = true;
}

}  // namespace vtspec::conformance
