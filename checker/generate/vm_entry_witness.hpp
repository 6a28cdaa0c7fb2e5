// A witness for a VM-entry check (SDM Vol. 3C 27.2.1, 27.3.1): a VMCS that fails that check
// and no other, made from a VMCS that passes every check by the fewest changes found - one
// field cleared, set to all ones or one bit flipped, among the fields the check reads; for
// a check that does not apply to the base, first one or two such changes that make it apply
// with every check still passing. Values are the field's width (what a VMWRITE stores). The
// VMX vectors of the corpus are built from these (vmx_entry_checks.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "spec/vmx/vm_entry_checks.hpp"

namespace vtspec::generate {

struct EntryWitness {
  std::size_t row;  // in spec::vmx::vm_entry_checks<Concrete>()
  spec::vmx::VmcsValues<spec::Concrete> vmcs;
  // The fields changed from the base, in the order made: (position in kVmcsFieldTable, value).
  std::vector<std::pair<std::size_t, std::uint64_t>> changes;
  spec::vmx::EntryOutcome outcome;  // the spec's (the only allowed one)
};

// `base` must pass every check on `caps`. Host-state fields are changed for host-state
// checks only.
std::optional<EntryWitness> find_entry_witness(std::size_t row, const spec::vmx::VmcsValues<spec::Concrete>& base,
                                               const spec::vmx::VmxCapabilities& caps);

}  // namespace vtspec::generate
