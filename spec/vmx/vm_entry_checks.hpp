// THE table of VM-entry checks (SDM Vol. 3C 27.2-27.4): the control, host-state, guest-state
// and MSR-load checks in SDM order, and their evaluation on a concrete VMCS with the
// allowed outcomes (vm_entry_outcome.hpp). The model's VMLAUNCH/VMRESUME, `vtspec
// explain-entry` and the proof obligation "vm-entry-checks" all go through this table.
#pragma once

#include <algorithm>

#include "spec/vmx/vm_entry_control_checks.hpp"
#include "spec/vmx/vm_entry_guest_state_checks.hpp"
#include "spec/vmx/vm_entry_host_state_checks.hpp"
#include "spec/vmx/vm_entry_msr_load_checks.hpp"
#include "spec/vmx/vm_entry_outcome.hpp"

namespace vtspec::spec::vmx {

template <class D>
const std::vector<EntryCheck<D>>& vm_entry_checks() {
  static const std::vector<EntryCheck<D>> table = [] {
    std::vector<EntryCheck<D>> t;
    for (auto part : {vm_entry_control_checks<D>(), vm_entry_host_state_checks<D>(), vm_entry_guest_state_checks<D>(),
                      vm_entry_msr_load_checks<D>()})
      t.insert(t.end(), part.begin(), part.end());
    return t;
  }();
  return table;
}

// The check failed: it applies and does not hold.
template <class D>
typename D::Bool check_fails(const EntryCheck<D>& c, const EntryInput<D>& in) {
  const auto applies = c.applies ? c.applies(in, c.param) : D::truth(true);
  return applies && !c.holds(in, c.param);
}

// ---- Concrete evaluation ---------------------------------------------------------------------

enum class CheckVerdict : std::uint8_t { pass, fail, not_applicable };
inline const char* to_string(CheckVerdict v) {
  return v == CheckVerdict::pass ? "pass" : v == CheckVerdict::fail ? "fail" : "not applicable";
}

struct CheckResult {
  std::size_t row;       // index into vm_entry_checks<Concrete>()
  unsigned msr_entry;    // MSR-load checks: the entry's number (from 1); 0 otherwise
  CheckVerdict verdict;
};

struct EntryEvaluation {
  std::vector<CheckResult> results;
  std::vector<EntryOutcome> allowed;  // every outcome the SDM allows, in the order of 27.2-27.4
  std::string why;                    // why there is more than one, if there is
};

inline CheckVerdict verdict_of(const EntryCheck<Concrete>& c, const EntryInput<Concrete>& in) {
  if (c.applies && !c.applies(in, c.param)) return CheckVerdict::not_applicable;
  return c.holds(in, c.param) ? CheckVerdict::pass : CheckVerdict::fail;
}

// Every check's verdict (the MSR-load checks for each entry) and the allowed outcomes. The
// MSR-load entries are those of the VM-entry MSR-load area, in order.
inline EntryEvaluation evaluate_entry(const VmcsValues<Concrete>& vmcs, const VmxCapabilities& caps,
                                      const std::vector<MsrLoadEntry<Concrete>>& msr_load = {}) {
  EntryEvaluation e;
  const auto& table = vm_entry_checks<Concrete>();
  bool fails[4] = {false, false, false, false};
  std::vector<std::uint64_t> guest_qualifications;
  std::optional<unsigned> first_msr_failure;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const auto& c = table[i];
    if (c.kind != EntryCheckClass::msr_load) {
      const EntryInput<Concrete> in{vmcs, caps};
      const auto v = verdict_of(c, in);
      e.results.push_back({i, 0, v});
      if (v == CheckVerdict::fail) {
        fails[static_cast<unsigned>(c.kind)] = true;
        if (c.kind == EntryCheckClass::guest_state &&
            std::find(guest_qualifications.begin(), guest_qualifications.end(), c.qualification) ==
                guest_qualifications.end())
          guest_qualifications.push_back(c.qualification);
      }
      continue;
    }
    for (unsigned n = 1; n <= msr_load.size(); ++n) {
      const EntryInput<Concrete> in{vmcs, caps, &msr_load[n - 1]};
      const auto v = verdict_of(c, in);
      e.results.push_back({i, n, v});
      if (v == CheckVerdict::fail && (!first_msr_failure || n < *first_msr_failure)) first_msr_failure = n;
    }
  }
  fails[static_cast<unsigned>(EntryCheckClass::msr_load)] = first_msr_failure.has_value();
  const auto k = entry_outcome_kinds<Concrete>(fails[0], fails[1], fails[2], fails[3]);
  if (k.fail_valid_7) e.allowed.push_back({EntryOutcomeKind::vm_fail_valid, 7, 0});
  if (k.fail_valid_8) e.allowed.push_back({EntryOutcomeKind::vm_fail_valid, 8, 0});
  if (k.fail_valid_7 && k.fail_valid_8)
    e.why = "SDM Vol. 3C 27.2: the control and host-state checks may be performed in any order";
  if (k.invalid_guest_state) {
    std::sort(guest_qualifications.begin(), guest_qualifications.end());
    for (auto q : guest_qualifications) e.allowed.push_back({EntryOutcomeKind::entry_failure, kExitInvalidGuestState, q});
    if (guest_qualifications.size() > 1)
      e.why = "SDM Vol. 3C 27.3.1: the SDM orders no guest-state check before another; each failing check's exit "
              "qualification is allowed";
  }
  if (k.msr_loading) e.allowed.push_back({EntryOutcomeKind::entry_failure, kExitMsrLoading, *first_msr_failure});
  if (k.success) e.allowed.push_back({EntryOutcomeKind::success, 0, 0});
  return e;
}

}  // namespace vtspec::spec::vmx
