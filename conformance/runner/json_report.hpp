// `vtspec run --format json`: the run report as one JSON document (RFC 8259), for programs.
// Its fields: summary (the counts of the summary line, target, seconds), files, skipped
// (reason -> vectors), divergence_classes (key, counts, instances, one example with the
// allowed outcomes, the observation, the difference and the model's trace),
// known_divergences, fixed, errors, and vectors (one results-file record each).
#pragma once

#include <ostream>

#include "conformance/runner/run_report.hpp"

namespace vtspec::conformance {

void write_json_report(std::ostream& out, const RunReport& report);

}  // namespace vtspec::conformance
