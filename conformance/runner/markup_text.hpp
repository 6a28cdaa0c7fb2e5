// Text in XML (the JUnit report) and HTML (the HTML report): the one escaping both use.
#pragma once

#include <string>

namespace vtspec::conformance {

// Where the text goes: in an attribute value an XML parser turns a literal tab or newline
// into a space (XML 1.0, 3.3.3), so there they are written as character references.
enum class XmlPlace { content, attribute };

// `s` as XML 1.0 character data, well-formed whatever the bytes: invalid UTF-8 reads as
// U+FFFD (utf8_text.hpp), and so does each character XML 1.0 does not allow (2.2: the
// controls other than tab, newline and carriage return, U+FFFE and U+FFFF). A carriage
// return is a reference, which a parser keeps (a literal one it would turn into a newline).
// The same text is valid HTML 5 text and attribute values.
std::string escape_xml(const std::string& s, XmlPlace place);
std::string xml_text(const std::string& s);
std::string xml_attribute(const std::string& s);

}  // namespace vtspec::conformance
