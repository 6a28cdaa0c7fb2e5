#include "conformance/runner/reports.hpp"

#include <sstream>

#include <fmt/format.h>

#include "conformance/runner/utf8_text.hpp"

namespace vtspec::conformance {

namespace {

// Where XML text goes: in an attribute value a parser turns a literal tab or newline into a
// space (XML 1.0, 3.3.3), so there they are written as character references.
enum class XmlPlace { content, attribute };

// `s` as XML 1.0 character data, well-formed whatever the bytes: invalid UTF-8 reads as
// U+FFFD (utf8_text.hpp), and so does each character XML 1.0 does not allow (2.2: the
// controls other than tab, newline and carriage return, U+FFFE and U+FFFF). A carriage
// return is a reference, which a parser keeps (a literal one it would turn into a newline).
std::string escape_xml(const std::string& s, XmlPlace place) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const char32_t c = next_code_point(s, i);
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\r': out += "&#13;"; break;
      case '\n': out += place == XmlPlace::attribute ? "&#10;" : "\n"; break;
      case '\t': out += place == XmlPlace::attribute ? "&#9;" : "\t"; break;
      default:
        append_utf8(out, c < 0x20 || c == 0xFFFE || c == 0xFFFF ? kReplacementCharacter : c);
    }
  }
  return out;
}

std::string xml_text(const std::string& s) { return escape_xml(s, XmlPlace::content); }
std::string xml_attribute(const std::string& s) { return escape_xml(s, XmlPlace::attribute); }

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
        out << fmt::format("><failure message=\"{} of {} operations diverge\">{}</failure></testcase>\n", r.divergences,
                           r.operations, xml_text(r.details));
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
