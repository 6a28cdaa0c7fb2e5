// `vtspec oracle [--bench N]`: the model as a service, JSON lines on stdin and stdout
// (protocol vtspec/oracle/1, docs/oracle.md; conformance/oracle answers the requests).
#include <chrono>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "conformance/oracle/oracle_protocol.hpp"

namespace vtspec::cli {

namespace {

struct OracleOptions {
  std::size_t bench = 0;
};

double per_second(std::size_t count, double seconds) { return seconds > 0 ? count / seconds : 0; }

// Each request line of stdin answered `repeat` times in-process (no I/O in the timing): its
// answer once on stdout, the rate on stderr, by the clock and by CPU time (which other work
// on a shared machine disturbs less).
int bench(std::size_t repeat) {
  std::vector<std::string> lines;
  for (std::string line; std::getline(std::cin, line);) lines.push_back(std::move(line));
  if (lines.empty()) {
    std::cerr << "vtspec oracle --bench: no request lines on stdin\n";
    return kBadInput;
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const oracle::Answer first = oracle::answer_request(lines[i]);
    std::cout << first.json << '\n' << std::flush;
    std::size_t bytes = 0;  // used, so no answer can be optimized away
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    for (std::size_t k = 0; k < repeat; ++k) bytes += oracle::answer_request(lines[i]).json.size();
    const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cerr << fmt::format("line {}{}: {} answers of {} bytes in {:.3f} s: {:.0f} requests/s; CPU time {:.3f} s: {:.0f} "
                             "requests/s ({:.1f} us each)\n",
                             i + 1, first.error ? " (an error answer)" : "", repeat, bytes / repeat, seconds,
                             per_second(repeat, seconds), cpu, per_second(repeat, cpu), 1e6 * cpu / repeat);
  }
  return kOk;
}

}  // namespace

Action add_oracle_command(CLI::App& app) {
  auto opts = std::make_shared<OracleOptions>();
  auto* cmd = app.add_subcommand(
      "oracle",
      "Answer requests on stdin, one JSON object per line: a state and operations in, every allowed outcome of each "
      "operation with its flags and the walk trace out, one JSON line per request line (protocol vtspec/oracle/1, "
      "docs/oracle.md). A bad line is answered with an error and the service goes on. At the end of input, the "
      "requests per second on stderr.");
  cmd->add_option("--bench", opts->bench,
                  "Instead: answer each request line of stdin N times in-process, print its answer once and the "
                  "requests per second on stderr")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 32));
  return [opts]() -> int {
    std::ios::sync_with_stdio(false);  // buffered stdin; each answer is flushed
    if (opts->bench) return bench(opts->bench);
    const oracle::ServeSummary s = oracle::serve(std::cin, std::cout);
    std::cerr << fmt::format("vtspec oracle: {} requests ({} answered with an error) in {:.3f} s of answering: {:.0f} requests/s\n",
                             s.requests, s.errors, s.seconds, per_second(s.requests, s.seconds));
    return kOk;
  };
}

}  // namespace vtspec::cli
