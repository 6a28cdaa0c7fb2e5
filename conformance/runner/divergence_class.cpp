#include "conformance/runner/divergence_class.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "conformance/runner/comparison.hpp"

namespace vtspec::conformance {

namespace {

using vectors::ExpectedOutcome;

// The operation's kind as the class names it: its ability, and CPL 3 for a user-mode
// access (the ability names only CPL 1 and 2, which targets may lack).
std::string operation_words(const model::Operation& op) {
  std::string s = model::ability(op);
  if (op.kind == model::OperationKind::access && op.access.cpl == 3 && !op.access.implicit_supervisor) s += " at CPL 3";
  return s;
}

// The difference's pattern with addresses and data values left out.
std::string pattern(const vectors::Vector& v, std::size_t op, const Observation& o) {
  if (!o.ran) return "not run";
  const ExpectedOutcome& valid = v.expectations[op].outcomes.front();
  const std::string expected = model::event_name(valid.event), observed = model::event_name(o.event);
  if (expected != observed) return fmt::format("expected {}, observed {}", expected, observed);
  const auto m = first_mismatch(v, valid, o);
  if (!m) return fmt::format("{} matches the valid outcome", expected);  // not a divergence: not called so
  const model::EventDifference& d = m->difference;
  if (!d.locates) return fmt::format("{} {}: expected {}, observed {}", expected, d.field, d.expected, d.observed);
  // Which value an address field holds depends on where the vector put things; whether one
  // is there at all does not.
  if (d.expected == "-") return fmt::format("{} {}: expected none, observed one", expected, d.field);
  if (d.observed == "-") return fmt::format("{} {}: expected one, observed none", expected, d.field);
  return fmt::format("{} {} differs", expected, d.field);
}

}  // namespace

std::string divergence_class(const vectors::Vector& v, std::size_t op, const Observation& o) {
  return operation_words(v.operations[op]) + ": " + pattern(v, op, o);
}

DivergenceExample divergence_example(const vectors::Vector& v, std::size_t op, const Observation& o,
                                     const vectors::ModelStep& model_step) {
  DivergenceExample e;
  e.operation = vectors::describe_operation(v.operations[op]);
  for (const auto& outcome : v.expectations[op].outcomes)
    e.allowed.push_back({outcome.result == ExpectedOutcome::Result::valid ? "valid" : "acceptable",
                         vectors::describe_outcome(outcome), outcome.flags});
  e.observed = describe_observation(v, o);
  e.difference = mismatch(v, v.expectations[op].outcomes.front(), o);
  e.trace = model_step.trace;
  e.walk = model_step.walk;
  e.two_dimensional = model_step.two_dimensional;
  e.vector_operations = v.operations.size();
  return e;
}

bool DivergenceClasses::wants_example(const std::string& key, std::size_t operations) const {
  return std::none_of(classes_.begin(), classes_.end(), [&](const auto& c) {
    return c.key == key && c.example && c.example->vector_operations <= operations;
  });
}

void DivergenceClasses::add(const std::string& key, const DivergenceInstance& instance,
                            std::optional<DivergenceExample> example) {
  auto it = std::find_if(classes_.begin(), classes_.end(), [&](const auto& c) { return c.key == key; });
  if (it == classes_.end()) {
    classes_.push_back({key, {}, 0, std::nullopt, {}});
    it = classes_.end() - 1;
  }
  const bool new_vector = std::none_of(it->instances.begin(), it->instances.end(), [&](const auto& i) {
    return i.vector_id == instance.vector_id && i.file == instance.file;
  });
  it->vectors += new_vector;
  it->instances.push_back(instance);
  if (example && (!it->example || example->vector_operations < it->example->vector_operations)) {
    it->example = std::move(example);
    it->example_instance = instance;
  }
}

std::vector<DivergenceClass> DivergenceClasses::by_count() const {
  std::vector<DivergenceClass> out = classes_;
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.instances.size() > b.instances.size(); });
  return out;
}

}  // namespace vtspec::conformance
