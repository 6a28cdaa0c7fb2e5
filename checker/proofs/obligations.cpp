// The registry of proof obligations run by `vtspec prove`, in issue order.
#include "checker/proofs/guest_obligations.hpp"
#include "checker/proofs/shadow_coherence.hpp"

namespace vtspec::checker {

const std::vector<Obligation>& obligations() {
  static const std::vector<Obligation> list = {
      {"guest-access-rights", "SDM Vol. 3A 4.5, 4.6.1, 4.6.2, 4.7",
       "walker fault/no-fault and #PF error code == declarative access-rights table", prove_guest_access_rights},
      {"ept-classification", "SDM Vol. 3C 29.3.2, 29.3.3.1, 29.3.3.2, 29.3.5, Table 28-7",
       "EPT misconfiguration/violation, every qualification bit and A/D effect == declarative transcription",
       prove_ept_classification},
      {"ept-access-derivation", "SDM Vol. 3C 29.3.3.2, 29.3.5, Table 28-7",
       "EPT access kind and origin of guest paging-entry reads, A/D updates and the final access == declarative table",
       prove_ept_access_derivation},
      {"two-dimensional-composition", "SDM Vol. 3C 29.3.1, 29.3.3",
       "2D walk == guest walk in guest-physical space composed with EPT walks of every reference: same success or fault, fault kind, qualification, A/D effects",
       prove_two_dimensional_composition},
      {"ept-isolation", "SDM Vol. 3C 29.3.2, 29.3.3",
       "EPT leaves in R, EPT tables outside R => every successful access lands in R and guest writes never change EPT",
       prove_ept_isolation},
      {"tlb-isolation-and-flush", "SDM Vol. 3A 4.10.1, 4.10.4; Vol. 3C 29.4; AMD64 APM Vol. 2 15.16",
       "tagged entries never serve another PCID/VPID/ASID (globals excepted); invalidations (TLB_CONTROL and INVLPGA included) leave no stale outcome",
       prove_tlb_isolation_and_flush},
      {"monotonicity", "SDM Vol. 3A 4.6.1, 4.6.2; Vol. 3C 29.3.3.2",
       "adding a permission bit (R/W, U/S for user accesses, clearing XD/AD/WD, EPT R/W/X) never adds a fault",
       prove_monotonicity},
      {"shadow-coherence", "SDM Vol. 3C 32.3; Vol. 3A 4.7, 4.8, 4.10",
       "every guest access through the reference shadow VMM's tables has an outcome the architectural TLB model allows, "
       "after every sequence of guest operations up to the bound, under each sync policy",
       prove_shadow_coherence},
      {"vm-entry-checks", "SDM Vol. 3C 27.2, 27.3.1, 27.4", "every VM-entry check == its declarative transcription, for every VMCS on each profile; outcome rule == 27.2-27.4", prove_vm_entry_checks},
      {"exception-exiting", "SDM Vol. 3C 25.6.3, 26.2", "exception bitmap with #PF error-code mask/match == declarative transcription", prove_exception_exiting},
      {"vtd-device-isolation", "VT-d 3.4.3, 3.7, 9.1, 9.3, 9.8",
       "context entries map d_i to domain D_i, D_i's second-level leaves in R_i, tables in T outside every R => every DMA "
       "from d_i lands in R_i or faults, and the walk reads only T",
       prove_vtd_device_isolation},
      {"vtd-permission", "VT-d 7.1.3, 9.8",
       "a DMA write through a second-level entry with W = 0 faults with reason 5, a read through R = 0 with reason 6",
       prove_vtd_permission},
      {"vtd-address-width", "VT-d 3.4.3, 7.1.3, 9.3, 10.4.2",
       "an IOVA beyond min(MGAW, AGAW) reads no second-level entry and, once the context entry is valid, faults with reason 4",
       prove_vtd_address_width},
      {"vtd-invalidation-completeness", "VT-d 6.2, 6.5.1.1, 6.5.1.2, 6.5.3",
       "after a leaf, non-leaf or context-entry change, the invalidation VT-d requires removes every cached entry the "
       "change made stale; with IH = 1 after a non-leaf change exactly the domain's overlapping paging-structure-cache "
       "entries survive",
       prove_vtd_invalidation_completeness},
      {"vtd-cached-isolation", "VT-d 3.4.3, 6.2.3, 6.2.4",
       "two devices in two domains: after every sequence of up to 3 DMAs and invalidations, every outcome the model's "
       "caches allow for a DMA lands in the device's own region or faults",
       prove_vtd_cached_isolation},
      {"npt-composition", "AMD64 APM Vol. 2 15.25.5, 15.25.6",
       "nested-paging walk == guest walk in guest-physical space composed with a nested walk (user access; guest "
       "page-table accesses as user writes) of every reference: same success, #PF and error code, #VMEXIT(NPF) with "
       "EXITINFO1/EXITINFO2, A/D effects",
       prove_npt_composition},
      {"npt-isolation", "AMD64 APM Vol. 2 15.25.5",
       "nested leaves in R, nested tables in T outside R => every successful access and every guest page-table "
       "reference lands in R, and every nested entry read is in T",
       prove_npt_isolation},
      {"vmrun-consistency", "AMD64 APM Vol. 2 15.5.1, 15.20",
       "every VMRUN consistency check == its declarative transcription, for every VMCB on each profile; #VMEXIT(INVALID) "
       "exactly when some check fails",
       prove_vmrun_consistency},
  };
  return list;
}

}  // namespace vtspec::checker
