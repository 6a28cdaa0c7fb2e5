// The obligation functions (one file each in checker/proofs/), collected by obligations.cpp.
#pragma once

#include "checker/proofs/guest_unknowns.hpp"
#include "checker/proofs/obligation.hpp"

namespace vtspec::checker {

ObligationResult prove_guest_access_rights(const ProveOptions& o);
ObligationResult prove_ept_classification(const ProveOptions& o);
ObligationResult prove_ept_access_derivation(const ProveOptions& o);
ObligationResult prove_two_dimensional_composition(const ProveOptions& o);
ObligationResult prove_ept_isolation(const ProveOptions& o);
ObligationResult prove_tlb_isolation_and_flush(const ProveOptions& o);
ObligationResult prove_monotonicity(const ProveOptions& o);
ObligationResult prove_vm_entry_checks(const ProveOptions& o);
ObligationResult prove_exception_exiting(const ProveOptions& o);
ObligationResult prove_vtd_device_isolation(const ProveOptions& o);
ObligationResult prove_vtd_permission(const ProveOptions& o);
ObligationResult prove_vtd_address_width(const ProveOptions& o);
ObligationResult prove_vtd_invalidation_completeness(const ProveOptions& o);
ObligationResult prove_vtd_cached_isolation(const ProveOptions& o);
ObligationResult prove_npt_composition(const ProveOptions& o);
ObligationResult prove_npt_isolation(const ProveOptions& o);
ObligationResult prove_vmrun_consistency(const ProveOptions& o);

}  // namespace vtspec::checker
