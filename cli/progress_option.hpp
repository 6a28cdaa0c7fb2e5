// `--progress auto|always|never`, the same on every command with a long run (run, fuzz,
// bench access): conformance/runner/progress.hpp draws the line.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "conformance/runner/progress.hpp"

namespace vtspec::cli {

// `counted`: what the line counts, e.g. "vectors".
inline void add_progress_option(CLI::App& cmd, conformance::ProgressMode& mode, const std::string& counted) {
  mode = conformance::ProgressMode::automatic;
  cmd.add_option_function<std::string>(
         "--progress",
         [&mode](const std::string& value) {
           mode = value == "always" ? conformance::ProgressMode::always
                  : value == "never" ? conformance::ProgressMode::never
                                     : conformance::ProgressMode::automatic;
         },
         "auto (the default: a progress line on stderr, done/total " + counted +
             ", rate and ETA, when stdout and stderr are terminals; nothing otherwise), always, or never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
}

}  // namespace vtspec::cli
