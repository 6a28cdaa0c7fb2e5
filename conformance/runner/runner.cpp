#include "conformance/runner/runner.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "conformance/runner/comparison.hpp"
#include "conformance/runner/divergence_report.hpp"
#include "conformance/runner/html_report.hpp"
#include "conformance/runner/json_report.hpp"
#include "conformance/runner/known_divergences.hpp"
#include "conformance/runner/reports.hpp"
#include "conformance/runner/results_file.hpp"
#include "conformance/runner/skip_decision.hpp"
#include "conformance/runner/vector_judgement.hpp"
#include "vectors/format/load_error.hpp"
#include "vectors/format/model_evaluation.hpp"
#include "vectors/format/corpus_file.hpp"

namespace vtspec::conformance {

namespace {

using Clock = std::chrono::steady_clock;

const Observation& observation(const VectorResult& result, std::size_t i) { return observation_of(result, i); }

const vectors::SourceLocation& source_of(const vectors::Vector& v, std::size_t i) {
  return i < v.operation_sources.size() ? v.operation_sources[i] : v.source;
}

// One vector's divergences, after the run's known list: each is KNOWN or joins its class.
// `result` is null for a resumed record (then no example: the observations are gone).
void sort_divergences(const vectors::Vector& v, const std::string& file, const VectorResult* result,
                      KnownDivergences& known, DivergenceClasses& classes, VectorRecord& record, RunReport& report) {
  if (record.status != VectorRecord::Status::fail) return;
  std::vector<vectors::ModelStep> model;  // computed only for a class's first example
  std::vector<std::string> references;
  std::size_t unknown = 0;
  for (const auto& d : record.divergent) {
    const DivergenceInstance instance{v.id, file, source_of(v, d.operation).line, d.operation};
    if (const KnownDivergence* k = known.match(v.id, d.operation, d.class_key)) {
      report.known.push_back({instance, d.class_key, k->describe(), k->reference, k->verdict});
      if (std::find(references.begin(), references.end(), k->reference) == references.end()) references.push_back(k->reference);
      continue;
    }
    ++unknown;
    std::optional<DivergenceExample> example;
    if (result && classes.wants_example(d.class_key, v.operations.size())) {
      if (model.empty()) model = vectors::evaluate_on_model(v);
      example = divergence_example(v, d.operation, observation(*result, d.operation), model[d.operation]);
    }
    classes.add(d.class_key, instance, std::move(example));
  }
  if (unknown == 0) {
    record.status = VectorRecord::Status::known;
    record.reason = fmt::format("known divergence: {}", fmt::join(references, "; "));
  }
}

std::string prefix(const RunOptions& o) { return o.tap ? "# " : ""; }

void write_summary_line(std::ostream& out, const RunReport& r, const RunOptions& options) {
  const RunSummary& s = r.summary;
  std::string known;
  if (!options.known_path.empty() || s.known)
    known = fmt::format(", {} known divergence{} ({} vector{} with only known ones)", s.known, s.known == 1 ? "" : "s",
                        s.known_vectors, s.known_vectors == 1 ? "" : "s");
  if (s.fixed) known += fmt::format(", {} FIXED?", s.fixed);
  if (s.not_run > s.warnings)
    known += fmt::format(", {} other vtspec file{} not run{}", s.not_run - s.warnings, s.not_run - s.warnings == 1 ? "" : "s",
                         options.verbose ? "" : " (-v lists them)");
  if (s.warnings) known += fmt::format(", {} WARNING{} (files that are not vtspec's)", s.warnings, s.warnings == 1 ? "" : "S");
  const std::string shard = options.shard.total > 1 ? " --shard " + options.shard.describe() : "";
  out << prefix(options)
      << fmt::format("vtspec run --target {}{}: {} files, {} vectors, {} operations: {} passed, {} failed, {} skipped, "
                     "{} errors{}{}{} in {:.2f} s\n",
                     r.target, shard, s.files, s.vectors, s.operations, s.passed, s.failed, s.skipped, s.errors, known,
                     s.load_errors ? fmt::format(", {} files failed to load", s.load_errors) : "",
                     s.resumed ? fmt::format(" ({} resumed from {})", s.resumed, options.results_path) : "", s.seconds);
}

// Finishes a run that stopped before any vector ran (nothing to load, a bad known list).
int stop(std::ostream& out, const RunOptions& options, RunReport& report, const std::string& message, int code) {
  if (options.format == RunOptions::Format::json) {
    report.errors.push_back({"", "", message});
    write_json_report(out, report);
  } else {
    out << prefix(options) << "error: " << message << "\n";
  }
  return code;
}

}  // namespace

int run_vectors(Target& target, const std::vector<std::string>& paths, const RunOptions& options, std::ostream& out,
                RunSummary* summary_out) {
  const auto start = Clock::now();
  const bool json = options.format == RunOptions::Format::json, text = !json && !options.tap;
  RunReport report;
  report.target = target.name();
  RunSummary& summary = report.summary;
  auto load_error = [&](const std::string& file, const std::string& message) {
    ++summary.load_errors;
    report.errors.push_back({file, "", message});
    if (!json) out << prefix(options) << "error: " << message << "\n";
  };

  KnownDivergences known;
  if (!options.known_path.empty()) {
    try {
      known = KnownDivergences::load(options.known_path, target.name());
    } catch (const vectors::LoadError& e) {
      return stop(out, options, report, e.what(), 2);
    }
  }

  const Capabilities& capabilities = target.capabilities();
  std::unique_ptr<ResultsFile> results;
  if (!options.results_path.empty()) {
    try {
      results = std::make_unique<ResultsFile>(options.results_path, options.resume, capabilities.identity);
    } catch (const std::exception& e) {  // refused (exists, in use, another target's, damaged): nothing runs
      return stop(out, options, report, e.what(), 2);
    }
  }

  const std::string& unavailable = capabilities.unavailable;
  std::map<std::string, std::size_t> skip_reasons;  // reason -> vectors
  DivergenceClasses classes;
  std::set<std::string> compared;  // vectors that ran to the end: a known entry for one must match
  std::size_t number = 0;

  // One file at a time: load it, run its vectors, let it go. Memory stays bounded by the
  // largest file (vectors/format/input_file.hpp), not by the corpus.
  const vectors::CorpusListing listing = vectors::find_corpus_files(paths);
  Progress progress(std::cerr, progress_wanted(options.progress), "vtspec run", "vectors");
  progress.expect_files(listing.files.size());
  for (const auto& [dir, why] : listing.unlisted) load_error(dir, fmt::format("{}: cannot list directory: {}", dir, why));
  for (const vectors::CorpusFile& corpus_file : listing.files) {
    const std::string& file = corpus_file.path;
    vectors::CorpusFileContents contents;
    try {
      contents = vectors::load_corpus_file(corpus_file);
    } catch (const vectors::LoadError& e) {
      ++summary.files;
      report.files.push_back(file);
      load_error(file, e.what());
      continue;
    }
    if (contents.kind != vectors::CorpusFileContents::Kind::vectors) {
      const bool warning = contents.kind == vectors::CorpusFileContents::Kind::foreign;
      report.not_run.push_back({file, contents.note, warning});
      summary.warnings += warning;
      ++summary.not_run;
      // Other vtspec files (states, known lists) are counted in the summary and listed with
      // --verbose; YAML that is not vtspec's is a warning, always listed.
      if (!json && (warning || options.verbose))
        out << prefix(options) << (warning ? "warning: " : "note: ") << file << ": " << contents.note << "\n";
      continue;
    }
    ++summary.files;
    report.files.push_back(file);
    progress.start_file(contents.vectors.size());
    // One vector at a time (corpus_file.hpp: the file was checked whole), or for a target that
    // runs many per machine (Target::batch_size), the next range holding that many to run:
    // they run together, then each is judged and reported in order as before.
    const std::size_t batch = std::max<std::size_t>(1, target.batch_size());
    std::vector<vectors::Vector> range;
    std::map<std::size_t, VectorResult> batch_results;  // index in `range` -> result
    double batch_seconds_each = 0;
    std::size_t range_first = 0;
    for (std::size_t index = 0; index < contents.vectors.size(); ++index) {
      if (index == range_first + range.size()) {
        range.clear();
        batch_results.clear();
        range_first = index;
        std::vector<const vectors::Vector*> to_run;
        std::vector<std::size_t> at;
        if (batch > 1) {
          for (std::size_t i = index; i < contents.vectors.size() && at.size() < batch; ++i) {
            range.push_back(contents.vectors.load(i));
            const vectors::Vector& r = range.back();
            if (options.shard.contains(r.id) && !(results && results->find(r.id, r.content_hash)) &&
                !skip_reason(vectors::needs_of(r), capabilities))
              at.push_back(range.size() - 1);
          }
          for (std::size_t i : at) to_run.push_back(&range[i]);
        } else {
          range.push_back(contents.vectors.load(index));
        }
        if (!to_run.empty()) {
          const auto t0 = Clock::now();
          std::vector<VectorResult> ran;
          try {
            ran = target.run_many(to_run);
          } catch (const std::exception& e) {
            ran.assign(to_run.size(), VectorResult{});
            for (auto& r : ran) {
              r.status = VectorResult::Status::target_error;
              r.reason = std::string("target threw: ") + e.what();
            }
          }
          if (ran.size() != to_run.size()) throw std::logic_error("Target::run_many returned another number of results");
          for (std::size_t i = 0; i < at.size(); ++i) batch_results[at[i]] = std::move(ran[i]);
          batch_seconds_each = std::chrono::duration<double>(Clock::now() - t0).count() / static_cast<double>(at.size());
        }
      }
      const std::size_t in_range = index - range_first;
      const vectors::Vector& v = range[in_range];
      try {
        known.loaded(v.id, v.operations.size());
      } catch (const vectors::LoadError& e) {
        load_error(options.known_path, e.what());
      }
      if (!options.shard.contains(v.id)) {  // another shard's (shard.hpp)
        progress.done();  // the line counts the files' vectors: a shard reads them all
        continue;
      }
      ++summary.vectors;
      ++number;
      summary.operations += v.operations.size();
      VectorRecord record;
      VectorResult result;
      bool ran = false;
      if (const VectorRecord* previous = results ? results->find(v.id, v.content_hash) : nullptr) {
        record = *previous;
        record.file = file;  // this run's spelling of the path, for the reports (the key is id + hash)
        ++summary.resumed;
      } else {
        record.file = file;
        record.id = v.id;
        record.hash = v.content_hash;
        record.operations = v.operations.size();
        const auto t0 = Clock::now();
        const auto ran_in_batch = batch_results.find(in_range);
        if (const auto skip = skip_reason(vectors::needs_of(v), capabilities)) {
          record.status = VectorRecord::Status::skipped;
          record.reason = *skip;
        } else {
          if (ran_in_batch != batch_results.end()) {
            result = std::move(ran_in_batch->second);
          } else {
            try {
              result = target.run(v);
            } catch (const std::exception& e) {
              result.status = VectorResult::Status::target_error;
              result.reason = std::string("target threw: ") + e.what();
            }
          }
          if (result.status == VectorResult::Status::skipped) {
            record.status = VectorRecord::Status::skipped;
            record.reason = result.reason;
          } else {
            ran = true;
            judge(v, result, record);
            if (result.status == VectorResult::Status::target_error) {
              record.status = VectorRecord::Status::error;
              record.reason = result.reason;
            }
          }
        }
        record.seconds = ran_in_batch != batch_results.end() ? batch_seconds_each
                                                             : std::chrono::duration<double>(Clock::now() - t0).count();
        if (results) results->append(record);  // the judgement before the known list
      }
      const std::size_t known_before = report.known.size();
      sort_divergences(v, file, ran ? &result : nullptr, known, classes, record, report);
      summary.known += report.known.size() - known_before;
      switch (record.status) {
        case VectorRecord::Status::pass: ++summary.passed; break;
        case VectorRecord::Status::fail: ++summary.failed; break;
        case VectorRecord::Status::known: ++summary.known_vectors; break;
        case VectorRecord::Status::skipped:
          ++summary.skipped;
          ++skip_reasons[record.reason];
          break;
        case VectorRecord::Status::error:
          ++summary.errors;
          report.errors.push_back({file, v.id, record.reason});
          break;
      }
      if (record.status != VectorRecord::Status::skipped && record.status != VectorRecord::Status::error) compared.insert(v.id);
      if (options.tap || (text && (record.status != VectorRecord::Status::pass || options.verbose))) progress.clear();
      if (options.tap) {
        write_tap_line(out, number, record);
      } else if (text) {
        if (record.status == VectorRecord::Status::fail)
          out << fmt::format("FAIL {} ({}:{}): {} of {} operations diverge\n", v.id, file, v.source.line,
                             record.divergences, record.operations);
        else if (record.status == VectorRecord::Status::error)
          out << fmt::format("ERROR {} ({}:{}): {}\n", v.id, file, v.source.line, record.reason);
        else if (options.verbose && record.status != VectorRecord::Status::known)
          out << fmt::format("{} {}{}\n", record.status == VectorRecord::Status::pass ? "PASS" : "SKIPPED", v.id,
                             record.reason.empty() ? "" : ": " + record.reason);
        for (std::size_t k = known_before; k < report.known.size(); ++k) {
          const KnownInstance& i = report.known[k];
          out << fmt::format("KNOWN {} operation {} ({}:{}): {}: {}\n", v.id, i.instance.operation, file, i.instance.line,
                             i.class_key, i.reference);
        }
      }
      out.flush();
      progress.done();
      report.records.push_back(std::move(record));
    }
  }
  progress.finish();
  if (summary.files == 0 && listing.unlisted.empty()) return stop(out, options, report, "no vector files found", 2);
  if (options.tap) out << "1.." << number << "\n";  // TAP's plan may come last
  // Not an error (a run may take part of the corpus), but never silent: a typo shows here.
  for (const KnownDivergence* k : known.not_loaded())
    report.notes.push_back("known divergence names no vector of this run: " + k->describe());
  if (results)
    for (std::string& note : results->notes()) report.notes.push_back(std::move(note));
  if (!json)
    for (const std::string& note : report.notes) out << prefix(options) << "note: " << note << "\n";
  for (const KnownDivergence* k : known.fixed(compared)) report.fixed.push_back(k->describe());
  summary.fixed = report.fixed.size();
  summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();

  if (!options.junit_path.empty()) {
    std::ofstream junit(options.junit_path);
    write_junit(junit, target.name(), report.records);
  }
  report.classes = classes.by_count();
  // Skips grouped by reason, most frequent first: what this host's target lacks.
  report.skips.assign(skip_reasons.begin(), skip_reasons.end());
  std::stable_sort(report.skips.begin(), report.skips.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  const bool executed_nothing = capabilities.real && summary.vectors > 0 && compared.empty() && summary.errors == 0;
  if (executed_nothing)
    report.errors.push_back({"", "", fmt::format("the {} target executed no vector{}", target.name(),
                                                 unavailable.empty() ? " (every one was skipped; see the reasons above)"
                                                                     : ": it is unavailable here")});
  if (!options.html_dir.empty()) write_html_report_dir(options.html_dir, report, capabilities.identity.describe());
  if (json) {
    write_json_report(out, report);
  } else {
    if (text) write_divergence_classes(out, report.classes);
    for (const auto& f : report.fixed)
      out << prefix(options) << "FIXED? " << f << ": the target no longer diverges as listed; update the list\n";
    for (const auto& [reason, count] : report.skips) out << prefix(options) << fmt::format("SKIPPED {:>4}: {}\n", count, reason);
    if (executed_nothing) out << prefix(options) << "error: " << report.errors.back().message << "\n";
    // Which machine answered: for a real target its version and CPU (TargetIdentity).
    if (capabilities.real && !capabilities.identity.details.empty())
      out << prefix(options) << "target: " << capabilities.identity.describe() << "\n";
    write_summary_line(out, report, options);
  }
  if (summary_out) *summary_out = summary;
  if (executed_nothing) return 3;
  if (summary.load_errors) return 2;
  return summary.failed || summary.errors || summary.fixed ? 1 : 0;
}

}  // namespace vtspec::conformance
