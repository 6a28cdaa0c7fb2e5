// Machine-readable reports of a run: JUnit XML (for CI dashboards) and TAP lines.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "conformance/runner/vector_record.hpp"

namespace vtspec::conformance {

void write_junit(std::ostream& out, const std::string& target, const std::vector<VectorRecord>& records);
// One TAP test line (plus diagnostics) for record number `number` (1-based).
void write_tap_line(std::ostream& out, std::size_t number, const VectorRecord& record);

}  // namespace vtspec::conformance
