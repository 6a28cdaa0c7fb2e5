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
  // ept_violation: qualification bits the SDM leaves to the implementation (Table 28-7), clear
  // in `value`. The model's outcome comparison (Outcome::same_result) ignores them, so both
  // of their values are one class.
  std::uint64_t undefined = 0;
};

// Is an EPT-violation class about an access to a guest paging-structure entry (qualification
// bit 8 clear, SDM Table 28-7) rather than the final access of the translation?
inline bool on_guest_paging_structure(const OutcomeClass& c) {
  return c.family == OutcomeClass::ept_violation && !(c.value & 0x100);
}

// Misconfiguration reasons (SDM 29.3.3.1), as OutcomeClass::value.
enum MisconfigReason : std::uint64_t { write_only = 0, execute_only_unsupported = 1, bad_memory_type = 2, reserved_bit = 10 /* + level */ };

const std::vector<OutcomeClass>& outcome_classes();
const char* family_name(OutcomeClass::Family f);

// Does the model's canonical outcome of `request` on `state` belong to class `c`?
bool model_outcome_in_class(const OutcomeClass& c, const model::MachineState& state, const model::AccessRequest& request,
                            const model::Translation& t);

}  // namespace vtspec::checker
