// Divergence classes: divergent operations grouped so that one bug reads as one entry, with
// its count and one full example, however many vectors and addresses it shows up at.
//
// A class key is the operation's kind (model::ability, plus "at CPL 3" for user-mode
// accesses: SDM Vol. 3A 4.6 checks user and supervisor accesses differently) and the
// pattern of the difference between the valid outcome and the observation:
//   "read at CPL 3: expected #PF, observed completed"           (kinds or vectors differ)
//   "write: #PF error code: expected 0x7, observed 0x5"         (a bit pattern differs: kept)
//   "read: completed value differs"                             (an address or data value
//                                                                differs: abstracted, so
//                                                                the same bug at another
//                                                                address is the same class)
//   "write: completed pte.D: expected 1, observed 0"            (an A/D bit afterwards)
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "conformance/target.hpp"
#include "vectors/format/model_evaluation.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::conformance {

// The class of operation `operation` of `vector`, which diverges with `observed`.
std::string divergence_class(const vectors::Vector& vector, std::size_t operation, const Observation& observed);

// One divergence in full: what the report shows once per class.
struct DivergenceExample {
  struct Allowed {
    std::string result;  // "valid" or "acceptable"
    std::string outcome;  // vectors::describe_outcome
    std::vector<std::string> flags;
  };
  std::string operation;  // vectors::describe_operation
  std::vector<Allowed> allowed;
  std::string observed;    // describe_observation
  std::string difference;  // from the valid outcome, in words
  std::string trace;       // the model's walk trace for the operation
  std::vector<model::TraceRow> walk;  // the same walk, reference by reference (accesses)
  bool two_dimensional = false;
  std::size_t vector_operations = 0;  // of the example's vector: the class keeps its smallest
};
// `model_step`: the model's step for the operation (vectors::evaluate_on_model, with trace).
DivergenceExample divergence_example(const vectors::Vector& vector, std::size_t operation, const Observation& observed,
                                     const vectors::ModelStep& model_step);

// Where one divergence was seen.
struct DivergenceInstance {
  std::string vector_id;
  std::string file;
  int line = 0;  // the operation's line (0 when generated in memory)
  std::size_t operation = 0;
};

struct DivergenceClass {
  std::string key;
  std::vector<DivergenceInstance> instances;  // in the order the run met them
  std::size_t vectors = 0;                    // distinct vectors among the instances
  // The example of the class's minimal vector: of those offered, the one with the fewest
  // operations, the first of them on a tie (none when every instance was resumed).
  std::optional<DivergenceExample> example;
  DivergenceInstance example_instance;         // where the example was seen
};

// The classes of a run, most operations first (ties: first seen first).
class DivergenceClasses {
 public:
  // Whether an example from a vector of `operations` operations would be kept: the class
  // has none yet, or only one of a larger vector.
  bool wants_example(const std::string& key, std::size_t operations) const;
  // Records one instance; `example` is kept when wants_example says so.
  void add(const std::string& key, const DivergenceInstance& instance, std::optional<DivergenceExample> example);
  std::vector<DivergenceClass> by_count() const;
  bool empty() const { return classes_.empty(); }

 private:
  std::vector<DivergenceClass> classes_;  // in first-seen order
};

}  // namespace vtspec::conformance
