// The smallest change to a VMCS that makes a failing VM entry pass, for `vtspec
// explain-entry`. The fields a failing check depends on are the ones it read (VmcsValues
// records them); each candidate value differs from the current one in one bit, or is the
// nearest value a capability MSR allows (controls: (v | allowed-0) & allowed-1; CR0/CR4:
// (v | FIXED0) & FIXED1; A.3-A.8). The change chosen fixes the check without adding a
// failing check and differs in the fewest bits. Changes are chosen check by check (the
// first failing one first) until the entry passes: a greedy, not an exhaustive, minimum.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spec/vmx/vm_entry_checks.hpp"

namespace vtspec::model::vmx {

struct FieldChange {
  std::size_t position;  // row of spec::vmx::kVmcsFieldTable
  std::uint64_t from, to;
  std::string fixes;     // the id of the check it makes pass
};

// The entries a VM entry loads from an MSR-load area listing `area`: the first
// "VM-entry MSR-load count" of them (25.8.2).
std::vector<spec::vmx::MsrLoadEntry<spec::Concrete>> loaded_msr_entries(
    const spec::vmx::VmcsValues<spec::Concrete>& vmcs, const std::vector<spec::vmx::MsrLoadEntry<spec::Concrete>>& area);

// The changes, in order, that make the entry succeed; empty if it succeeds already. A
// failing check no single-field change fixes ends the list with `fixes` set and
// position == kVmcsFieldCount (no field).
std::vector<FieldChange> smallest_fix(spec::vmx::VmcsValues<spec::Concrete> vmcs,
                                      const spec::vmx::VmxCapabilities& caps,
                                      const std::vector<spec::vmx::MsrLoadEntry<spec::Concrete>>& msr_area);

}  // namespace vtspec::model::vmx
