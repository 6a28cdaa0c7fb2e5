// The runner's JSON, written by hand (RFC 8259): strings escaped once, here, for the results
// file's records (vector_record.cpp) and the `--format json` report (json_report.cpp).
#pragma once

#include <string>
#include <vector>

namespace vtspec::conformance {

// `s` as a JSON string literal, quotes included.
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

}  // namespace vtspec::conformance
