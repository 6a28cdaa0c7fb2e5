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
      {Mutation::ept_write_only_violation, "ept-write-only-violation",
       "a write-only EPT entry is classified as an EPT violation instead of a misconfiguration (SDM 29.3.3.1)",
       {"ept-classification"}},
      {Mutation::final_access_skips_ept, "final-access-skips-ept",
       "the final guest-physical address of a 2D walk is used as host-physical (SDM 29.3.1)",
       {"two-dimensional-composition", "ept-isolation"}},
      {Mutation::invlpg_keeps_structure_caches, "invlpg-keeps-structure-caches",
       "INVLPG forgets to invalidate paging-structure caches (SDM 4.10.4.1)", {"tlb-isolation-and-flush"}},
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
