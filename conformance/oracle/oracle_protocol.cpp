#include "conformance/oracle/oracle_protocol.hpp"

#include <charconv>
#include <chrono>
#include <istream>
#include <map>
#include <ostream>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "conformance/runner/json_text.hpp"
#include "conformance/runner/utf8_text.hpp"
#include "vectors/format/load_error.hpp"
#include "vectors/format/model_evaluation.hpp"
#include "vectors/format/vector.hpp"
#include "vectors/format/vector_file.hpp"
#include "vectors/format/yaml_document.hpp"

namespace vtspec::oracle {

namespace {

using conformance::json_array;
using conformance::json_string;
using conformance::json_strings;
using conformance::JsonObject;
using vectors::LoadError;

// The file name LoadErrors carry; answers give only the position and the field.
constexpr const char* kRequestFile = "request";
// Where the request sits in the one-vector document it becomes: the loader names fields
// from that document's root ("vectors[0].operations[2].va"), the answer from the request's.
constexpr std::string_view kVectorField = "vectors[0]";

constexpr const char* kRequestShape = R"(a request is one JSON object: {"id": ..., "state": {...}, "operations": [...]})";

// 64-bit quantities are hex strings: JSON numbers beyond 2^53 are not interoperable (RFC 8259
// section 6), and addresses read better in hex.
std::string hex(std::uint64_t v) { return json_string(fmt::format("{:#x}", v)); }
std::string hex(const std::optional<std::uint64_t>& v) { return v ? hex(*v) : "null"; }
std::string number(unsigned v) { return std::to_string(v); }

// The enumerator names of model::EventKind.
const char* kind_name(model::EventKind kind) {
  switch (kind) {
    case model::EventKind::completed: return "completed";
    case model::EventKind::exception: return "exception";
    case model::EventKind::vm_exit: return "vm_exit";
    case model::EventKind::vm_entry_failure: return "vm_entry_failure";
    case model::EventKind::vm_instruction_error: return "vm_instruction_error";
    case model::EventKind::dma_fault: return "dma_fault";
    case model::EventKind::vm_fail_invalid: return "vm_fail_invalid";
  }
  return "?";
}

// The fields of model::Event that its kind uses (those model::first_difference compares).
std::string event_json(const model::Event& e) {
  JsonObject o;
  o.string("kind", kind_name(e.kind));
  switch (e.kind) {
    case model::EventKind::completed: o.field("value", hex(e.value)); break;
    case model::EventKind::exception:
      o.field("vector", number(e.vector)).field("error_code", hex(e.error_code)).field("cr2", hex(e.cr2));
      break;
    case model::EventKind::vm_exit:
    case model::EventKind::vm_entry_failure:
      o.field("exit_reason", number(e.exit_reason))
          .field("qualification", hex(e.qualification))
          .field("qualification_undefined", hex(e.qualification_undefined));
      if (e.kind == model::EventKind::vm_exit)
        o.field("guest_physical", hex(e.guest_physical)).field("guest_linear", hex(e.guest_linear));
      break;
    case model::EventKind::vm_instruction_error: o.field("instruction_error", number(e.instruction_error)); break;
    case model::EventKind::vm_fail_invalid: break;
    case model::EventKind::dma_fault:
      o.field("fault_reason", number(e.fault_reason))
          .field("source_id", number(e.source_id))
          .field("fault_address", hex(e.fault_address));
      break;
  }
  return o.string("description", model::describe(e)).text();
}

const char* flag_name(vectors::FlagExpectation f) {
  switch (f) {
    case vectors::FlagExpectation::set: return "set";
    case vectors::FlagExpectation::clear: return "clear";
    case vectors::FlagExpectation::either: return "either";
  }
  return "?";
}

std::string outcome_json(const vectors::ExpectedOutcome& o) {
  JsonObject entries;
  for (const auto& e : o.entries)
    entries.field(e.name, JsonObject().string("A", flag_name(e.accessed)).string("D", flag_name(e.dirty)).text());
  return JsonObject()
      .string("result", o.result == vectors::ExpectedOutcome::Result::valid ? "valid" : "acceptable")
      .field("event", event_json(o.event))
      .field("entries", entries.text())
      .field("flags", json_strings(o.flags))
      .text();
}

std::string answer_json(const std::string& id, const vectors::Vector& v, const std::vector<vectors::ModelStep>& steps) {
  std::vector<std::string> operations;
  std::map<std::string, std::string> notes;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const vectors::ModelStep& step = steps[i];
    std::vector<std::string> allowed;
    for (const auto& o : step.expectation.outcomes) {
      allowed.push_back(outcome_json(o));
      for (const auto& flag : o.flags) notes.emplace(flag, step.notes.at(flag));
    }
    JsonObject after;  // entries_after is in the order of v.entries
    for (std::size_t k = 0; k < step.entries_after.size(); ++k) after.field(v.entries[k].name, hex(step.entries_after[k].second));
    operations.push_back(JsonObject()
                             .string("operation", vectors::describe_operation(v.operations[i]))
                             .field("allowed", json_array(allowed))
                             .field("entries_after", after.text())
                             .string("trace", step.trace)
                             .text());
  }
  JsonObject why;
  for (const auto& [flag, note] : notes) why.string(flag, note);
  return JsonObject().field("id", id).field("operations", json_array(operations)).field("notes", why.text()).text();
}

Answer error_answer(const std::string& id, const LoadError& e) {
  std::string field = e.field();
  if (field.compare(0, kVectorField.size(), kVectorField) == 0) {
    field.erase(0, kVectorField.size());
    if (!field.empty() && field.front() == '.') field.erase(0, 1);
  }
  std::string message = e.line() > 0 ? fmt::format("line {}, column {}: ", e.line(), e.column()) : "";
  if (!field.empty()) message += field + ": ";
  message += e.message();
  return {JsonObject()
              .field("id", id)
              .string("error", message)
              .string("field", field)
              .field("column", e.line() > 0 ? std::to_string(e.column()) : "null")
              .text(),
          true};
}

// RFC 8259 section 8.1: JSON text is UTF-8. The shared decoder reads an invalid sequence as
// U+FFFD; one that is not the three bytes of U+FFFD itself is refused, at its column.
void check_utf8(std::string_view line) {
  for (std::size_t i = 0; i < line.size();) {
    const std::size_t at = i;
    if (conformance::next_code_point(line, i) == conformance::kReplacementCharacter && line.substr(at, i - at) != "\xef\xbf\xbd")
      throw LoadError(kRequestFile, 1, static_cast<int>(at) + 1, "",
                      fmt::format("invalid UTF-8 at byte {} ({:#04x}): a request is UTF-8 text (RFC 8259, 8.1)", at,
                                  static_cast<unsigned char>(line[at])));
  }
}

// A checked JSON text as yaml-cpp 0.7 reads it the same, every byte at its column (yaml-cpp's
// marks count bytes):
//   - tab, CR and LF, which such a text has only between tokens, become spaces (a CR is a line
//     break to YAML);
//   - yaml-cpp reads each \uXXXX escape as one code point, so the UTF-16 surrogate pair that
//     JSON writers give a character beyond U+FFFF (Python's json.dumps does by default) is an
//     error there: each pair becomes its character in UTF-8 (12 bytes become 4), and 8 spaces
//     after the string keep what follows in place.
std::string yaml_text(std::string_view json) {
  const auto unit = [&](std::size_t at, unsigned low, unsigned high) {
    unsigned v = 0;
    const char* p = json.data() + at;
    if (at + 6 > json.size() || json.compare(at, 2, "\\u") != 0 || std::from_chars(p + 2, p + 6, v, 16).ptr != p + 6)
      return 0u;
    return v >= low && v <= high ? v : 0u;
  };
  std::string out;
  out.reserve(json.size());
  bool in_string = false;
  std::size_t joined = 0;  // pairs joined in the current string
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string && c == '\\') {
      const unsigned high = unit(i, 0xD800, 0xDBFF), low = high ? unit(i + 6, 0xDC00, 0xDFFF) : 0;
      if (low) {
        conformance::append_utf8(out, 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00));
        i += 11;
        ++joined;
      } else {
        out += json.substr(i, 2);  // an escape and its character: \" does not end the string
        ++i;
      }
      continue;
    }
    out += c == '\t' || c == '\r' || c == '\n' ? ' ' : c;
    if (c != '"') continue;
    if (in_string) out.append(8 * joined, ' ');
    in_string = !in_string;
    joined = 0;
  }
  return out;
}

