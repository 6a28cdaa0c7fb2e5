#include "conformance/runner/vector_record.hpp"

#include <charconv>
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

void StatusCounts::add(VectorRecord::Status s) {
  switch (s) {
    case VectorRecord::Status::pass: ++passed; break;
    case VectorRecord::Status::fail: ++failed; break;
    case VectorRecord::Status::skipped: ++skipped; break;
    case VectorRecord::Status::error: ++errors; break;
    case VectorRecord::Status::known: ++known; break;
  }
}

namespace {

// A decimal count, nothing else (no sign, no space, no overflow).
std::optional<std::size_t> count_of(const std::string& text) {
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
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
    const auto index = count_of(text.substr(start, tab - start));
    if (!index) return std::nullopt;
    out.push_back({*index, text.substr(tab + 1, end - tab - 1)});
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string to_json(const VectorRecord& r) {
  return JsonObject()
      .string("file", r.file)
      .string("id", r.id)
      .string("hash", r.hash)
      .string("target", r.target)
      .string("identity", r.identity)
      .string("status", to_string(r.status))
      .string("reason", r.reason)
      .number("operations", r.operations)
      .number("divergences", r.divergences)
      .number("seconds", r.seconds)
      .string("details", r.details)
      .string("divergent", divergent_text(r.divergent))
      .text();
}

std::optional<VectorRecord> parse_record(const std::string& line, std::string* error) {
  std::string why;
  auto fail = [&](std::string what) -> std::optional<VectorRecord> {
    if (error) *error = std::move(what);
    return std::nullopt;
  };
  auto parsed = parse_flat_json_object(line, why);
  if (!parsed) return fail("not a JSON object of strings and numbers: " + why);
  auto& f = *parsed;
  for (const char* key : {"file", "id", "hash", "target", "identity", "status", "operations", "divergences"})
    if (!f.count(key)) return fail(fmt::format("no field \"{}\"", key));
  VectorRecord r;
  r.file = f["file"];
  r.id = f["id"];
  r.hash = f["hash"];
  r.target = f["target"];
  r.identity = f["identity"];
  const std::string s = f["status"];
  if (s == "pass") r.status = VectorRecord::Status::pass;
  else if (s == "fail") r.status = VectorRecord::Status::fail;
  else if (s == "skipped") r.status = VectorRecord::Status::skipped;
  else if (s == "error") r.status = VectorRecord::Status::error;
  else if (s == "known") r.status = VectorRecord::Status::known;
  else return fail(fmt::format("status \"{}\" is not pass, fail, skipped, error or known", s));
  r.reason = f["reason"];
  r.details = f["details"];
  auto divergent = parse_divergent(f["divergent"]);
  if (!divergent) return fail("field \"divergent\" is not lines of \"operation<TAB>class\"");
  r.divergent = std::move(*divergent);
  for (const auto& [key, value] : {std::pair{"operations", &r.operations}, std::pair{"divergences", &r.divergences}}) {
    const auto count = count_of(f[key]);
    if (!count) return fail(fmt::format("field \"{}\" is not a count: {}", key, f[key]));
    *value = *count;
  }
  if (f.count("seconds")) {
    try {
      r.seconds = std::stod(f["seconds"]);
    } catch (const std::exception&) {
      return fail("field \"seconds\" is not a number: " + f["seconds"]);
    }
  }
  return r;
}

}  // namespace vtspec::conformance
