#include "checker/mutants/mutation.hpp"

namespace vtspec::checker {

const std::vector<MutationInfo>& mutations() {
  static const std::vector<MutationInfo> list = {
      {Mutation::none, "none", "the unmodified rules", {}},
      {Mutation::ignore_cr0_wp, "ignore-cr0-wp", "supervisor-mode writes ignore CR0.WP (SDM 4.6.1)", {"guest-access-rights"}},
      {Mutation::smap_ac_covers_implicit, "smap-ac-covers-implicit",
       "EFLAGS.AC=1 lifts SMAP for implicit supervisor-mode accesses too (SDM 4.6.1)", {"guest-access-rights"}},
      {Mutation::xd_inverted, "xd-inverted", "the XD bit is read with the wrong polarity (SDM 4.6.1)",
       {"guest-access-rights", "monotonicity"}},
      {Mutation::guest_dirty_on_non_leaf, "guest-dirty-on-non-leaf",
       "a guest write also writes back the flags of every non-leaf entry it used, as if each needed a D flag "
       "(SDM 4.8: only the page's entry has one; each extra write is an EPT-checked reference under EPT)",
       {"guest-access-rights"}},
      {Mutation::ept_write_only_violation, "ept-write-only-violation",
       "a write-only EPT entry is classified as an EPT violation instead of a misconfiguration (SDM 29.3.3.1)",
       {"ept-classification"}},
      {Mutation::final_access_skips_ept, "final-access-skips-ept",
       "the final guest-physical address of a 2D walk is used as host-physical (SDM 29.3.1)",
       {"two-dimensional-composition", "ept-isolation"}},
      {Mutation::invlpg_keeps_structure_caches, "invlpg-keeps-structure-caches",
       "INVLPG forgets to invalidate paging-structure caches (SDM 4.10.4.1)", {"tlb-isolation-and-flush"}},
      // Under-invalidation outside the first table's rows: MOV to CR4 (issue 18, mutant 730).
      {Mutation::mov_cr4_keeps_current_pcid, "mov-cr4-keeps-current-pcid",
       "MOV to CR4 that changes CR4.PAE or sets CR4.SMEP invalidates nothing of the current PCID (SDM 4.10.4.1)",
       {"tlb-isolation-and-flush"}},
      // Over-invalidation: allowed for hardware, wrong for the model, which would then forbid
      // the stale outcomes the SDM allows (issue 18, mutant 752).
      {Mutation::invvpid_address_removes_structures, "invvpid-address-removes-structures",
       "INVVPID individual-address removes every paging-structure-cache entry of the VPID, not only those for the "
       "address (SDM Vol. 3C 29.4.3.1: the model must keep what the SDM lets survive)",
       {"tlb-isolation-and-flush"}},
      // Issue 12's fifth mutant: the flush a VM entry or exit owes VPID 0000H.
      {Mutation::vmx_transition_keeps_vpid0, "vmx-transition-keeps-vpid0",
       "a VM entry or VM exit with \"enable VPID\" = 0 leaves VPID 0000H's linear and combined mappings in place "
       "(SDM Vol. 3C 29.4.3.1)",
       {"tlb-isolation-and-flush"}},
      {Mutation::shadow_leaf_rights_only, "shadow-leaf-rights-only",
       "the shadow VMM takes a shadow leaf's R/W and U/S from the guest's leaf alone, dropping an upper level's (SDM 4.6.1)",
       {"shadow-coherence"}},
      {Mutation::shadow_invlpg_keeps_shadows, "shadow-invlpg-keeps-shadows",
       "the shadow VMM leaves the shadows in place on INVLPG: an unsynced page table stays stale (SDM 4.10.4.1)",
       {"shadow-coherence"}},
      {Mutation::shadow_page_fault_keeps_shadow, "shadow-page-fault-keeps-shadow",
       "the shadow VMM keeps an address's shadow when it injects a #PF for it (SDM 4.10.4.1: a #PF invalidates)",
       {"shadow-coherence"}},
      {Mutation::shadow_wp0_ignores_smep, "shadow-wp0-ignores-smep",
       "a CR0.WP = 0 writable supervisor-only shadow of a user page lacks XD under the guest's CR4.SMEP, so a supervisor "
       "fetch runs (SDM 4.6.1)",
       {"shadow-coherence"}},
      {Mutation::drop_cr0_pg_without_pe, "drop-cr0-pg-without-pe",
       "VM entry does not check \"CR0.PG = 1 requires CR0.PE = 1\" in the guest CR0 (SDM Vol. 3C 27.3.1.1)",
       {"vm-entry-checks"}},
      {Mutation::accept_ia32e_without_pae, "accept-ia32e-without-pae",
       "VM entry accepts an IA-32e mode guest with CR4.PAE = 0 (SDM Vol. 3C 27.3.1.1)", {"vm-entry-checks"}},
      {Mutation::swap_vmfail_7_8, "swap-vmfail-7-8",
       "a failing control check reports VM-instruction error 8 and a failing host-state check 7 (SDM Vol. 3C 27.2)",
       {"vm-entry-checks"}},
      {Mutation::pf_mask_match_inverted, "pf-mask-match-inverted",
       "a #PF whose error code matches PFEC_MASK/PFEC_MATCH reverses exception-bitmap bit 14 instead of following it "
       "(SDM Vol. 3C 25.6.3)",
       {"exception-exiting"}},
      {Mutation::ept_ad_paging_reads_as_reads, "ept-ad-paging-reads-as-reads",
       "with EPT A/D enabled, guest paging-entry reads are checked by EPT as reads, not writes (SDM 29.3.3.2)",
       {"ept-access-derivation", "two-dimensional-composition"}},
      {Mutation::ept_paging_violation_as_misconfig, "ept-paging-violation-as-misconfig",
       "an EPT violation on a guest paging-structure reference is reported as an EPT misconfiguration (SDM 29.3.3)",
       {"two-dimensional-composition"}},
      {Mutation::ept_paging_violation_final_bit, "ept-paging-violation-final-bit",
       "an EPT violation on a guest paging-structure reference sets qualification bit 8 (SDM Table 28-7)",
       {"two-dimensional-composition"}},
      // A write through a not-present (R = W = 0) entry then follows whatever that entry holds,
      // out of the domain's region: device isolation catches it, and vtd-permission directly.
      {Mutation::vtd_ignore_write_permission, "vtd-ignore-write-permission",
       "a DMA write is allowed through a second-level entry with W = 0 (VT-d 7.1.3, fault reason 5)",
       {"vtd-permission", "vtd-device-isolation"}},
      // An IOVA beyond the width aliases onto a mapped IOVA below it, which lands in the same
      // domain's region: not an isolation break, so only vtd-address-width catches it (and the
      // hand-built example in checker/proofs/tests/vtd_mutant_test.cpp).
      {Mutation::vtd_address_width_unchecked, "vtd-address-width-unchecked",
       "the IOVA is not checked against min(MGAW, AGAW) and the walk uses only the bits its levels index "
       "(VT-d 3.4.3, 7.1.3 fault reason 4)",
       {"vtd-address-width"}},
      {Mutation::vtd_page_selective_keeps_structures, "vtd-page-selective-keeps-structures",
       "a page-selective IOTLB invalidation with IH = 0 keeps the paging-structure-cache entries (VT-d 6.5.1.2)",
       {"vtd-invalidation-completeness"}},
      {Mutation::vtd_domain_not_tagged, "vtd-domain-not-tagged",
       "an IOTLB or paging-structure-cache lookup ignores the entry's domain id (and requester) tag (VT-d 6.2.3)",
       {"vtd-cached-isolation"}},
      {Mutation::nested_access_supervisor, "nested-access-supervisor",
       "nested page-table checks treat every nested access as a supervisor access, so a nested entry with U/S = 0 "
       "no longer faults (AMD64 APM Vol. 2 15.25.5: all nested accesses are user accesses)",
       {"npt-composition"}},
      {Mutation::tlb_control_ignored, "tlb-control-ignored",
       "VMRUN ignores the VMCB's TLB_CONTROL: no entry of the guest's ASID, or of any ASID, is flushed (AMD64 APM Vol. 2 "
       "15.16.1)",
       {"tlb-isolation-and-flush"}},
      {Mutation::vmrun_skips_svme_check, "vmrun-skips-svme-check",
       "VMRUN does not check the guest's EFER.SVME = 1 (AMD64 APM Vol. 2 15.5.1)", {"vmrun-consistency"}},
  };
  return list;
}

std::optional<Mutation> mutation_by_name(const std::string& name) {
  for (const auto& m : mutations())
    if (name == m.name) return m.mutation;
  return std::nullopt;
}

const MutationInfo& mutation_info(Mutation m) {
  for (const auto& info : mutations())
    if (info.mutation == m) return info;
  return mutations().front();
}

}  // namespace vtspec::checker
