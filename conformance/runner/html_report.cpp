#include "conformance/runner/html_report.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

#include "conformance/runner/divergence_report.hpp"
#include "conformance/runner/markup_text.hpp"

namespace vtspec::conformance {

namespace {

std::string h(const std::string& s) { return xml_text(s); }
std::string attr(const std::string& s) { return xml_attribute(s); }

const char* kStyle = R"(
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #bbb; padding: 2px 8px; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.pass { background: #e6f4e6; } .fail { background: #fbe3e3; } .skip { background: #f2f2f2; }
tr.observed td, tr.observed th { background: #fbe3e3; font-weight: bold; }
code, pre, .mono, table.walk td, table.grid2d td { font-family: ui-monospace, monospace; font-size: 12px; }
table.grid2d td { min-width: 11em; } table.grid2d td.empty { background: #f7f7f7; }
table.grid2d b { color: #035; }
section.class { border-left: 4px solid #c33; padding-left: 1em; margin-bottom: 2em; }
section.class[hidden] { display: none; }
)";

// The only script: filters the classes by a word, and marks the page as scripted (the
// browser test checks that it ran, that is, that no script error came first).
const char* kScript = R"(
(function () {
  var filter = document.getElementById('class-filter');
  if (filter) filter.addEventListener('input', function () {
    var word = filter.value.toLowerCase();
    document.querySelectorAll('section.class').forEach(function (s) {
      s.hidden = word !== '' && s.getAttribute('data-key').toLowerCase().indexOf(word) < 0;
    });
  });
  document.body.setAttribute('data-script', 'ok');
})();
)";

std::string family_of(const std::string& id) {
  const auto slash = id.find('/');
  return slash == std::string::npos ? id : id.substr(0, slash);
}

void write_matrix(std::ostream& out, const RunReport& r, const std::string& target) {
  std::map<std::string, StatusCounts> families;
  for (const auto& record : r.records) families[family_of(record.id)].add(record.status);
  out << "<h2>Per-target matrix</h2>\n<table id=\"matrix\">\n";
  out << fmt::format("<thead><tr><th rowspan=\"2\">vector family</th><th colspan=\"5\">{}</th></tr>\n", h(target));
  out << "<tr><th>pass</th><th>divergence</th><th>skip</th><th>known</th><th>error</th></tr></thead>\n<tbody>\n";
  for (const auto& [family, c] : families)
    out << fmt::format(
        "<tr data-family=\"{}\"><th>{}</th><td class=\"n pass\">{}</td><td class=\"n{}\">{}</td><td class=\"n skip\">{}</td>"
        "<td class=\"n\">{}</td><td class=\"n{}\">{}</td></tr>\n",
        attr(family), h(family), c.passed, c.failed ? " fail" : "", c.failed, c.skipped, c.known, c.errors ? " fail" : "",
        c.errors);
  out << "</tbody></table>\n";
}

void write_summary(std::ostream& out, const RunSummary& s) {
  out << "<table id=\"summary\"><tr><th>files</th><th>vectors</th><th>operations</th><th>passed</th><th>failed</th>"
         "<th>skipped</th><th>errors</th><th>known</th></tr>\n<tr>";
  for (const auto& [name, value] : {std::pair{"files", s.files}, {"vectors", s.vectors}, {"operations", s.operations},
                                    {"passed", s.passed}, {"failed", s.failed}, {"skipped", s.skipped},
                                    {"errors", s.errors}, {"known", s.known_vectors}})
    out << fmt::format("<td class=\"n\" id=\"count-{}\">{}</td>", name, value);
  out << "</tr></table>\n";
}

// A second-stage reference: an EPT entry, or a nested page-table entry (AMD-V).
bool second_stage(const spec::Reference& r) {
  return r.kind == spec::ReferenceKind::ept_entry || r.kind == spec::ReferenceKind::nested_entry;
}
bool nested(const std::vector<model::TraceRow>& walk) {
  return std::any_of(walk.begin(), walk.end(), [](const auto& row) { return row.reference.kind == spec::ReferenceKind::nested_entry; });
}

void write_walk_table(std::ostream& out, const std::vector<model::TraceRow>& walk) {
  out << "<table class=\"walk\"><tr><th>#</th><th>structure</th><th>guest level</th><th>" << (nested(walk) ? "nested" : "EPT")
      << " level</th>"
         "<th>guest-physical</th><th>host-physical</th><th>entry</th><th>decoded</th></tr>\n";
  for (std::size_t n = 0; n < walk.size(); ++n) {
    const spec::Reference& r = walk[n].reference;
    out << fmt::format("<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:#x}</td><td>{:#x}</td>"
                       "<td>{:#018x}</td><td>{}</td></tr>\n",
                       n + 1, h(walk[n].structure), r.guest_level ? std::to_string(r.guest_level) : "data",
                       second_stage(r) ? std::to_string(r.ept_level) : "-", r.guest_physical,
                       r.physical, r.value, h(walk[n].decoded));
  }
  out << "</table>\n";
}

void write_example(std::ostream& out, const DivergenceClass& c) {
  const DivergenceExample& e = *c.example;
  const DivergenceInstance& i = c.example_instance;
  out << fmt::format("<h4>Minimal vector: <code>{}</code> operation {} (<code>{}:{}</code>), {} operation{}</h4>\n",
                     h(i.vector_id), i.operation, h(i.file), i.line, e.vector_operations, e.vector_operations == 1 ? "" : "s");
  out << fmt::format("<p class=\"operation\">{}</p>\n", h(e.operation));
  out << "<table class=\"allowed\"><tr><th></th><th>outcome</th><th>why it is allowed</th></tr>\n";
  for (const auto& a : e.allowed)
    out << fmt::format("<tr class=\"allowed-outcome\"><th>{}</th><td>{}</td><td>{}</td></tr>\n", h(a.result), h(a.outcome),
                       h(fmt::format("{}", fmt::join(a.flags, ", "))));
  out << fmt::format("<tr class=\"observed\"><th>observed</th><td>{}</td><td>{}</td></tr>\n</table>\n", h(e.observed),
                     h("differs from the valid outcome: " + e.difference));
  if (!e.walk.empty()) {
    out << fmt::format("<h4>The model's walk: {} memory references{}</h4>\n", e.walk.size(),
                       !e.two_dimensional ? "" : nested(e.walk) ? ", guest paging under nested paging" : ", guest paging under EPT");
    if (e.two_dimensional) out << two_dimensional_grid(e.walk);
    write_walk_table(out, e.walk);
  }
  out << "<details><summary>the walk trace as text</summary><pre>" << h(e.trace) << "</pre></details>\n";
}

void write_classes(std::ostream& out, const std::vector<DivergenceClass>& classes) {
  out << fmt::format("<h2>Divergence classes ({})</h2>\n", classes.size());
  if (classes.empty()) {
    out << "<p id=\"no-divergence\">No divergence.</p>\n";
    return;
  }
  out << "<p><label>Show classes containing <input id=\"class-filter\" type=\"search\"></label></p>\n";
  for (std::size_t n = 0; n < classes.size(); ++n) {
    const DivergenceClass& c = classes[n];
    out << fmt::format("<section class=\"class\" id=\"class-{}\" data-key=\"{}\">\n<h3>CLASS {}: {}</h3>\n", n + 1,
                       attr(c.key), n + 1, h(c.key));
    out << fmt::format("<p><span class=\"operations\">{}</span> divergent operation{} in <span class=\"vectors\">{}</span> "
                       "vector{}:</p>\n<ul>\n",
                       c.instances.size(), c.instances.size() == 1 ? "" : "s", c.vectors, c.vectors == 1 ? "" : "s");
    for (std::size_t k = 0; k < c.instances.size() && k < kInstancesListed; ++k) {
      const auto& i = c.instances[k];
      out << fmt::format("<li><code>{}</code> operation {} (<code>{}:{}</code>)</li>\n", h(i.vector_id), i.operation,
                         h(i.file), i.line);
    }
    if (c.instances.size() > kInstancesListed) out << fmt::format("<li>... and {} more</li>\n", c.instances.size() - kInstancesListed);
    out << "</ul>\n";
    if (c.example) write_example(out, c);
    else out << "<p>Every instance was resumed from the results file; rerun without --resume for an example.</p>\n";
    out << "</section>\n";
  }
}

}  // namespace

std::string two_dimensional_grid(const std::vector<model::TraceRow>& walk) {
  unsigned guest_levels = 0, ept_levels = 0;
  bool two_dimensional = false;
  for (const auto& row : walk) {
    guest_levels = std::max(guest_levels, row.reference.guest_level);
    ept_levels = std::max(ept_levels, row.reference.ept_level);
    two_dimensional = two_dimensional || second_stage(row.reference);
  }
  const char* stage = nested(walk) ? "nested" : "EPT";
  if (!two_dimensional) return {};
  // (guest level, EPT level; 0 = the guest entry) -> the references there, in walk order.
  std::map<std::pair<unsigned, unsigned>, std::vector<std::size_t>> cells;
  for (std::size_t n = 0; n < walk.size(); ++n) {
    const spec::Reference& r = walk[n].reference;
    cells[{r.guest_level, second_stage(r) ? r.ept_level : 0}].push_back(n);
  }
  std::string out = fmt::format("<table class=\"grid2d\">\n<tr><th>guest level \\ {} level</th>", stage);
  for (unsigned e = ept_levels; e >= 1; --e) out += fmt::format("<th>{} level {}</th>", stage, e);
  out += "<th>guest entry</th></tr>\n";
  for (unsigned g = guest_levels + 1; g-- > 0;) {
    out += fmt::format("<tr><th>{}</th>", g ? fmt::format("guest level {}", g) : std::string("data"));
    for (unsigned e = ept_levels + 1; e-- > 0;) {
      const unsigned column = e;  // ept_levels..1, then 0: the guest entry
      const auto it = cells.find({g, column});
      if (it == cells.end()) {
        out += fmt::format("<td class=\"empty\" data-guest=\"{}\" data-ept=\"{}\"></td>", g, column);
        continue;
      }
      out += fmt::format("<td data-guest=\"{}\" data-ept=\"{}\">", g, column);
      for (const std::size_t n : it->second) {
        const model::TraceRow& row = walk[n];
        out += fmt::format("<b>#{}</b> {}<br>{:#x}: {:#x}<br>{}<br>", n + 1, h(row.structure), row.reference.physical,
                           row.reference.value, h(row.decoded));
      }
      out += "</td>";
    }
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

void write_html_report(std::ostream& out, const RunReport& r, const std::string& target) {
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out << fmt::format("<title>vtspec run --target {}</title>\n<style>{}</style>\n</head>\n<body data-script=\"none\">\n",
                     h(r.target), kStyle);
  out << fmt::format("<h1>vtspec run on {}</h1>\n", h(target));
  write_summary(out, r.summary);
  write_matrix(out, r, target);
  write_classes(out, r.classes);
  if (!r.skips.empty()) {
    out << "<h2>Skipped, by reason</h2>\n<table id=\"skips\">\n";
    for (const auto& [reason, count] : r.skips) out << fmt::format("<tr><td class=\"n\">{}</td><td>{}</td></tr>\n", count, h(reason));
    out << "</table>\n";
  }
  if (!r.errors.empty()) {
    out << "<h2>Errors</h2>\n<ul id=\"errors\">\n";
    for (const auto& e : r.errors) out << "<li>" << h(e.message) << "</li>\n";
    out << "</ul>\n";
  }
  out << "<script>" << kScript << "</script>\n</body>\n</html>\n";
}

void write_html_report_dir(const std::string& dir, const RunReport& r, const std::string& target) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error(fmt::format("--html {}: cannot create the directory: {}", dir, ec.message()));
  const std::string path = (std::filesystem::path(dir) / "index.html").string();
  std::ofstream out(path);
  write_html_report(out, r, target);
  if (!out.flush()) throw std::runtime_error(fmt::format("--html {}: cannot write {}", dir, path));
}

}  // namespace vtspec::conformance
