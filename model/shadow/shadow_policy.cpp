#include "model/shadow/shadow_policy.hpp"

namespace vtspec::model::shadow {

const char* to_string(SyncPolicy policy) {
  switch (policy) {
    case SyncPolicy::write_protect: return "write-protect";
    case SyncPolicy::unsync_page_tables: return "unsync";
  }
  return "?";
}

const char* to_string(Wp0Policy policy) {
  switch (policy) {
    case Wp0Policy::emulate_writes: return "emulate";
    case Wp0Policy::supervisor_writable_shadow: return "supervisor-writable shadow";
  }
  return "?";
}

std::string to_string(const ShadowPolicy& policy) {
  return std::string(to_string(policy.sync)) + ", wp0: " + to_string(policy.wp0);
}

const std::vector<NamedShadowPolicy>& shadow_targets() {
  static const std::vector<NamedShadowPolicy> list = {
      {"shadow-model", {SyncPolicy::write_protect, Wp0Policy::emulate_writes}},
      {"shadow-model-wp0", {SyncPolicy::write_protect, Wp0Policy::supervisor_writable_shadow}},
      {"shadow-model-unsync", {SyncPolicy::unsync_page_tables, Wp0Policy::emulate_writes}},
      {"shadow-model-unsync-wp0", {SyncPolicy::unsync_page_tables, Wp0Policy::supervisor_writable_shadow}},
  };
  return list;
}

const NamedShadowPolicy* shadow_target_named(const std::string& target) {
  for (const auto& t : shadow_targets())
    if (target == t.target) return &t;
  return nullptr;
}

const char* shadow_target_name(const ShadowPolicy& policy) {
  for (const auto& t : shadow_targets())
    if (t.policy == policy) return t.target;
  return "?";  // shadow_targets() names every combination
}

}  // namespace vtspec::model::shadow
