// Planted VMM bugs, for mutation testing only: each is a one-line mistake real shadow-paging
// VMMs have made, and `vtspec fuzz --target shadow-model[-unsync] --mutation NAME` must find
// it (conformance/fuzz/tests). A VMM built without one (every normal use) has none.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vtspec::model::shadow {

enum class ShadowBug {
  none,
  leaf_rights_only,         // the shadow leaf takes R/W and U/S from the guest's leaf alone, dropping an upper level's
  invlpg_keeps_shadows,     // INVLPG leaves the shadows in place: an unsynced page table is never resynced by it
  page_fault_keeps_shadow,  // an injected #PF leaves the address's shadow (cf. docs/kvm-divergences.md §10)
  wp0_ignores_smep,         // a CR0.WP = 0 supervisor-writable shadow of a user page without XD under the guest's SMEP
};

inline std::optional<ShadowBug> shadow_bug_named(std::string_view name) {
  if (name == "leaf-rights-only") return ShadowBug::leaf_rights_only;
  if (name == "invlpg-keeps-shadows") return ShadowBug::invlpg_keeps_shadows;
  if (name == "page-fault-keeps-shadow") return ShadowBug::page_fault_keeps_shadow;
  if (name == "wp0-ignores-smep") return ShadowBug::wp0_ignores_smep;
  return std::nullopt;
}
inline const char* shadow_bug_name(ShadowBug bug) {
  switch (bug) {
    case ShadowBug::none: return "none";
    case ShadowBug::leaf_rights_only: return "leaf-rights-only";
    case ShadowBug::invlpg_keeps_shadows: return "invlpg-keeps-shadows";
    case ShadowBug::page_fault_keeps_shadow: return "page-fault-keeps-shadow";
    case ShadowBug::wp0_ignores_smep: return "wp0-ignores-smep";
  }
  return "?";
}
inline const char* shadow_bug_names() { return "leaf-rights-only, invlpg-keeps-shadows, page-fault-keeps-shadow, wp0-ignores-smep"; }

}  // namespace vtspec::model::shadow
