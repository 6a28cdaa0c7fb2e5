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
};

inline std::optional<ShadowBug> shadow_bug_named(std::string_view name) {
  if (name == "leaf-rights-only") return ShadowBug::leaf_rights_only;
  if (name == "invlpg-keeps-shadows") return ShadowBug::invlpg_keeps_shadows;
  if (name == "page-fault-keeps-shadow") return ShadowBug::page_fault_keeps_shadow;
  return std::nullopt;
}
inline const char* shadow_bug_names() { return "leaf-rights-only, invlpg-keeps-shadows, page-fault-keeps-shadow"; }

}  // namespace vtspec::model::shadow
