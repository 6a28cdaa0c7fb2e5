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
      {Mutation::ept_ad_paging_reads_as_reads, "ept-ad-paging-reads-as-reads",
       "with EPT A/D enabled, guest paging-entry reads are checked by EPT as reads, not writes (SDM 29.3.3.2)",
       {"ept-access-derivation", "two-dimensional-composition"}},
      {Mutation::ept_paging_violation_as_misconfig, "ept-paging-violation-as-misconfig",
       "an EPT violation on a guest paging-structure reference is reported as an EPT misconfiguration (SDM 29.3.3)",
       {"two-dimensional-composition"}},
      {Mutation::ept_paging_violation_final_bit, "ept-paging-violation-final-bit",
       "an EPT violation on a guest paging-structure reference sets qualification bit 8 (SDM Table 28-7)",
       {"two-dimensional-composition"}},
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
