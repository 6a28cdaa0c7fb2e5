// The runner's JSON, written by hand (RFC 8259): strings escaped once, here, for the results
// file's records (vector_record.cpp) and the `--format json` report (json_report.cpp), and
// the one reader of what they write (a flat object, the results file's records).
#pragma once

#include <map>
#include <optional>
#include <string>
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

}  // namespace vtspec::conformance
