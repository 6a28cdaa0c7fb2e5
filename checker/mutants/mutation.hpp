// Known bugs that can be injected into copies of the rules (never into spec/ itself) to
// show that every proof obligation can fail: `vtspec prove --mutation NAME` runs the
// obligations against the mutated copy and must report a counterexample.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace vtspec::checker {

enum class Mutation {
  none,
  ignore_cr0_wp,              // supervisor writes ignore CR0.WP (always allowed)
  smap_ac_covers_implicit,    // EFLAGS.AC lifts SMAP for implicit supervisor accesses too
  xd_inverted,                // XD=0 read as "execute disable"
  guest_dirty_on_non_leaf,    // a write also asks to update the flags of every non-leaf entry it used
  ept_write_only_violation,   // a write-only EPT entry classified as a violation, not a misconfiguration
  final_access_skips_ept,     // the final guest-physical address of a 2D walk is used as host-physical
  invlpg_keeps_structure_caches,  // INVLPG leaves paging-structure-cache entries in place
  mov_cr4_keeps_current_pcid,     // MOV to CR4 changing PAE or setting SMEP leaves the current PCID's entries
  invvpid_address_removes_structures,  // INVVPID type 0 removes every paging-structure-cache entry (over-invalidation)
  vmx_transition_keeps_vpid0,  // a VM entry or exit with VPIDs disabled invalidates nothing
  // Planted in the reference shadow VMM (model/shadow/shadow_bug.hpp), not in spec/'s rules:
  // the shadow-coherence obligation must catch each.
  shadow_leaf_rights_only,
  shadow_invlpg_keeps_shadows,
  shadow_page_fault_keeps_shadow,
  shadow_wp0_ignores_smep,
  drop_cr0_pg_without_pe,     // VM entry: the guest CR0.PG-without-PE check is dropped
  accept_ia32e_without_pae,   // VM entry: an IA-32e mode guest with CR4.PAE = 0 is accepted
  swap_vmfail_7_8,            // VM entry: VMfailValid 7 and 8 swapped
  pf_mask_match_inverted,     // #PF exiting: the error-code mask/match applied the wrong way round
  ept_ad_paging_reads_as_reads,       // EPT A/D on: guest paging-entry reads checked as reads, not writes
  ept_paging_violation_as_misconfig,  // an EPT violation on a guest paging-structure reference reported as a misconfiguration
  ept_paging_violation_final_bit,     // such a violation reports qualification bit 8 (final translation)
  // In the VT-d legacy-mode walk (checker/mutants/vtd_mutant.hpp):
  vtd_ignore_write_permission,  // a DMA write passes a second-level entry with W = 0
  vtd_address_width_unchecked,  // the IOVA is not checked against min(MGAW, AGAW); the walk uses the indexed bits only
  // In VT-d's caches (checker/mutants/vtd_cache_mutant.hpp, model::iommu::CacheBug):
  vtd_page_selective_keeps_structures,  // a page-selective IOTLB invalidation keeps paging-structure-cache entries
  vtd_domain_not_tagged,                // an IOTLB lookup ignores the domain (and requester) tag
  // AMD-V (checker/mutants/nested_paging_mutant.hpp, vmrun_mutant.hpp, tlb_mutant.hpp):
  nested_access_supervisor,  // nested page-table checks treat the access as supervisor, not user
  tlb_control_ignored,       // VMRUN's TLB_CONTROL flushes nothing
  vmrun_skips_svme_check,    // VMRUN accepts a guest EFER.SVME = 0
};

struct MutationInfo {
  Mutation mutation;
  const char* name;
  const char* description;
  std::vector<std::string> caught_by;  // obligations expected to report a counterexample
};

const std::vector<MutationInfo>& mutations();
std::optional<Mutation> mutation_by_name(const std::string& name);
const MutationInfo& mutation_info(Mutation m);

}  // namespace vtspec::checker
