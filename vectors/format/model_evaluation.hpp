// A vector's operations run on the model: for each operation, every outcome the architecture
// allows (as vector expectations), the model's walk trace, and the state after the canonical
// outcome. The generator writes these expectations into vectors (checker/generate); the
// model target reports the canonical outcome as its observation (conformance/runner); the
// runner prints the trace when a target diverges.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/iommu/remapping_unit.hpp"
#include "model/processor/processor.hpp"
#include "model/walk_trace.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::vectors {

// The flag of a VM entry's outcome that another failing check could have given instead.
inline constexpr const char* kUnorderedEntryChecks = "UnorderedEntryChecks";
inline constexpr const char* kUnorderedEntryChecksNote =
    "SDM Vol. 3C 27.2: the checks of the VMX controls and of the host-state area may be performed in any order, and "
    "27.3.1 orders none of the guest-state checks: with several failing, the outcome of each is allowed";

struct ModelStep {
  Expectation expectation;  // outcomes[0] is the canonical one (marked valid), the rest acceptable
  std::string trace;        // the walk trace of an access, or what the operation did
  // An access's canonical walk, reference by reference (with the trace; empty for other
  // operations), and whether it is two-dimensional (guest paging under EPT).
  std::vector<model::TraceRow> walk;
  bool two_dimensional = false;
  // The vector's checked entries after the canonical outcome: (physical, value).
  std::vector<std::pair<std::uint64_t, std::uint64_t>> entries_after;
  // flag -> why it is allowed, for each flag the expectation's outcomes carry.
  std::map<std::string, std::string> notes;
  // Whether the model's allowed sets are still the architectural ones after this step
  // (model::Tlb::exact(): no eviction, no truncation, no store to a structure it does not cache).
  bool exact = true;
  // Whether they hold at least the architectural ones (model::Tlb::sound(): exact, or a
  // superset where the model cannot tell which ASID a clean bit left the guest in).
  bool sound = true;
};

// Whether ModelStep::trace is filled: the walk trace is text for reports, and most of the
// cost of a step; a generator that only needs expectations leaves it out.
enum class StepTrace : bool { omit, include };

// What a target observed of one operation: its event and the checked entries after it
// (guest-physical address, value), as conformance's Observation holds them.
struct ObservedStep {
  model::Event event;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> entries_after;
};

// Runs every operation in order. The state follows the canonical outcome of each, or, given
// `path` (what a target observed, per operation), the allowed outcome the target took where
// it took one: the one with the observed event whose A/D updates also give the observed
// entries, else the first with the observed event. The allowed sets of later operations are
// then those of the path the target is on (a read served by a cached translation keeps that
// entry cached, and leaves the entry's A flag as it was; the canonical fresh walk's #PF would
// have removed the entry, its walk set the flag).
std::vector<ModelStep> evaluate_on_model(const Vector& vector, const std::vector<std::optional<ObservedStep>>* path = nullptr,
                                         StepTrace trace = StepTrace::include);

// The same, one operation at a time, for a caller that chooses the operations as it goes and
// branches: a copy continues independently (checker/proofs' shadow-coherence exploration
// copies one at every branch). `vector` gives the initial state and the checked entries (its
// operations are not read) and must outlive the evaluation and its copies.
class ModelEvaluation {
 public:
  explicit ModelEvaluation(const Vector& vector);
  // `observed`: what the target observed of `op`, to follow the outcome it took (as `path`).
  ModelStep step(const model::Operation& op, const ObservedStep* observed = nullptr, StepTrace trace = StepTrace::include);
  const model::Processor& machine() const { return machine_; }
  // The vector's remapping unit (state iommu:), absent without one.
  const std::optional<model::iommu::RemappingUnit>& iommu() const { return iommu_; }

 private:
  ModelStep run_iommu(const model::Operation& op, const ObservedStep* observed);
  ModelStep run_vmx_instruction(const model::Operation& op);
  const Vector* vector_;
  model::Processor machine_;
  std::optional<model::iommu::RemappingUnit> iommu_;
  std::vector<std::uint64_t> open_;  // A/D bits an earlier outcome may have set
};

}  // namespace vtspec::vectors
