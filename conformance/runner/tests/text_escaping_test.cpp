// Whatever bytes reach a writer (file paths, target error messages can be any bytes), the
// results file's JSON lines and the JUnit XML stay valid: each invalid UTF-8 sequence becomes
// U+FFFD (one per maximal subpart, the Unicode Standard's recommended practice, chapter 3,
// "U+FFFD Substitution of Maximal Subparts"), control characters are escaped (JSON) or
// replaced (XML 1.0 forbids them), and parse_record reads back what json_string writes.
// An independent parser (Python's json and xml.etree) checks the files too:
// check_results_file.py.
#include <gtest/gtest.h>

#include <sstream>

#include "conformance/runner/json_text.hpp"
#include "conformance/runner/reports.hpp"
#include "conformance/runner/vector_record.hpp"

namespace vtspec::conformance {
namespace {

const std::string kReplacement = "\xef\xbf\xbd";  // U+FFFD in UTF-8

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

TEST(JsonString, ReplacesEachInvalidUtf8SequenceByU_FFFD) {
  const std::string r = kReplacement;
  EXPECT_EQ(json_string("\xff\xfe"), quoted(r + r));
  EXPECT_EQ(json_string("a\xe2\x82"), quoted("a" + r));         // a 3-byte sequence cut after 2 bytes
  EXPECT_EQ(json_string("\xe2\x82z"), quoted(r + "z"));         // ... and followed by more text
  EXPECT_EQ(json_string("\xc0\xaf"), quoted(r + r));            // overlong '/': C0 never starts a sequence
  EXPECT_EQ(json_string("\xe0\x80\xaf"), quoted(r + r + r));    // overlong '/' in 3 bytes
  EXPECT_EQ(json_string("\xed\xa0\x80"), quoted(r + r + r));    // the surrogate U+D800
  EXPECT_EQ(json_string("\xf4\x90\x80\x80"), quoted(r + r + r + r));  // beyond U+10FFFF
  EXPECT_EQ(json_string("\x80"), quoted(r));                    // a lone continuation byte
  EXPECT_EQ(json_string("\xf0\x9f\x98"), quoted(r));            // a 4-byte sequence cut short
}

TEST(JsonString, KeepsValidUtf8AndEscapesControlCharacters) {
  EXPECT_EQ(json_string("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), quoted("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  EXPECT_EQ(json_string(std::string("a\0b", 3)), quoted("a\\u0000b"));
  EXPECT_EQ(json_string("\x01\x1f\"\\\n\t\r"), quoted("\\u0001\\u001f\\\"\\\\\\n\\t\\r"));
}

// A record line with its id written as `id_json` (JSON text), as another writer may have
// written it.
std::string record_with_id(const std::string& id_json) {
  VectorRecord r;
  r.id = "ID";
  r.file = "c.yaml";
  r.hash = "0123456789abcdef";
  std::string line = to_json(r);
  line.replace(line.find("\"ID\""), 4, id_json);
  return line;
}

TEST(ParseRecord, ReadsUnicodeEscapesAsUtf8) {
  const auto r = parse_record(record_with_id("\"\\u00e9\\u20ac\\ud83d\\ude00\\u0001\""));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->id, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x01");
}

TEST(ParseRecord, RejectsABadEscapeInsteadOfThrowing) {
  for (const char* id : {"\"\\u12G4\"", "\"\\u12\"", "\"\\q\""}) {
    std::string why;
    EXPECT_EQ(parse_record(record_with_id(id), &why), std::nullopt) << id;
    EXPECT_FALSE(why.empty()) << id;
  }
}

TEST(ParseRecord, ReadsBackWhatJsonStringWrites) {
  VectorRecord r;
  r.file = "dir\xff/c.yaml";
  r.hash = "0123456789abcdef";
  for (int c = 0; c < 0x80; ++c) r.id += static_cast<char>(c);
  r.id += "\xc3\xa9\xf0\x9f\x98\x80";
  r.reason = "target threw: \xed\xa0\x80";
  const auto back = parse_record(to_json(r));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->id, r.id);
  EXPECT_EQ(back->file, "dir" + kReplacement + "/c.yaml");
  EXPECT_EQ(back->reason, "target threw: " + kReplacement + kReplacement + kReplacement);
}

TEST(Junit, ReplacesInvalidUtf8AndCharactersXmlForbids) {
  VectorRecord r;
  r.file = "dir\xff\xfe/c.yaml";
  r.id = "v\xc0\xaf";
  r.status = VectorRecord::Status::error;
  r.reason = "bad \x01\x0b\x1f \xef\xbf\xbe \xed\xa0\x80 \xe2\x82";  // controls, U+FFFE, a surrogate, cut short
  r.details = "line\r\nnext\ttab";
  std::ostringstream out;
  write_junit(out, "model", {r});
  const std::string xml = out.str();
  const std::string x = kReplacement;
  EXPECT_NE(xml.find("classname=\"dir" + x + x + "/c.yaml\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("name=\"v" + x + x + "\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("message=\"bad " + x + x + x + " " + x + " " + x + x + x + " " + x + "\""), std::string::npos)
      << xml;
  EXPECT_NE(xml.find("line&#13;\nnext\ttab"), std::string::npos) << xml;  // CR kept: a parser would turn it into LF
  for (unsigned char c : xml) EXPECT_TRUE(c >= 0x20 || c == '\n' || c == '\t') << "byte " << int(c) << " in " << xml;
  EXPECT_EQ(xml.find("\xef\xbf\xbe"), std::string::npos) << "U+FFFE is not an XML character";
}

// In an attribute, a parser turns a literal newline or tab into a space: they are written
// as character references so they survive.
TEST(Junit, KeepsNewlinesAndTabsOfAttributes) {
  VectorRecord r;
  r.id = "v";
  r.status = VectorRecord::Status::skipped;
  r.reason = "two\nlines\tand a tab";
  std::ostringstream out;
  write_junit(out, "model", {r});
  EXPECT_NE(out.str().find("message=\"two&#10;lines&#9;and a tab\""), std::string::npos) << out.str();
}

}  // namespace
}  // namespace vtspec::conformance
