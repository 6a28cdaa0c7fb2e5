#include "conformance/runner/json_report.hpp"

#include "conformance/runner/json_text.hpp"

namespace vtspec::conformance {

namespace {

std::string instance_json(const DivergenceInstance& i) {
  return JsonObject()
      .string("vector", i.vector_id)
      .string("file", i.file)
      .number("line", static_cast<std::size_t>(i.line))
      .number("operation", i.operation)
      .text();
}

std::string example_json(const DivergenceInstance& where, const DivergenceExample& e) {
  std::vector<std::string> allowed;
  for (const auto& a : e.allowed)
    allowed.push_back(JsonObject().string("result", a.result).string("outcome", a.outcome).field("flags", json_strings(a.flags)).text());
  return JsonObject()
      .field("at", instance_json(where))
      .string("operation", e.operation)
      .field("allowed", json_array(allowed))
      .string("observed", e.observed)
      .string("difference", e.difference)
      .string("trace", e.trace)
      .text();
}

std::string class_json(const DivergenceClass& c) {
  std::vector<std::string> instances;
  for (const auto& i : c.instances) instances.push_back(instance_json(i));
  return JsonObject()
      .string("key", c.key)
      .number("operations", c.instances.size())
      .number("vectors", c.vectors)
      .field("instances", json_array(instances))
      .field("example", c.example ? example_json(c.example_instance, *c.example) : "null")
      .text();
}

std::string summary_json(const RunReport& r) {
  const RunSummary& s = r.summary;
  return JsonObject()
      .string("target", r.target)
      .number("files", s.files)
      .number("vectors", s.vectors)
      .number("operations", s.operations)
      .number("passed", s.passed)
      .number("failed", s.failed)
      .number("skipped", s.skipped)
      .number("errors", s.errors)
      .number("load_errors", s.load_errors)
      .number("resumed", s.resumed)
      .number("known", s.known)
      .number("known_vectors", s.known_vectors)
      .number("fixed", s.fixed)
      .number("not_run", s.not_run)
      .number("warnings", s.warnings)
      .number("seconds", s.seconds)
      .text();
}

}  // namespace

void write_json_report(std::ostream& out, const RunReport& r) {
  JsonObject skips;
  for (const auto& [reason, count] : r.skips) skips.number(reason, count);
  std::vector<std::string> classes, known, errors, records;
  for (const auto& c : r.classes) classes.push_back(class_json(c));
  for (const auto& k : r.known)
    known.push_back(JsonObject()
                        .field("at", instance_json(k.instance))
                        .string("class", k.class_key)
                        .string("entry", k.entry)
                        .string("reference", k.reference)
                        .string("verdict", k.verdict)
                        .text());
  for (const auto& e : r.errors)
    errors.push_back(JsonObject().string("file", e.file).string("vector", e.vector).string("message", e.message).text());
  for (const auto& record : r.records) records.push_back(to_json(record));
  std::vector<std::string> not_run;
  for (const auto& n : r.not_run)
    not_run.push_back(JsonObject().string("file", n.file).string("message", n.message).field("warning", n.warning ? "true" : "false").text());
  out << JsonObject()
             .string("schema", "vtspec/run-report/1")
             .field("summary", summary_json(r))
             .field("files", json_strings(r.files))
             .field("skipped", skips.text())
             .field("divergence_classes", json_array(classes))
             .field("known_divergences", json_array(known))
             .field("fixed", json_strings(r.fixed))
             .field("errors", json_array(errors))
             .field("not_run", json_array(not_run))
             .field("notes", json_strings(r.notes))
             .field("vectors", json_array(records))
             .text()
      << "\n";
}

}  // namespace vtspec::conformance
