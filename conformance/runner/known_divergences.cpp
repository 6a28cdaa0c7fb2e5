#include "conformance/runner/known_divergences.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include <fmt/format.h>

#include "vectors/format/load_error.hpp"
#include "vectors/format/corpus_file.hpp"
#include "vectors/format/yaml_document.hpp"
#include "vectors/format/state_file.hpp"

namespace vtspec::conformance {

namespace {

constexpr const char* kKnownSchema = vectors::kKnownDivergencesSchema;

std::string text(const std::string& file, const YAML::Node& node, const std::string& field) {
  if (!node.IsScalar()) throw vectors::LoadError(file, node, field, "expected text");
  return node.Scalar();
}

KnownDivergence entry(const std::string& file, const YAML::Node& node, const std::string& where) {
  if (!node.IsMap()) throw vectors::LoadError(file, node, where, "expected a mapping");
  static const char* const fields[] = {"target", "vector", "operation", "class", "reference", "verdict"};
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    if (std::none_of(std::begin(fields), std::end(fields), [&](const char* f) { return key == f; }))
      throw vectors::LoadError(file, kv.first, where + "." + key, "unknown field");
  }
  auto required = [&](const char* key) {
    if (!node[key]) throw vectors::LoadError(file, node, where + "." + key, "missing");
    return text(file, node[key], where + "." + key);
  };
  KnownDivergence k;
  k.target = required("target");
  // Without `vector`, an entry names a class wherever it shows (what `vtspec fuzz` needs:
  // its vectors are new each run); then `class` is required and `operation` is refused.
  if (node["vector"]) k.vector = required("vector");
  else if (!node["class"]) throw vectors::LoadError(file, node, where + ".vector", "missing (give vector, or class for any vector)");
  else if (node["operation"]) throw vectors::LoadError(file, node["operation"], where + ".operation", "an entry for any vector names no operation");
  k.reference = required("reference");
  k.verdict = required("verdict");
  if (node["operation"]) k.operation = vectors::parse_number(node["operation"], file, where + ".operation");
  if (node["class"]) k.class_key = text(file, node["class"], where + ".class");
  k.source = {file, node.Mark().line + 1, node.Mark().column + 1};
  return k;
}

}  // namespace

std::string KnownDivergence::describe() const {
  return fmt::format("{} {}{} ({}:{}): {}", target, vector.empty() ? "any vector, class '" + class_key.value_or("") + "'" : vector, operation ? fmt::format(" operation {}", *operation) : "",
                     source.file, source.line, reference);
}

KnownDivergences KnownDivergences::load(const std::string& file, const std::string& target) {
  const YAML::Node doc = vectors::load_yaml_file(file);
  if (!doc.IsMap()) throw vectors::LoadError(file, doc, "", "expected a mapping with schema and known");
  for (const auto& kv : doc)
    if (kv.first.Scalar() != "schema" && kv.first.Scalar() != "known")
      throw vectors::LoadError(file, kv.first, kv.first.Scalar(), "unknown field");
  if (!doc["schema"] || text(file, doc["schema"], "schema") != kKnownSchema)
    throw vectors::LoadError(file, doc["schema"] ? doc["schema"] : doc, "schema", fmt::format("expected {}", kKnownSchema));
  const YAML::Node list = doc["known"];
  if (!list || !list.IsSequence()) throw vectors::LoadError(file, list ? list : doc, "known", "expected a list");
  KnownDivergences out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    KnownDivergence k = entry(file, list[i], fmt::format("known[{}]", i));
    if (k.target != target) continue;  // another target's list: not this run's business
    out.entries_.push_back(std::move(k));
    out.operation_nodes_.push_back(list[i]["operation"]);
    out.operation_fields_.push_back(fmt::format("known[{}].operation", i));
  }
  out.matched_.assign(out.entries_.size(), false);
  out.loaded_.assign(out.entries_.size(), false);
  for (std::size_t i = 0; i < out.entries_.size(); ++i) out.loaded_[i] = out.entries_[i].vector.empty();
  return out;
}

void KnownDivergences::loaded(const std::string& id, std::size_t operations) {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const KnownDivergence& k = entries_[i];
    if (k.vector != id) continue;
    loaded_[i] = true;
    if (k.operation && *k.operation >= operations)
      throw vectors::LoadError(k.source.file, operation_nodes_[i], operation_fields_[i],
                               fmt::format("vector '{}' has operations 0..{}", id, operations - 1));
  }
}

std::vector<const KnownDivergence*> KnownDivergences::not_loaded() const {
  std::vector<const KnownDivergence*> out;
  for (std::size_t i = 0; i < entries_.size(); ++i)
    if (!loaded_[i]) out.push_back(&entries_[i]);
  return out;
}

const KnownDivergence* KnownDivergences::match(const std::string& vector, std::size_t operation, const std::string& class_key) {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const KnownDivergence& k = entries_[i];
    const bool any_vector = k.vector.empty();
    if ((!any_vector && (!loaded_[i] || k.vector != vector)) || (k.operation && *k.operation != operation) || (k.class_key && *k.class_key != class_key))
      continue;
    matched_[i] = true;
    return &k;
  }
  return nullptr;
}

std::vector<const KnownDivergence*> KnownDivergences::fixed(const std::set<std::string>& compared) const {
  std::vector<const KnownDivergence*> out;
  for (std::size_t i = 0; i < entries_.size(); ++i)
    if (!matched_[i] && !entries_[i].vector.empty() && compared.count(entries_[i].vector)) out.push_back(&entries_[i]);
  return out;
}

}  // namespace vtspec::conformance
