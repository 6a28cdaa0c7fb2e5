// Exit codes of every vtspec subcommand (documented in README.md and docs/cli.md).
#pragma once

namespace vtspec::cli {
inline constexpr int kOk = 0;                 // everything checked agreed
inline constexpr int kCheckFailed = 1;        // a check, proof or comparison failed
inline constexpr int kBadInput = 2;           // bad command line or malformed input file
inline constexpr int kTargetUnavailable = 3;  // a requested target cannot run here
}  // namespace vtspec::cli
