// `vtspec oracle` requests and answers, in-process (docs/oracle.md). The outcomes expected
// come from the SDM, the positions from the request texts; Python's json parses the answers
// of the real command in check_oracle_client.py.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "conformance/oracle/oracle_protocol.hpp"
#include "conformance/runner/json_text.hpp"

namespace vtspec::oracle {
namespace {

// VA 0x400000 -> PA 0x20000, a user page without R/W (read-only); the upper levels take the
// loader's default [P, RW, US]. Tables from 0x1000: PML4 0x1000, PDPT 0x2000, PD 0x3000,
// PT 0x4000, so the PTE of VA 0x400000 (PD index 2, PT index 0) is at 0x4000
// (vectors/SCHEMA.md, "Where the loader puts tables").
const std::string kReadOnlyUserPage =
    R"("state": {"paging": {"root": "0x1000", "map": ["map VA 0x400000 -> PA 0x20000, 4K, [P, US]"]},)"
    R"( "memory": [{"gpa": "0x20000", "u64": "0x1122334455667788"}, {"gpa": "0x30000", "u64": "0x99"}]})";

std::string request(const std::string& operations, const std::string& more = "") {
  return R"({"id": "t", )" + kReadOnlyUserPage + more + R"(, "operations": [)" + operations + "]}";
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// The 1-based column where `what` starts in `line` (ASCII lines).
int column_of(const std::string& line, const std::string& what) { return static_cast<int>(line.find(what)) + 1; }

std::string error_of(const Answer& a) {
  EXPECT_TRUE(a.error) << a.json;
  const auto at = a.json.find(R"("error":")");
  return at == std::string::npos ? "" : a.json.substr(at);
}

// Every answer is one line of JSON whatever the request.
void expect_one_json_line(const Answer& a) {
  EXPECT_EQ(a.json.find('\n'), std::string::npos) << a.json;
  EXPECT_EQ(conformance::check_json_syntax(a.json, 64), std::nullopt) << a.json;
}

// SDM Vol. 3A 4.6.1: a user-mode write needs R/W = 1 at every level; 4.7 and Figure 4-12: the
// #PF error code has P (a protection violation, not a non-present page), W/R (a write) and
// U/S (user mode): 0x7; CR2 is the linear address. That is the only outcome.
TEST(OracleAnswer, UserWriteToAReadOnlyPageIsPageFault0x7) {
  const Answer a = answer_request(request(R"({"op": "write", "va": "0x400000", "value": "0x1", "cpl": 3})"));
  expect_one_json_line(a);
  ASSERT_FALSE(a.error) << a.json;
  EXPECT_NE(a.json.find(R"({"id":"t","operations":[{"operation":"write 8 bytes 0x1 at 0x400000, CPL 3","allowed":[)"
                        R"({"result":"valid","event":{"kind":"exception","vector":14,"error_code":"0x7","cr2":"0x400000",)"),
            std::string::npos)
      << a.json;
  EXPECT_EQ(count(a.json, R"("result":)"), 1u) << a.json;
  EXPECT_NE(a.json.find(R"("trace":"write)"), std::string::npos) << a.json;
  EXPECT_NE(a.json.find(R"(guest PTE)"), std::string::npos) << a.json;  // the walk's last reference
}

// SDM Vol. 3A 4.6.1: user-mode reads need only U/S = 1 (R/W does not matter), and read the
// bytes at the physical address; a supervisor-mode write with CR0.WP = 0 may write any page,
// and a later read returns what it wrote.
TEST(OracleAnswer, ReadsAndWritesFollowEachOther) {
  const Answer a = answer_request(
      R"({"id": 1, "state": {"registers": {"cr0": ["PE", "PG"]}, "paging": {"root": "0x1000", "map": ["map VA 0x400000 -> PA 0x20000, 4K, [P, US]"]},)"
      R"( "memory": [{"gpa": "0x20000", "u64": "0x1122334455667788"}]}, "operations": [)"
      R"({"op": "read", "va": "0x400000", "cpl": 3}, {"op": "write", "va": "0x400000", "value": "0x5a", "cpl": 0},)"
      R"( {"op": "read", "va": "0x400000", "cpl": 0}]})");
  ASSERT_FALSE(a.error) << a.json;
  EXPECT_EQ(a.json.rfind(R"({"id":1,)", 0), 0u) << a.json;  // a number id is echoed as a number
  EXPECT_EQ(count(a.json, R"("result":)"), 3u) << a.json;    // one outcome each
  EXPECT_NE(a.json.find(R"("event":{"kind":"completed","value":"0x1122334455667788")"), std::string::npos) << a.json;
  EXPECT_NE(a.json.find(R"("event":{"kind":"completed","value":null)"), std::string::npos) << a.json;  // the write
  EXPECT_NE(a.json.find(R"("event":{"kind":"completed","value":"0x5a")"), std::string::npos) << a.json;
}

// SDM Vol. 3A 4.10.4.3: after a paging-structure entry changes and before INVLPG, a read may
// use the new translation (the fresh walk, valid) or the TLB's old one (acceptable, flag
// CachedTranslation, explained under notes); after INVLPG (4.10.4.1) only the new one.
TEST(OracleAnswer, AStaleTranslationIsAcceptableWithItsFlagAndNote) {
  const std::string line =
      request(R"({"op": "read", "va": "0x400000", "cpl": 3}, {"op": "store_entry", "entry": "pte", "value": "0x30025"},)"
              R"( {"op": "read", "va": "0x400000", "cpl": 3}, {"op": "invlpg", "va": "0x400000"},)"
              R"( {"op": "read", "va": "0x400000", "cpl": 3})",
              R"(, "entries": {"pte": "0x4000"})");
  const Answer a = answer_request(line);
  ASSERT_FALSE(a.error) << a.json;
  const std::string stale_read = a.json.substr(a.json.find("store 0x30025"));
  EXPECT_NE(stale_read.find(R"("allowed":[{"result":"valid","event":{"kind":"completed","value":"0x99")"), std::string::npos)
      << stale_read;
  EXPECT_NE(stale_read.find(R"({"result":"acceptable","event":{"kind":"completed","value":"0x1122334455667788")"),
            std::string::npos)
      << stale_read;
  const std::string after_invlpg = a.json.substr(a.json.find("INVLPG"));
  EXPECT_EQ(count(after_invlpg, R"("value":"0x1122334455667788")"), 0u) << after_invlpg;
  EXPECT_NE(a.json.find(R"("flags":["CachedTranslation"])"), std::string::npos) << a.json;
  EXPECT_NE(a.json.find(R"("notes":{"CachedTranslation":")"), std::string::npos) << a.json;
  // The checked entry: A set by the first read (4.8), the stored value after the store.
  EXPECT_NE(a.json.find(R"("entries":{"pte":{"A":"set","D":)"), std::string::npos) << a.json;
  EXPECT_NE(a.json.find(R"("entries_after":{"pte":"0x30025"})"), std::string::npos) << a.json;
}

TEST(OracleAnswer, FieldErrorsNameTheRequestsFieldAndColumn) {
  // Bits 63:47 of a 4-level linear address must be equal (SDM Vol. 1 3.3.7.1).
  const std::string bad_va = request(R"({"op": "read", "va": "0x800000000000"})");
  EXPECT_EQ(error_of(answer_request(bad_va)),
            R"("error":"line 1, column )" + std::to_string(column_of(bad_va, R"("0x800000000000")")) +
                R"(: operations[0].va: 0x800000000000 is not canonical","field":"operations[0].va","column":)" +
                std::to_string(column_of(bad_va, R"("0x800000000000")")) + "}");
  const std::string bad_size = request(R"({"op": "read", "va": "0x400000"}, {"op": "read", "va": "0x400000", "size": 3})");
  EXPECT_NE(error_of(answer_request(bad_size)).find(R"(operations[1].size: )"), std::string::npos);
  const std::string bad_cr0 = R"({"id": "c", "state": {"registers": {"cr0": ["PE", "XX"]}}, "operations": [{"op": "invlpg", "va": 0}]})";
  EXPECT_NE(error_of(answer_request(bad_cr0)).find(R"("field":"state.registers.cr0)"), std::string::npos);
  EXPECT_NE(answer_request(bad_cr0).json.find(R"({"id":"c",)"), std::string::npos);  // the id is known: echoed
  const std::string unknown = R"({"id": "u", "stat": {}, "operations": []})";
  EXPECT_EQ(error_of(answer_request(unknown)),
            R"~("error":"line 1, column 13: stat: unknown field (a request has id, state, operations and entries)","field":"stat","column":13})~");
  const std::string missing = R"({"operations": [{"op": "invlpg", "va": 0}]})";
  EXPECT_NE(error_of(answer_request(missing)).find(R"(state: missing)"), std::string::npos);
  const std::string history = R"({"state": {"history": []}, "operations": [{"op": "invlpg", "va": 0}]})";
  EXPECT_NE(error_of(answer_request(history)).find(R"(state.history: a vector's operations take the place of a history)"),
            std::string::npos);
}

TEST(OracleAnswer, ARequestGivesNoExpectations) {
  const std::string line = request(R"({"op": "read", "va": "0x400000", "expect": {"value": 1}})");
  EXPECT_NE(error_of(answer_request(line)).find("operations[0].expect: a request gives no expectations"), std::string::npos);
  const std::string acceptable = request(R"({"op": "read", "va": "0x400000", "acceptable": []})");
  EXPECT_NE(error_of(answer_request(acceptable)).find("operations[0].acceptable: "), std::string::npos);
}

TEST(OracleAnswer, TheIdIsEchoedAsSent) {
  const std::string ops = R"(, "state": {}, "operations": [{"op": "invlpg", "va": "0x1000"}]})";
  EXPECT_EQ(answer_request(R"({"id": "a\"b\\c\u00e9")" + ops).json.rfind(R"({"id":"a\"b\\c)" "\xc3\xa9" R"(",)", 0), 0u);
  EXPECT_EQ(answer_request(R"({"id": -12.5e3)" + ops).json.rfind(R"({"id":-12.5e3,)", 0), 0u);
  EXPECT_EQ(answer_request(R"({"id": null)" + ops).json.rfind(R"({"id":null,)", 0), 0u);
  EXPECT_EQ(answer_request(R"({"id": "42")" + ops).json.rfind(R"({"id":"42",)", 0), 0u);  // a string stays one
  EXPECT_EQ(answer_request(R"({"state": {}, "operations": [{"op": "invlpg", "va": "0x1000"}]})").json.rfind(R"({"id":null,)", 0), 0u);
  for (const char* id : {"[1]", "{\"a\": 1}", "true"})
    EXPECT_EQ(error_of(answer_request(std::string(R"({"id": )") + id + ops)),
              R"("error":"line 1, column 8: id: expected a string or a number","field":"id","column":8})");
}

// JSON's whitespace between tokens is tab, CR, LF and space; to YAML a CR or LF is a line break.
TEST(OracleAnswer, AnyJsonWhitespaceBetweenTokens) {
  const std::string line = "\t{\"id\":\t\"w\",\r\"state\" :\n{}, \"operations\": [{\"op\": \"read\", \"va\": \"0x800000000000\"}]}\r";
  const std::string column = std::to_string(column_of(line, R"("0x800000000000")"));
  EXPECT_EQ(error_of(answer_request(line)), R"("error":"line 1, column )" + column +
                                                R"(: operations[0].va: 0x800000000000 is not canonical","field":"operations[0].va","column":)" +
                                                column + "}");
}

// A character beyond U+FFFF comes as a UTF-16 surrogate pair from most JSON writers (Python's
// json.dumps by default); yaml-cpp does not join them, the oracle does, and the columns (in
// bytes) of what follows stay those of the line.
TEST(OracleAnswer, SurrogatePairsAreOneCharacterAndKeepColumns) {
  const std::string line = R"({"id": "\ud83d\ude00!", "state": {}, "operations": [{"op": "read", "va": "0x800000000000"}]})";
  const Answer a = answer_request(line);
  expect_one_json_line(a);
  EXPECT_EQ(a.json.rfind("{\"id\":\"\xf0\x9f\x98\x80!\",", 0), 0u) << a.json;
  EXPECT_NE(a.json.find("\"column\":" + std::to_string(column_of(line, R"("0x800000000000")")) + "}"), std::string::npos)
      << a.json;
  // A lone surrogate is no character: an error, still one line of JSON.
  const Answer lone = answer_request(R"({"id": "\ud83d", "state": {}, "operations": [{"op": "invlpg", "va": 0}]})");
  expect_one_json_line(lone);
  EXPECT_TRUE(lone.error);
}

TEST(OracleAnswer, LinesThatAreNoRequestAreErrors) {
  struct Case {
    std::string line;
    std::string error;
  };
  const Case cases[] = {
      {"", R"("error":"line 1, column 1: empty line: a request is one JSON object: )"},
      {"  \t", R"("error":"line 1, column 1: empty line: )"},
      {"hello", R"("error":"line 1, column 1: not JSON: expected a JSON value")"},
      {R"({"id": 1} {)", R"("error":"line 1, column 11: not JSON: text after the JSON value")"},
      {R"({"id": 1,})", R"("error":"line 1, column 10: not JSON: expected '\"'")"},
      {R"({id: 1})", R"("error":"line 1, column 2: not JSON: expected '\"'")"},
      {R"({"a": 'b'})", R"("error":"line 1, column 7: not JSON: expected a JSON value")"},
      {R"({"a": 01})", R"("error":"line 1, column 8: not JSON: expected ',' or '}'")"},
      {"{\"a\": \"\t\"}", R"~("error":"line 1, column 8: not JSON: a control character in a string (escape it)")~"},
      {"[1, 2]", R"("error":"line 1, column 1: a request is one JSON object: )"},
      {"\"text\"", R"("error":"line 1, column 1: a request is one JSON object: )"},
      {"{\"id\": \"\xff\"}", R"("error":"line 1, column 9: invalid UTF-8 at byte 8 (0xff): a request is UTF-8 text)"},
      {"{\"id\": \"\xc3\xa9\xed\xa0\x80\"}", R"("error":"line 1, column 11: invalid UTF-8 at byte 10 (0xed): )"},
      {R"({"a": 1, "a": 2})", R"("error":"line 1, column 10: a: duplicate key 'a' (first at line 1, column 2))"},
      {std::string(70, '[') + std::string(70, ']'), R"("error":"line 1, column 65: not JSON: nested too deep")"},
  };
  for (const Case& c : cases) {
    const Answer a = answer_request(c.line);
    expect_one_json_line(a);
    EXPECT_EQ(a.json.rfind(R"({"id":null,)", 0), 0u) << a.json;
    EXPECT_EQ(error_of(a).rfind(c.error, 0), 0u) << c.line << "\n" << a.json;
  }
  // U+FFFD itself is a character like any other.
  EXPECT_EQ(answer_request("{\"id\": \"\xef\xbf\xbd\", \"state\": {}, \"operations\": [{\"op\": \"invlpg\", \"va\": 0}]}").error, false);
}

// Each line is answered by one line, in order, bad lines too; an overlong line is answered
// without being kept; the last line needs no newline.
TEST(OracleServe, AnswersEveryLineInOrderAndGoesOn) {
  const std::string good = request(R"({"op": "write", "va": "0x400000", "value": "0x1", "cpl": 3})");
  std::string input = good + "\nnot json\n\n" + std::string(kMaxRequestLine + 1, ' ') + "\n" + good + "\r\n" + good;
  std::istringstream in(input);
  std::ostringstream out;
  const ServeSummary s = serve(in, out);
  EXPECT_EQ(s.requests, 6u);
  EXPECT_EQ(s.errors, 3u);
  std::istringstream lines(out.str());
  std::vector<std::string> answers;
  for (std::string line; std::getline(lines, line);) answers.push_back(line);
  ASSERT_EQ(answers.size(), 6u) << out.str();
  EXPECT_EQ(answers[0], answer_request(good).json);
  EXPECT_NE(answers[1].find("not JSON"), std::string::npos);
  EXPECT_NE(answers[2].find("empty line"), std::string::npos);
  EXPECT_EQ(answers[3], R"~({"id":null,"error":"a line of 1048577 bytes: a request has at most 1048576 (docs/oracle.md)","field":"","column":null})~");
  EXPECT_EQ(answers[4], answers[0]);  // a CR before the newline is JSON whitespace
  EXPECT_EQ(answers[5], answers[0]);
  for (const auto& a : answers) EXPECT_EQ(conformance::check_json_syntax(a, 64), std::nullopt) << a;
}

TEST(JsonSyntax, AcceptsJsonAndOnlyJson) {
  for (const char* ok : {"{}", "[]", " {\"a\": [1, -0.5e+3, 2E7, true, false, null, \"\\u00e9\\n\\/\"]} ", "0", "\"x\"",
                         "{\"a\":{\"b\":[]}}", "\r\n\t[ ]"})
    EXPECT_EQ(conformance::check_json_syntax(ok, 64), std::nullopt) << ok;
  for (const char* bad : {"", "{", "{\"a\"}", "{\"a\":}", "[1,]", "[1 2]", "01", "1.", ".5", "1e", "+1", "tru", "nul",
                          "\"\\x\"", "\"abc", "{} {}", "NaN", "[1]]", "/* c */ {}", "{'a': 1}"})
    EXPECT_NE(conformance::check_json_syntax(bad, 64), std::nullopt) << bad;
  EXPECT_EQ(conformance::check_json_syntax("[[[]]]", 3), std::nullopt);
  EXPECT_EQ(conformance::check_json_syntax("[[[[]]]]", 3)->offset, 3u);
}

}  // namespace
}  // namespace vtspec::oracle