// The request's id as JSON text, echoed as sent: a string or a number; null when absent.
std::string request_id(const YAML::Node& request) {
  const YAML::Node id = request["id"];
  if (!id || id.IsNull()) return "null";
  if (id.IsScalar()) {
    if (id.Tag() == "!") return json_string(id.Scalar());                     // a quoted scalar: a JSON string
    if (id.Scalar() != "true" && id.Scalar() != "false") return id.Scalar();  // a JSON number, as written
  }
  throw LoadError(kRequestFile, id, "id", "expected a string or a number");
}

// The request's keys are a vector's, less those a request does not need; its operations get
// the placeholder `expect: ok` the loader requires and the evaluation ignores (it computes
// every allowed outcome from the state), so the loader reads them with the vectors' grammar.
void prepare(const YAML::Node& request) {
  for (const auto& kv : request) {
    const std::string key = kv.first.Scalar();
    if (key != "id" && key != "state" && key != "operations" && key != "entries")
      throw LoadError(kRequestFile, kv.first, key, "unknown field (a request has id, state, operations and entries)");
  }
  const YAML::Node operations = request["operations"];
  if (!operations || !operations.IsSequence()) return;  // the loader says what is wrong
  std::size_t i = 0;
  for (YAML::Node item : operations) {
    const std::string field = fmt::format("operations[{}]", i++);
    if (!item.IsMap()) continue;
    const YAML::Node& read_only = item;
    for (const char* key : {"expect", "acceptable"})
      if (read_only[key])
        throw LoadError(kRequestFile, read_only[key], field + "." + key,
                        "a request gives no expectations: its answer is every allowed outcome");
    item["expect"] = "ok";
  }
}

