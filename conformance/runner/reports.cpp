#include "conformance/runner/reports.hpp"

#include <sstream>

#include <fmt/format.h>

#include "conformance/runner/markup_text.hpp"

namespace vtspec::conformance {

void write_junit(std::ostream& out, const std::string& target, const std::vector<VectorRecord>& records) {
  std::size_t failures = 0, errors = 0, skipped = 0;
  double seconds = 0;
  for (const auto& r : records) {
    failures += r.status == VectorRecord::Status::fail;
    errors += r.status == VectorRecord::Status::error;
    skipped += r.status == VectorRecord::Status::skipped;
    seconds += r.seconds;
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << fmt::format("<testsuites><testsuite name=\"vtspec.{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n",
                     xml_attribute(target), records.size(), failures, errors, skipped, seconds);
  for (const auto& r : records) {
    out << fmt::format("  <testcase classname=\"{}\" name=\"{}\" time=\"{:.6f}\"", xml_attribute(r.file), xml_attribute(r.id), r.seconds);
    switch (r.status) {
      case VectorRecord::Status::pass: out << "/>\n"; break;
      case VectorRecord::Status::known:  // expected: not a failure; the output says which
        out << fmt::format("><system-out>{}\n{}</system-out></testcase>\n", xml_text(r.reason), xml_text(r.details));
        break;
      case VectorRecord::Status::skipped: out << fmt::format("><skipped message=\"{}\"/></testcase>\n", xml_attribute(r.reason)); break;
      case VectorRecord::Status::fail:
        // The message is what CI pages show: each divergence, allowed against observed.
        out << fmt::format("><failure message=\"{}\">{}</failure></testcase>\n",
                           xml_attribute(fmt::format("{} of {} operations diverge:\n{}", r.divergences, r.operations, r.details)),
                           xml_text(r.details));
        break;
      case VectorRecord::Status::error:
        out << fmt::format("><error message=\"{}\">{}</error></testcase>\n", xml_attribute(r.reason), xml_text(r.details));
        break;
    }
  }
  out << "</testsuite></testsuites>\n";
}

void write_tap_line(std::ostream& out, std::size_t n, const VectorRecord& r) {
  switch (r.status) {
    case VectorRecord::Status::pass: out << fmt::format("ok {} - {}\n", n, r.id); break;
    case VectorRecord::Status::skipped: out << fmt::format("ok {} - {} # SKIP {}\n", n, r.id, r.reason); break;
    case VectorRecord::Status::known: out << fmt::format("not ok {} - {} # TODO {}\n", n, r.id, r.reason); break;  // TAP's expected failure
    case VectorRecord::Status::fail:
    case VectorRecord::Status::error: {
      out << fmt::format("not ok {} - {}\n", n, r.id);
      std::istringstream details(r.reason.empty() ? r.details : r.reason + "\n" + r.details);
      std::string line;
      while (std::getline(details, line)) out << "# " << line << "\n";
      break;
    }
  }
}

}  // namespace vtspec::conformance
