// Known VM-entry bugs, injected into a copy of spec/vmx's check table and outcome rule
// (never into spec/ itself): the obligation "vm-entry-checks" must report each.
//   drop-cr0-pg-without-pe      27.3.1.1 "If CR0.PG is 1, CR0.PE must be 1" is not checked
//   accept-ia32e-without-pae    27.3.1.1 "IA-32e mode guest" with CR4.PAE = 0 is accepted
//   swap-vmfail-7-8             a control failure reports error 8, a host-state failure 7
#pragma once

#include <utility>

#include "checker/mutants/mutation.hpp"
#include "spec/vmx/vm_entry_checks.hpp"

namespace vtspec::checker::mutants {

template <class D>
std::vector<spec::vmx::EntryCheck<D>> vm_entry_checks(Mutation m) {
  auto rows = spec::vmx::vm_entry_checks<D>();
  const char* dropped = m == Mutation::drop_cr0_pg_without_pe    ? "guest.cr0-pg-needs-pe"
                        : m == Mutation::accept_ia32e_without_pae ? "guest.ia32e-cr4-pae"
                                                                  : nullptr;
  for (auto& r : rows)
    if (dropped && r.id == dropped) r.holds = [](const spec::vmx::EntryInput<D>&, unsigned) { return D::truth(true); };
  return rows;
}

template <class D>
spec::vmx::EntryOutcomeKinds<D> entry_outcome_kinds(Mutation m, const typename D::Bool& control,
                                                    const typename D::Bool& host, const typename D::Bool& guest,
                                                    const typename D::Bool& msr) {
  auto k = spec::vmx::entry_outcome_kinds<D>(control, host, guest, msr);
  if (m == Mutation::swap_vmfail_7_8) std::swap(k.fail_valid_7, k.fail_valid_8);
  return k;
}

}  // namespace vtspec::checker::mutants
