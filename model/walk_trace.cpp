#include "model/walk_trace.hpp"

#include <fmt/format.h>

namespace vtspec::model {

namespace {
const char* kind_name(spec::AccessKind k) {
  switch (k) {
    case spec::AccessKind::read: return "read";
    case spec::AccessKind::write: return "write";
    case spec::AccessKind::fetch: return "fetch";
  }
  return "?";
}
const char* ept_level_name(unsigned level) {
  switch (level) {
    case 5: return "EPT PML5E";
    case 4: return "EPT PML4E";
    case 3: return "EPT PDPTE";
    case 2: return "EPT PDE";
    case 1: return "EPT PTE";
  }
  return "EPT ?";
}
}  // namespace

std::string decode_guest_entry(std::uint64_t e, unsigned level, unsigned maxphyaddr) {
  using spec::Concrete;
  namespace p = spec::pte;
  if (!Concrete::bit(e, p::present)) return "P=0 (not present)";
  std::string s = "P";
  s += Concrete::bit(e, p::writable) ? " RW" : " RO";
  s += Concrete::bit(e, p::user) ? " U" : " S";
  if (Concrete::bit(e, p::accessed)) s += " A";
  const bool large = level >= 2 && level <= 3 && Concrete::bit(e, p::page_size);
  if (level == 1 || large) {
    if (Concrete::bit(e, p::dirty)) s += " D";
    if (Concrete::bit(e, p::global)) s += " G";
    s += fmt::format(" PK={}", Concrete::field(e, 62, p::protection_key_lo));
  }
  if (level >= 2 && Concrete::bit(e, p::page_size)) s += " PS";
  if (Concrete::bit(e, p::execute_disable)) s += " XD";
  s += fmt::format(" -> {:#x}", e & spec::frame_mask(maxphyaddr));
  return s;
}

std::string decode_ept_entry(std::uint64_t e, unsigned level, unsigned maxphyaddr) {
  using spec::Concrete;
  namespace q = spec::epte;
  if ((e & 7) == 0 && !Concrete::bit(e, q::user_execute)) return "---  (not present)";
  std::string s;
  s += Concrete::bit(e, q::read) ? 'R' : '-';
  s += Concrete::bit(e, q::write) ? 'W' : '-';
  s += Concrete::bit(e, q::execute) ? 'X' : '-';
  if (Concrete::bit(e, q::user_execute)) s += " XU";
  const bool leaf = level == 1 || ((level == 2 || level == 3) && Concrete::bit(e, q::page_size));
  if (leaf) s += fmt::format(" MT={}", Concrete::field(e, 5, q::memory_type_lo));
  if (leaf && Concrete::bit(e, q::ignore_pat)) s += " IPAT";
  if (level >= 2 && Concrete::bit(e, q::page_size)) s += " PS";
  if (Concrete::bit(e, q::accessed)) s += " A";
  if (leaf && Concrete::bit(e, q::dirty)) s += " D";
  s += fmt::format(" -> {:#x}", e & spec::frame_mask(maxphyaddr));
  return s;
}

std::vector<TraceRow> trace_rows(const MachineState& state, const Translation& t) {
  const unsigned m = state.features.maxphyaddr;
  std::vector<TraceRow> rows;
  for (const auto& r : t.trace) {
    TraceRow row{r, {}, {}};
    switch (r.kind) {
      case spec::ReferenceKind::guest_entry:
        row.structure = fmt::format("guest {}", spec::level_name(r.guest_level));
        row.decoded = decode_guest_entry(r.value, r.guest_level, m);
        break;
      case spec::ReferenceKind::guest_entry_update:
        row.structure = fmt::format("guest {} A/D write", spec::level_name(r.guest_level));
        row.decoded = "(locked update)";
        break;
      case spec::ReferenceKind::ept_entry:
        row.structure = r.guest_level
                            ? fmt::format("{} for {}", ept_level_name(r.ept_level), spec::level_name(r.guest_level))
                            : fmt::format("{} for data", ept_level_name(r.ept_level));
        row.decoded = decode_ept_entry(r.value, r.ept_level, m);
        break;
      case spec::ReferenceKind::nested_entry:  // nested page tables have the guest format (APM Vol. 2 15.25.5)
        row.structure = r.guest_level ? fmt::format("nested {} for {}", spec::level_name(r.ept_level), spec::level_name(r.guest_level))
                                      : fmt::format("nested {} for data", spec::level_name(r.ept_level));
        row.decoded = decode_guest_entry(r.value, r.ept_level, m);
        break;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string format_walk(const MachineState& state, const AccessRequest& req, const Translation& t) {
  std::string out = fmt::format("{} {} at linear {:#x}, CPL {}{}; {}-level guest paging{}\n", kind_name(req.kind),
                                req.implicit_supervisor ? "(implicit supervisor)" : "", req.linear, req.cpl, "",
                                state.paging_levels(),
                                state.npt ? fmt::format(", {}-level nested paging", state.nested_mode().levels)
                                : t.two_dimensional ? fmt::format(", {}-level EPT", state.ept_shape().levels) : "");
  out += fmt::format("{:>3}  {:<24} {:<18} {:<18} {:<18}  {}\n", "#", "structure", "guest-physical", "host-physical",
                     "entry", "decoded");
  unsigned n = 0;
  for (const TraceRow& row : trace_rows(state, t)) {
    const spec::Reference& r = row.reference;
    out += fmt::format("{:>3}  {:<24} {:<18} {:<18} {:#018x}  {}\n", ++n, row.structure,
                       r.kind == spec::ReferenceKind::ept_entry || t.two_dimensional ? fmt::format("{:#x}", r.guest_physical) : "-",
                       fmt::format("{:#x}", r.physical), r.value, row.decoded);
  }
  out += fmt::format("{} memory references\n", t.references);
  const auto& w = t.guest_walk;
  if (w.reached_leaf) {
    out += fmt::format("guest rights: {} {} {}{}\n", w.rights.user ? "user" : "supervisor",
                       w.rights.writable ? "writable" : "read-only", w.rights.exec_disabled ? "no-execute" : "executable",
                       (state.regs.cr4 & (cr4::pke | cr4::pks)) ? fmt::format(" key {}", w.rights.protection_key) : "");
  }
  out += t.allowed.size() == 1 ? "verdict:\n" : fmt::format("verdict: {} allowed outcomes\n", t.allowed.size());
  for (const auto& o : t.allowed) {
    out += fmt::format("  {}\n", o.describe());
    for (const auto& u : o.required)
      out += fmt::format("    sets {}{} in {} entry at {:#x}\n", (u.bits & 0x20 && !u.ept) || (u.bits & 0x100 && u.ept) ? "A" : "",
                         (u.bits & 0x40 && !u.ept) || (u.bits & 0x200 && u.ept) ? "D" : "", u.ept ? "EPT" : "guest", u.physical);
    for (const auto& u : o.permitted) {
      bool required = false;
      for (const auto& r : o.required) required |= r.physical == u.physical && r.bits == u.bits;
      if (!required) out += fmt::format("    may set A in {} entry at {:#x} (SDM 4.8 / 29.3.5 leave it open)\n", u.ept ? "EPT" : "guest", u.physical);
    }
  }
  return out;
}

}  // namespace vtspec::model
