#include "conformance/runner/vector_record.hpp"

#include <cctype>
#include <map>

#include <fmt/format.h>

#include "conformance/runner/json_text.hpp"

namespace vtspec::conformance {

const char* to_string(VectorRecord::Status s) {
  switch (s) {
    case VectorRecord::Status::pass: return "pass";
    case VectorRecord::Status::fail: return "fail";
    case VectorRecord::Status::skipped: return "skipped";
    case VectorRecord::Status::error: return "error";
    case VectorRecord::Status::known: return "known";
  }
  return "?";
}

namespace {

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

// The divergent operations as the flat record holds them: "index<TAB>class" lines.
std::string divergent_text(const std::vector<DivergentOperation>& divergent) {
  std::string out;
  for (const auto& d : divergent) out += fmt::format("{}\t{}\n", d.operation, d.class_key);
  return out;
}

std::optional<std::vector<DivergentOperation>> parse_divergent(const std::string& text) {
  std::vector<DivergentOperation> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start), tab = text.find('\t', start);
    if (end == std::string::npos || tab == std::string::npos || tab > end || tab == start) return std::nullopt;
    const std::string index = text.substr(start, tab - start);
    if (index.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    out.push_back({std::stoul(index), text.substr(tab + 1, end - tab - 1)});
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string to_json(const VectorRecord& r) {
  return JsonObject()
      .string("file", r.file)
      .string("id", r.id)
      .string("status", to_string(r.status))
      .string("reason", r.reason)
      .number("operations", r.operations)
      .number("divergences", r.divergences)
      .number("seconds", r.seconds)
      .string("details", r.details)
      .string("divergent", divergent_text(r.divergent))
      .text();
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
  else if (s == "known") r.status = VectorRecord::Status::known;
  else return std::nullopt;
  r.reason = f["reason"];
  r.details = f["details"];
  auto divergent = parse_divergent(f["divergent"]);
  if (!divergent) return std::nullopt;
  r.divergent = std::move(*divergent);
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
