#include "conformance/runner/vector_record.hpp"

#include <cctype>
#include <map>

#include <fmt/format.h>

namespace vtspec::conformance {

const char* to_string(VectorRecord::Status s) {
  switch (s) {
    case VectorRecord::Status::pass: return "pass";
    case VectorRecord::Status::fail: return "fail";
    case VectorRecord::Status::skipped: return "skipped";
    case VectorRecord::Status::error: return "error";
  }
  return "?";
}

namespace {

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

// A flat JSON object whose values are strings or numbers: exactly what to_json writes.
bool parse_flat_object(const std::string& line, std::map<std::string, std::string>& out) {
  std::size_t i = 0;
  auto skip = [&] { while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i; };
  auto string = [&](std::string& s) {
    if (i >= line.size() || line[i] != '"') return false;
    for (++i; i < line.size(); ++i) {
      char c = line[i];
      if (c == '"') { ++i; return true; }
      if (c != '\\') { s += c; continue; }
      if (++i >= line.size()) return false;
      switch (line[i]) {
        case 'n': s += '\n'; break;
        case 't': s += '\t'; break;
        case 'r': s += '\r'; break;
        case 'u': {
          if (i + 4 >= line.size()) return false;
          s += static_cast<char>(std::stoi(line.substr(i + 1, 4), nullptr, 16));
          i += 4;
          break;
        }
        default: s += line[i];
      }
    }
    return false;
  };
  skip();
  if (i >= line.size() || line[i++] != '{') return false;
  for (;;) {
    skip();
    std::string key, value;
    if (!string(key)) return false;
    skip();
    if (i >= line.size() || line[i++] != ':') return false;
    skip();
    if (i < line.size() && line[i] == '"') {
      if (!string(value)) return false;
    } else {
      while (i < line.size() && (std::isdigit(static_cast<unsigned char>(line[i])) || line[i] == '.' || line[i] == '-' || line[i] == 'e'))
        value += line[i++];
      if (value.empty()) return false;
    }
    out[key] = value;
    skip();
    if (i >= line.size()) return false;
    if (line[i] == ',') { ++i; continue; }
    if (line[i] == '}') return true;
    return false;
  }
}

}  // namespace

std::string to_json(const VectorRecord& r) {
  return fmt::format(R"({{"file":{},"id":{},"status":"{}","reason":{},"operations":{},"divergences":{},"seconds":{:.6f},"details":{}}})",
                     json_string(r.file), json_string(r.id), to_string(r.status), json_string(r.reason), r.operations,
                     r.divergences, r.seconds, json_string(r.details));
}

std::optional<VectorRecord> parse_record(const std::string& line) {
  std::map<std::string, std::string> f;
  if (!parse_flat_object(line, f)) return std::nullopt;
  for (const char* key : {"file", "id", "status", "operations", "divergences"})
    if (!f.count(key)) return std::nullopt;
  VectorRecord r;
  r.file = f["file"];
  r.id = f["id"];
  const std::string s = f["status"];
  if (s == "pass") r.status = VectorRecord::Status::pass;
  else if (s == "fail") r.status = VectorRecord::Status::fail;
  else if (s == "skipped") r.status = VectorRecord::Status::skipped;
  else if (s == "error") r.status = VectorRecord::Status::error;
  else return std::nullopt;
  r.reason = f["reason"];
  r.details = f["details"];
  try {
    r.operations = std::stoul(f["operations"]);
    r.divergences = std::stoul(f["divergences"]);
    if (f.count("seconds")) r.seconds = std::stod(f["seconds"]);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return r;
}

}  // namespace vtspec::conformance
