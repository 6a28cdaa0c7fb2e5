#include "conformance/runner/json_text.hpp"

#include <fmt/format.h>

namespace vtspec::conformance {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) out += fmt::format("\\u{:04x}", c);
        else out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

JsonObject& JsonObject::field(const std::string& key, const std::string& json_value) {
  if (text_.size() > 1) text_ += ",";
  text_ += json_string(key) + ":" + json_value;
  return *this;
}

JsonObject& JsonObject::number(const std::string& key, double value) { return field(key, fmt::format("{:.6f}", value)); }

std::string json_array(const std::vector<std::string>& values) {
  return "[" + fmt::format("{}", fmt::join(values, ",")) + "]";
}

std::string json_strings(const std::vector<std::string>& values) {
  std::vector<std::string> quoted;
  for (const auto& v : values) quoted.push_back(json_string(v));
  return json_array(quoted);
}

}  // namespace vtspec::conformance
