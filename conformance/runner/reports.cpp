#include "conformance/runner/reports.hpp"

#include <sstream>

#include <fmt/format.h>

namespace vtspec::conformance {

namespace {

std::string xml(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        if (c < 0x20 && c != '\n' && c != '\t') out += ' ';
        else out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

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
                     xml(target), records.size(), failures, errors, skipped, seconds);
  for (const auto& r : records) {
    out << fmt::format("  <testcase classname=\"{}\" name=\"{}\" time=\"{:.6f}\"", xml(r.file), xml(r.id), r.seconds);
    switch (r.status) {
      case VectorRecord::Status::pass: out << "/>\n"; break;
      case VectorRecord::Status::known:  // expected: not a failure; the output says which
        out << fmt::format("><system-out>{}\n{}</system-out></testcase>\n", xml(r.reason), xml(r.details));
        break;
      case VectorRecord::Status::skipped: out << fmt::format("><skipped message=\"{}\"/></testcase>\n", xml(r.reason)); break;
      case VectorRecord::Status::fail:
        out << fmt::format("><failure message=\"{} of {} operations diverge\">{}</failure></testcase>\n", r.divergences,
                           r.operations, xml(r.details));
        break;
      case VectorRecord::Status::error:
        out << fmt::format("><error message=\"{}\">{}</error></testcase>\n", xml(r.reason), xml(r.details));
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
