#include "conformance/runner/results_merge.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "conformance/runner/results_file.hpp"

namespace vtspec::conformance {

namespace {

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void count(IdentityRow& row, const VectorRecord& r) {
  ++row.vectors;
  row.operations += r.operations;
  row.divergences += r.divergences;
  row.counts.add(r.status);
}

}  // namespace

MergedResults merge_results(const std::vector<std::string>& paths) {
  MergedResults merged;
  std::map<std::pair<std::string, std::string>, std::pair<VectorRecord, std::string>> latest;  // (identity, id)
  for (const std::string& path : paths) {
    const std::string text = read_whole(path);
    std::size_t lines = 0;
    const std::size_t end = read_results_text(path, text, [&](VectorRecord&& record, std::size_t line) {
      lines = line;
      const std::string identity = record.identity.empty() ? record.target : record.identity;
      auto [it, added] = latest.try_emplace({identity, record.id});
      merged.repeated += !added;
      it->second = {std::move(record), path};
    });
    if (end < text.size())
      throw std::runtime_error(fmt::format("{}:{}: a torn last line (a run killed while writing it): finish that run "
                                           "with `vtspec run --results {} --resume` first",
                                           path, lines + 1, path));
    merged.files.push_back(path);
  }
  std::map<std::string, IdentityRow> rows;
  for (auto& [key, entry] : latest) {
    auto& [record, path] = entry;
    IdentityRow& row = rows[key.first];
    row.identity = key.first;
    row.files.insert(path);
    count(row, record);
    for (const auto& d : record.divergent) ++merged.classes[d.class_key][key.first];
    merged.records.push_back(std::move(record));
  }
  for (auto& [identity, row] : rows) merged.rows.push_back(std::move(row));
  return merged;
}

void write_merged_summary(std::ostream& out, const MergedResults& m) {
  std::size_t records = 0, width = 15;
  for (const auto& r : m.rows) {
    records += r.vectors;
    width = std::max(width, r.identity.size());
  }
  out << fmt::format("vtspec report merge: {} file{}, {} vector{}, {} target identit{}\n", m.files.size(),
                     m.files.size() == 1 ? "" : "s", records, records == 1 ? "" : "s", m.rows.size(),
                     m.rows.size() == 1 ? "y" : "ies");
  out << fmt::format("{:<{}}  {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>10} {:>5}\n", "target identity", width, "vectors",
                     "passed", "failed", "skipped", "errors", "known", "divergent", "files");
  for (const auto& r : m.rows)
    out << fmt::format("{:<{}}  {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>10} {:>5}\n", r.identity, width, r.vectors, r.counts.passed,
                       r.counts.failed, r.counts.skipped, r.counts.errors, r.counts.known, r.divergences, r.files.size());
  if (!m.classes.empty()) out << "divergence classes, divergent operations per target identity:\n";
  for (const auto& [key, by_identity] : m.classes) {
    out << "  CLASS " << key << "\n";
    for (const auto& [identity, operations] : by_identity) out << fmt::format("    {:>6}  {}\n", operations, identity);
  }
  if (m.repeated)
    out << fmt::format("note: {} record{} repeated a vector of the same target identity (overlapping shards, a file "
                       "given twice?); each vector counts once, its last record\n",
                       m.repeated, m.repeated == 1 ? "" : "s");
}

int merged_exit_code(const MergedResults& m) {
  for (const auto& r : m.rows)
    if (r.counts.failed || r.counts.errors) return 1;
  return 0;
}

}  // namespace vtspec::conformance
