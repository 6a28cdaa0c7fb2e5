// The VM-entry classes of `vtspec gen --cover`: for each control, host-state and guest-state
// check of SDM Vol. 3C 27.2-27.3 (spec/vmx's table), "this check fails and no other does" on
// the CPU profile the corpus's VMX vectors use. Z3 finds a VMCS in the class - written as a
// vtspec/vmx-entry/1 file that `vtspec explain-entry` replays - or proves there is none (the
// check cannot fail without another failing with it). The witness is replayed on the
// concrete table (spec::vmx::evaluate_entry) before it counts.
#pragma once

#include <string>
#include <vector>

#include "checker/coverage/cover.hpp"

namespace vtspec::checker {

inline constexpr const char* kVmEntryCoverProfile = "bochs-2.7";

// The class id of a check: "vmx-entry-" and the check's id with '.' as '-'.
std::string vm_entry_class_id(const std::string& check_id);

std::vector<OutcomeClassResult> cover_vm_entry_checks(const CoverOptions& options);

}  // namespace vtspec::checker
