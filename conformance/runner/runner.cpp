#include "conformance/runner/runner.hpp"

#include <chrono>
#include <fstream>
#include <algorithm>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "conformance/runner/comparison.hpp"
#include "conformance/runner/reports.hpp"
#include "conformance/runner/results_file.hpp"
#include "conformance/runner/skip_decision.hpp"
#include "vectors/format/load_error.hpp"
#include "vectors/format/model_evaluation.hpp"
#include "vectors/format/vector_file.hpp"

namespace vtspec::conformance {

namespace {

using Clock = std::chrono::steady_clock;
using vectors::ExpectedOutcome;

std::string indent(const std::string& text, const std::string& prefix) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += prefix + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

// Compares a target's observations with the vector's expectations; fills the record.
void judge(const vectors::Vector& v, const VectorResult& result, VectorRecord& record) {
  std::vector<vectors::ModelStep> model;  // computed only if something diverges
  std::string details;
  for (std::size_t i = 0; i < v.operations.size(); ++i) {
    Observation missing;
    const Observation& o = i < result.observations.size() ? result.observations[i] : missing;
    if (matching_outcome(v, i, o) >= 0) continue;
    ++record.divergences;
    if (record.divergences > 20) continue;  // the first 20 in full; the count says the rest
    if (model.empty()) model = vectors::evaluate_on_model(v);
    const auto& where = i < v.operation_sources.size() ? v.operation_sources[i] : v.source;
    details += fmt::format("operation {} ({}:{}): {}\n", i, where.file, where.line, vectors::describe_operation(v.operations[i]));
    details += "  allowed:\n";
    for (const auto& e : v.expectations[i].outcomes)
      details += fmt::format("    {:<11} {}\n", e.result == ExpectedOutcome::Result::valid ? "valid:" : "acceptable:",
                             vectors::describe_outcome(e));
    details += "  observed: " + describe_observation(v, o) + "\n";
    details += "  differs from the valid outcome: " + mismatch(v, v.expectations[i].outcomes.front(), o) + "\n";
    details += "  model walk trace:\n" + indent(model[i].trace, "    ");
  }
  if (record.divergences > 20) details += fmt::format("... and {} more divergent operations\n", record.divergences - 20);
  record.details = details;
  if (record.divergences) record.status = VectorRecord::Status::fail;
}

}  // namespace

int run_vectors(Target& target, const std::vector<std::string>& paths, const RunOptions& options, std::ostream& out,
                RunSummary* summary_out) {
  const auto start = Clock::now();
  RunSummary summary;
  std::vector<VectorRecord> records;
  struct Loaded {
    std::string file;
    std::vector<vectors::Vector> vectors;
  };
  std::vector<Loaded> loaded;
  for (const auto& file : vectors::find_vector_files(paths)) {
    ++summary.files;
    try {
      loaded.push_back({file, vectors::load_vector_file(file)});
      summary.vectors += loaded.back().vectors.size();
    } catch (const vectors::LoadError& e) {
      ++summary.load_errors;
      out << (options.tap ? "# " : "") << "error: " << e.what() << "\n";
    }
  }
  if (summary.files == 0) {
    out << (options.tap ? "# " : "") << "error: no vector files found\n";
    return 2;
  }

  std::unique_ptr<ResultsFile> results;
  if (!options.results_path.empty()) results = std::make_unique<ResultsFile>(options.results_path, options.resume);

  const Capabilities& capabilities = target.capabilities();
  const std::string& unavailable = capabilities.unavailable;
  std::map<std::string, std::size_t> skip_reasons;  // reason -> vectors
  if (options.tap) out << "1.." << summary.vectors << "\n";
  std::size_t number = 0;
  for (const auto& [file, vectors_in_file] : loaded) {
    for (const auto& v : vectors_in_file) {
      ++number;
      summary.operations += v.operations.size();
      VectorRecord record;
      const std::string key = ResultsFile::key(file, v.id);
      if (results && results->previous().count(key)) {
        record = results->previous().at(key);
        ++summary.resumed;
      } else {
        record.file = file;
        record.id = v.id;
        record.operations = v.operations.size();
        const auto t0 = Clock::now();
        if (const auto skip = skip_reason(vectors::needs_of(v), capabilities)) {
          record.status = VectorRecord::Status::skipped;
          record.reason = *skip;
        } else {
          VectorResult result;
          try {
            result = target.run(v);
          } catch (const std::exception& e) {
            result.status = VectorResult::Status::target_error;
            result.reason = std::string("target threw: ") + e.what();
          }
          if (result.status == VectorResult::Status::skipped) {
            record.status = VectorRecord::Status::skipped;
            record.reason = result.reason;
          } else {
            judge(v, result, record);
            if (result.status == VectorResult::Status::target_error) {
              record.status = VectorRecord::Status::error;
              record.reason = result.reason;
            }
          }
        }
        record.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        if (results) results->append(record);
      }
      switch (record.status) {
        case VectorRecord::Status::pass: ++summary.passed; break;
        case VectorRecord::Status::fail: ++summary.failed; break;
        case VectorRecord::Status::skipped:
          ++summary.skipped;
          ++skip_reasons[record.reason];
          break;
        case VectorRecord::Status::error: ++summary.errors; break;
      }
      if (options.tap) {
        write_tap_line(out, number, record);
      } else if (record.status == VectorRecord::Status::fail || record.status == VectorRecord::Status::error) {
        out << fmt::format("{} {} ({}:{}){}\n", record.status == VectorRecord::Status::fail ? "FAIL" : "ERROR", v.id, file,
                           v.source.line, record.reason.empty() ? "" : ": " + record.reason);
        out << indent(record.details, "  ");
      } else if (options.verbose) {
        out << fmt::format("{} {}{}\n", record.status == VectorRecord::Status::pass ? "PASS" : "SKIPPED", v.id,
                           record.reason.empty() ? "" : ": " + record.reason);
      }
      out.flush();
      records.push_back(std::move(record));
    }
  }
  summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();

  if (!options.junit_path.empty()) {
    std::ofstream junit(options.junit_path);
    write_junit(junit, target.name(), records);
  }
  // Skips grouped by reason, most frequent first: what this host's target lacks.
  std::vector<std::pair<std::string, std::size_t>> by_count(skip_reasons.begin(), skip_reasons.end());
  std::stable_sort(by_count.begin(), by_count.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [reason, count] : by_count)
    out << (options.tap ? "# " : "") << fmt::format("SKIPPED {:>4}: {}\n", count, reason);
  const std::size_t executed = summary.passed + summary.failed + summary.errors;
  const bool executed_nothing = capabilities.real && summary.vectors > 0 && executed == 0;
  if (executed_nothing)
    out << (options.tap ? "# " : "")
        << fmt::format("error: the {} target executed no vector{}\n", target.name(),
                       unavailable.empty() ? " (every one was skipped; see the reasons above)" : ": it is unavailable here");
  out << (options.tap ? "# " : "")
      << fmt::format("vtspec run --target {}: {} files, {} vectors, {} operations: {} passed, {} failed, {} skipped, "
                     "{} errors{}{} in {:.2f} s\n",
                     target.name(), summary.files, summary.vectors, summary.operations, summary.passed, summary.failed,
                     summary.skipped, summary.errors,
                     summary.load_errors ? fmt::format(", {} files failed to load", summary.load_errors) : "",
                     summary.resumed ? fmt::format(" ({} resumed from {})", summary.resumed, options.results_path) : "",
                     summary.seconds);
  if (summary_out) *summary_out = summary;
  if (executed_nothing) return 3;
  if (summary.load_errors) return 2;
  return summary.failed || summary.errors ? 1 : 0;
}

}  // namespace vtspec::conformance
