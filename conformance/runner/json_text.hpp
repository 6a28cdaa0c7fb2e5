// The runner's JSON, written by hand (RFC 8259): strings escaped once, here, for the results
// file's records (vector_record.cpp), the `--format json` report (json_report.cpp) and the
// answers of `vtspec oracle` (conformance/oracle); the one reader of what they write (a flat
// object, the results file's records); and a syntax check of any JSON text (the oracle's
// requests, which the YAML loader then reads: JSON is YAML 1.2).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtspec::conformance {

// `s` as a JSON string literal, quotes included. Valid JSON for any bytes: invalid UTF-8
// becomes U+FFFD (utf8_text.hpp), control characters are escaped.
std::string json_string(const std::string& s);

// One JSON object, fields in the order they are added; values are JSON text already
// (json_string, a number, another object or array).
class JsonObject {
 public:
  JsonObject& field(const std::string& key, const std::string& json_value);
  JsonObject& string(const std::string& key, const std::string& value) { return field(key, json_string(value)); }
  JsonObject& number(const std::string& key, double value);
  JsonObject& number(const std::string& key, std::size_t value) { return field(key, std::to_string(value)); }
  std::string text() const { return text_ + "}"; }

 private:
  std::string text_ = "{";
};

// A JSON array of JSON texts.
std::string json_array(const std::vector<std::string>& json_values);
std::string json_strings(const std::vector<std::string>& values);

// A JSON object whose values are strings or numbers (what JsonObject writes for a record),
// as key -> the string's value or the number's text. nullopt when `text` is anything else,
// with what is wrong in `error`. Every escape of RFC 8259 is read, \uXXXX (and a surrogate
// pair) as UTF-8, so it reads what json_string writes and what another JSON writer would.
std::optional<std::map<std::string, std::string>> parse_flat_json_object(const std::string& text, std::string& error);

// Whether `text` is exactly one JSON value (RFC 8259), whitespace around it aside, with
// arrays and objects nested at most `max_depth` deep; no tree is built. nullopt when it is;
// otherwise the first problem and its byte offset in `text`.
struct JsonSyntaxError {
  std::size_t offset = 0;
  std::string message;
};
std::optional<JsonSyntaxError> check_json_syntax(std::string_view text, unsigned max_depth);

}  // namespace vtspec::conformance
