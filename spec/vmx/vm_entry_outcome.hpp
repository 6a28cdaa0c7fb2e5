// The rule that maps failing VM-entry checks to the outcome, separate from the checks
// (SDM Vol. 3C 27.1-27.4, 27.8):
//   - 27.2: the VMX controls (27.2.1) and the host-state area (27.2.2, 27.2.3) are checked
//     first; a failure is VMfailValid with error 7 (control fields) or 8 (host-state
//     fields). "These checks may be performed in any order. Thus, an indication by error
//     number of one cause (for example, host state) does not imply that there are not also
//     other errors." With both kinds failing, both errors are allowed.
//   - 27.3.1: only when those pass, the guest-state area; a failure is a VM-entry failure
//     (exit reason 33 with bit 31 set) with the failing check's exit qualification (27.8).
//     The SDM orders no guest-state check before another: every failing one's qualification
//     is allowed.
//   - 27.4: after the guest state is loaded, the MSR-load entries in order; the first
//     failing entry n gives exit reason 34 with exit qualification n (from 1). Ordered: one
//     outcome.
#pragma once

#include <string>
#include <vector>

#include "spec/vmx/vm_entry_check.hpp"
#include "spec/vmx/vm_instruction_errors.hpp"

namespace vtspec::spec::vmx {

inline constexpr unsigned kExitInvalidGuestState = 33;  // Appendix C
inline constexpr unsigned kExitMsrLoading = 34;

// The VM-instruction error of a failing control or host-state check (27.2).
constexpr VmInstructionError fail_valid_error(EntryCheckClass c) {
  return c == EntryCheckClass::control ? VmInstructionError::entry_invalid_control_fields
                                       : VmInstructionError::entry_invalid_host_state_fields;
}

// Which outcome kinds are allowed, from which classes have a failing check. Over a value
// domain, so the proof obligation "vm-entry-checks" can compare it with its transcription.
template <class D>
struct EntryOutcomeKinds {
  typename D::Bool fail_valid_7, fail_valid_8, invalid_guest_state, msr_loading, success;
};

template <class D>
EntryOutcomeKinds<D> entry_outcome_kinds(const typename D::Bool& control_fails, const typename D::Bool& host_fails,
                                         const typename D::Bool& guest_fails, const typename D::Bool& msr_fails) {
  const auto by_error = [&](VmInstructionError e) {
    return (control_fails && D::truth(fail_valid_error(EntryCheckClass::control) == e)) ||
           (host_fails && D::truth(fail_valid_error(EntryCheckClass::host_state) == e));
  };
  const auto checked_27_2 = !control_fails && !host_fails;
  return {by_error(VmInstructionError::entry_invalid_control_fields),
          by_error(VmInstructionError::entry_invalid_host_state_fields), checked_27_2 && guest_fails,
          checked_27_2 && !guest_fails && msr_fails, checked_27_2 && !guest_fails && !msr_fails};
}

enum class EntryOutcomeKind : std::uint8_t { success, vm_fail_valid, entry_failure };

struct EntryOutcome {
  EntryOutcomeKind kind = EntryOutcomeKind::success;
  unsigned number = 0;             // vm_fail_valid: the error (7, 8); entry_failure: the exit reason (33, 34)
  std::uint64_t qualification = 0; // entry_failure
  friend bool operator==(const EntryOutcome&, const EntryOutcome&) = default;
};

inline std::string describe(const EntryOutcome& o) {
  switch (o.kind) {
    case EntryOutcomeKind::success: return "VM entry succeeds";
    case EntryOutcomeKind::vm_fail_valid:
      return "VMfailValid(" + std::to_string(o.number) +
             (o.number == 7 ? ": VM entry with invalid control field(s))" : ": VM entry with invalid host-state field(s))");
    case EntryOutcomeKind::entry_failure:
      return "VM-entry failure, exit reason " + std::to_string(o.number) +
             (o.number == kExitInvalidGuestState ? " (invalid guest state)" : " (MSR loading)") +
             ", exit qualification " + std::to_string(o.qualification);
  }
  return "?";
}

}  // namespace vtspec::spec::vmx
