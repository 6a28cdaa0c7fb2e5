// Where real shadow-paging VMMs differ, each choice is a policy: every combination must give
// outcomes the architectural TLB model allows (checker/proofs/shadow_coherence.hpp proves it
// over a bounded space for each). The named ones are the `vtspec run --target` names of the
// VMM running with them (conformance/runner/shadow_model_target.hpp).
#pragma once

#include <string>
#include <vector>

namespace vtspec::model::shadow {

// When a guest write to its own paging structures reaches the shadows.
enum class SyncPolicy {
  // Every page holding a guest paging structure is mapped read-only in the shadows; a guest
  // write to one is emulated and every shadow rebuilt (KVM's shadow MMU for upper levels).
  write_protect,
  // Page tables (level 1) stay writable: the shadows of their entries go out of sync, as a
  // TLB's entries do, until the guest invalidates (INVLPG, MOV CR3, a CR0/CR4/EFER write,
  // INVPCID), which rebuilds them (KVM's unsync pages). Upper levels stay write-protected.
  unsync_page_tables,
};

// How a supervisor write the guest's CR0.WP = 0 allows on a read-only page (SDM Vol. 3A
// 4.6.1) gets done, the hardware running with CR0.WP = 1.
enum class Wp0Policy {
  // The VMM makes each such write itself; no shadow maps the page writable.
  emulate_writes,
  // A writable supervisor-only shadow leaf (U/S = 0, R/W = 1), so the writes that follow run
  // on the hardware (KVM's choice). U/S = 0 takes SMEP's and SMAP's protection off a user
  // page, and protection keys with it: the leaf gets XD when the guest has CR4.SMEP (a
  // supervisor fetch must fault back), and under the guest's CR4.SMAP or CR4.PKE the write
  // is emulated instead. A user access to the page faults back to the VMM, which makes the
  // user's shadow again.
  supervisor_writable_shadow,
};

struct ShadowPolicy {
  SyncPolicy sync = SyncPolicy::write_protect;
  Wp0Policy wp0 = Wp0Policy::emulate_writes;
  ShadowPolicy(SyncPolicy s = SyncPolicy::write_protect, Wp0Policy w = Wp0Policy::emulate_writes) : sync(s), wp0(w) {}
  bool operator==(const ShadowPolicy&) const = default;
};

const char* to_string(SyncPolicy policy);
const char* to_string(Wp0Policy policy);
std::string to_string(const ShadowPolicy& policy);  // e.g. "unsync, wp0: supervisor-writable shadow"

// The policies the shadow-model targets run with: every combination.
struct NamedShadowPolicy {
  const char* target;  // `vtspec run --target` name
  ShadowPolicy policy;
};
const std::vector<NamedShadowPolicy>& shadow_targets();
const NamedShadowPolicy* shadow_target_named(const std::string& target);
const char* shadow_target_name(const ShadowPolicy& policy);

}  // namespace vtspec::model::shadow