Answer answer_checked(std::string_view line, std::string& id) {
  if (line.find_first_not_of(" \t\r\n") == std::string_view::npos)
    throw LoadError(kRequestFile, 1, 1, "", fmt::format("empty line: {}", kRequestShape));
  check_utf8(line);
  if (const auto e = conformance::check_json_syntax(line, vectors::kMaxYamlDepth))
    throw LoadError(kRequestFile, 1, static_cast<int>(e->offset) + 1, "", fmt::format("not JSON: {}", e->message));
  // JSON is YAML 1.2: the loaders read the request as they read files.
  YAML::Node request = vectors::parse_yaml_document(yaml_text(line), kRequestFile);
  if (!request.IsMap()) throw LoadError(kRequestFile, request, "", kRequestShape);
  id = request_id(request);
  prepare(request);
  request["id"] = "oracle";  // the vector's id: the request's was any string or number
  YAML::Node document;
  document["schema"] = vectors::kVectorSchema;
  document["vectors"].push_back(request);
  const std::vector<vectors::Vector> loaded = vectors::load_vectors(document, kRequestFile);
  return {answer_json(id, loaded.at(0), vectors::evaluate_on_model(loaded.at(0))), false};
}

Answer too_long(std::size_t length) {
  return error_answer("null", LoadError(kRequestFile, 0, 0, "",
                                        fmt::format("a line of {} bytes: a request has at most {} (docs/oracle.md)", length,
                                                    kMaxRequestLine)));
}

// The next line of `in`, its '\n' dropped, keeping at most kMaxRequestLine + 1 bytes of it;
// `length` is the whole line's. False at the end of the input with nothing read.
bool next_line(std::streambuf& in, std::string& line, std::size_t& length) {
  using traits = std::streambuf::traits_type;
  line.clear();
  length = 0;
  for (;;) {
    const traits::int_type c = in.sbumpc();
    if (traits::eq_int_type(c, traits::eof())) return length > 0;
    if (c == '\n') return true;
    if (++length <= kMaxRequestLine) line += traits::to_char_type(c);
  }
}

}  // namespace

Answer answer_request(std::string_view line) {
  std::string id = "null";
  try {
    return answer_checked(line, id);
  } catch (const LoadError& e) {
    return error_answer(id, e);
  } catch (const YAML::Exception& e) {  // yaml-cpp's conversions, with a position
    return error_answer(id, LoadError(kRequestFile, e.mark.line + 1, e.mark.column + 1, "", e.msg));
  } catch (const std::exception& e) {
    return error_answer(id, LoadError(kRequestFile, 0, 0, "", fmt::format("the model cannot answer this request: {}", e.what())));
  }
}

ServeSummary serve(std::istream& in, std::ostream& out) {
  ServeSummary summary;
  std::string line;
  std::size_t length = 0;
  std::streambuf* input = in.rdbuf();
  while (input && next_line(*input, line, length)) {
    const auto start = std::chrono::steady_clock::now();
    const Answer answer = length > kMaxRequestLine ? too_long(length) : answer_request(line);
    summary.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ++summary.requests;
    if (answer.error) ++summary.errors;
    out << answer.json << '\n' << std::flush;
  }
  return summary;
}

}  // namespace vtspec::oracle
