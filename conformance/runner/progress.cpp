#include "conformance/runner/progress.hpp"

#include <unistd.h>

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

Progress::Progress(std::ostream& out, bool enabled, std::size_t files) : out_(out), enabled_(enabled), files_(files) {}

void Progress::start_file(std::size_t vectors) {
  ++files_started_;
  known_total_ += vectors;
  draw(false);
}

void Progress::vector_done() {
  ++done_;
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
  draw(true);
  clear();
}

void Progress::draw(bool force) {
  if (!enabled_) return;
  const auto now = Clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  // Files not yet read are taken to hold as many vectors as the average file read so far.
  const bool exact = files_started_ >= files_;
  const double per_file = files_started_ ? double(known_total_) / double(files_started_) : 0;
  const auto total = exact ? known_total_ : known_total_ + std::size_t(per_file * double(files_ - files_started_) + 0.5);
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double rate = seconds > 0 ? double(done_) / seconds : 0;
  std::string eta = "-";
  if (rate > 0 && total >= done_) {
    const auto left = static_cast<long>(double(total - done_) / rate + 0.5);
    eta = fmt::format("{}:{:02}", left / 60, left % 60);
  }
  out_ << fmt::format("\r\033[Kvtspec run: {}/{}{} vectors ({}%), {:.0f} vectors/s, ETA {}", done_, exact ? "" : "~", total,
                      total ? done_ * 100 / total : 100, rate, eta)
       << std::flush;
  drawn_ = true;
}

}  // namespace vtspec::conformance
