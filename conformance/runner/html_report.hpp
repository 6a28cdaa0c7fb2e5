// `vtspec run --html DIR`: DIR/index.html, a static report a person reads in a browser or as
// a CI artifact. Everything is inline (CSS and script, no network asset), so it works
// offline. It shows the run's counts, the per-target matrix (vector family, the id up to its
// first '/', by target: pass, divergence, skip counts), each divergence class with the
// example of its minimal vector (the allowed set against the observation) and that
// example's walk: a table of levels, and for a two-dimensional walk the grid of guest
// levels by EPT levels that places each of its (up to 24) references.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "conformance/runner/run_report.hpp"
#include "model/walk_trace.hpp"

namespace vtspec::conformance {

// `target` names the matrix's column (TargetIdentity::describe()).
void write_html_report(std::ostream& out, const RunReport& report, const std::string& target);
// Creates DIR if needed and writes DIR/index.html; throws std::runtime_error when it cannot.
void write_html_report_dir(const std::string& dir, const RunReport& report, const std::string& target);

// The grid of a two-dimensional walk: a row per guest level (its EPT references, then the
// guest entry) and a last row for the data (the EPT references of the final guest-physical
// address); each cell is `<td data-guest=G data-ept=E>` (E = 0: the guest-entry column)
// holding "#N", the reference's number in the walk. Empty for a walk that is not 2D.
std::string two_dimensional_grid(const std::vector<model::TraceRow>& walk);

}  // namespace vtspec::conformance
