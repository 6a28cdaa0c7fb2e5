#include "conformance/runner/markup_text.hpp"

#include "conformance/runner/utf8_text.hpp"

namespace vtspec::conformance {

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

}  // namespace vtspec::conformance
