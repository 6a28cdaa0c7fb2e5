#include "model/tlb/cached_entry.hpp"

#include <fmt/format.h>

#include "spec/paging_mode.hpp"

namespace vtspec::model {

bool CachedEntry::same_content(const CachedEntry& o) const {
  const auto& a = tags;
  const auto& b = o.tags;
  return kind == o.kind && level == o.level && a.linear_tagged == b.linear_tagged && a.ept_tagged == b.ept_tagged &&
         a.structure == b.structure && a.global == b.global && a.vpid == b.vpid && a.asid == b.asid && a.pcid == b.pcid &&
         a.ep4ta == b.ep4ta && a.base == b.base && a.mask == b.mask && frame == o.frame &&
         rights.user == o.rights.user && rights.writable == o.rights.writable &&
         rights.exec_disabled == o.rights.exec_disabled && rights.protection_key == o.rights.protection_key &&
         dirty == o.dirty && leaf_entry_host == o.leaf_entry_host && guest_frame == o.guest_frame &&
         ept_rights == o.ept_rights && ept_dirty == o.ept_dirty && ept_leaf_host == o.ept_leaf_host &&
         next_table == o.next_table && nested_paging == o.nested_paging &&
         nested_rights.user == o.nested_rights.user && nested_rights.writable == o.nested_rights.writable &&
         nested_rights.exec_disabled == o.nested_rights.exec_disabled;
}

std::string CachedEntry::describe() const {
  std::string tag;
  if (tags.linear_tagged && nested_paging) tag += fmt::format("ASID {} PCID {:#x}", tags.asid, tags.pcid);
  else if (tags.linear_tagged) tag += fmt::format("VPID {} PCID {:#x}", tags.vpid, tags.pcid);
  if (tags.ept_tagged) tag += fmt::format("{}EP4TA {:#x}", tag.empty() ? "" : " ", tags.ep4ta);
  if (tags.global && !tags.structure) tag += " global";
  const char* sizes[] = {"", "4K", "2M", "1G"};
  const std::string rights_text = fmt::format("{}{}{}", rights.user ? "U" : "S", rights.writable ? " RW" : " RO",
                                              rights.exec_disabled ? " XD" : "");
  const std::string ept_text = fmt::format("{}{}{}", ept_rights.read ? "R" : "-", ept_rights.write ? "W" : "-",
                                           ept_rights.execute ? "X" : "-");
  switch (kind) {
    case CacheKind::tlb:
      return fmt::format("TLB {} page {:#x} -> {:#x} [{}{}{}, PK={}] {}", level <= 3 ? sizes[level] : "?", tags.base,
                         frame, rights_text, dirty ? " D" : "",
                         tags.ept_tagged ? ", EPT " + ept_text + (ept_dirty ? " D" : "")
                         : nested_paging ? fmt::format(", nested {}{}{}{}", nested_rights.user ? "U" : "S",
                                                       nested_rights.writable ? " RW" : " RO",
                                                       nested_rights.exec_disabled ? " NX" : "", ept_dirty ? " D" : "")
                                         : "",
                         rights.protection_key, tag);
    case CacheKind::paging_structure:
      return fmt::format("{}-cache region {:#x}/{:#x} -> table {:#x} [{}] {}", spec::level_name(level), tags.base,
                         page_size(), next_table, rights_text, tag);
    case CacheKind::guest_physical:
      return fmt::format("guest-physical {} page {:#x} -> {:#x} [EPT {}{}] {}", level <= 3 ? sizes[level] : "?",
                         tags.base, frame, ept_text, ept_dirty ? " D" : "", tag);
    case CacheKind::ept_structure:
      return fmt::format("EPT {}-cache region {:#x}/{:#x} -> EPT table {:#x} [EPT {}] {}", spec::level_name(level),
                         tags.base, page_size(), next_table, ept_text, tag);
  }
  return "?";
}

}  // namespace vtspec::model
