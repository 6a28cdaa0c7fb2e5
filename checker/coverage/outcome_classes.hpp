// The outcome classes `vtspec gen --cover` aims at, as data, so the SMT witness search
// (cover.cpp) and the random baseline (random_baseline.cpp) classify identically.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/translation.hpp"
#include "spec/paging_control.hpp"

namespace vtspec::checker {

struct OutcomeClass {
  enum Family { page_fault, ept_violation, ept_misconfig, guest_accessed, guest_dirty, ept_accessed, ept_dirty } family;
  std::string id;
  std::string description;
  // page_fault: the access and the error code.
  spec::AccessKind kind = spec::AccessKind::read;
  unsigned cpl = 0;
  std::uint64_t value = 0;  // error code / qualification / misconfiguration reason / level
};

// Misconfiguration reasons (SDM 29.3.3.1), as OutcomeClass::value.
enum MisconfigReason : std::uint64_t { write_only = 0, execute_only_unsupported = 1, bad_memory_type = 2, reserved_bit = 10 /* + level */ };

const std::vector<OutcomeClass>& outcome_classes();
const char* family_name(OutcomeClass::Family f);

// Does the model's canonical outcome of `request` on `state` belong to class `c`?
bool model_outcome_in_class(const OutcomeClass& c, const model::MachineState& state, const model::AccessRequest& request,
                            const model::Translation& t);

}  // namespace vtspec::checker
