#include "checker/coverage/outcome_classes.hpp"

#include <fmt/format.h>

#include "checker/declarative/ept_translation.hpp"
#include "checker/proofs/counterexample_file.hpp"

namespace vtspec::checker {

const char* family_name(OutcomeClass::Family f) {
  switch (f) {
    case OutcomeClass::page_fault: return "#PF error code";
    case OutcomeClass::ept_violation: return "EPT violation qualification";
    case OutcomeClass::ept_misconfig: return "EPT misconfiguration reason";
    case OutcomeClass::guest_accessed:
    case OutcomeClass::guest_dirty:
    case OutcomeClass::ept_accessed:
    case OutcomeClass::ept_dirty: return "A/D effect";
  }
  return "?";
}

const std::vector<OutcomeClass>& outcome_classes() {
  static const std::vector<OutcomeClass> list = [] {
    std::vector<OutcomeClass> v;
    // #PF: P, RSVD, I/D, PK vary; W/R and U/S follow from the access (SDM 4.7).
    for (auto kind : {spec::AccessKind::read, spec::AccessKind::write, spec::AccessKind::fetch}) {
      for (unsigned cpl : {0u, 3u}) {
        for (unsigned free = 0; free < 16; ++free) {
          std::uint64_t code = (free & 1) | ((free & 2) << 2) | ((free & 4) << 2) | ((free & 8) << 2);
          if (kind == spec::AccessKind::write) code |= 2;
          if (cpl == 3) code |= 4;
          OutcomeClass c{OutcomeClass::page_fault, fmt::format("pf-{}-cpl{}-ec{:#04x}", access_name(kind), cpl, code),
                         fmt::format("#PF with error code {:#x} on a CPL{} {}", code, cpl, access_name(kind)), kind, cpl, code};
          v.push_back(c);
        }
      }
    }
    // EPT violations, one class per qualification pattern of each kind of EPT-checked access
    // (Table 28-7): bits 2:0 and 8:7 identify the access, bits 5:3 are the AND of the
    // entries' R/W/X. Accesses to guest paging-structure entries have bit 7 set and bit 8
    // clear (29.3.3.2).
    struct EptAccessSite {
      const char* name;
      std::uint64_t bits;       // bits 2:0 and 8:7
      std::uint64_t undefined;  // bits either way
      spec::AccessKind kind;    // the guest access (final-translation sites only)
      const char* what;
    };
    static constexpr EptAccessSite sites[] = {
        {"read", 0x181, 0, spec::AccessKind::read, "a read"},
        {"write", 0x182, 0, spec::AccessKind::write, "a write"},
        {"fetch", 0x184, 0, spec::AccessKind::fetch, "a fetch"},
        {"paging-read", 0x081, 0, spec::AccessKind::read, "a read of a guest paging-structure entry (EPTP[6]=0)"},
        // 29.3.5: "If accessed and dirty flags for EPT are enabled, processor accesses to
        // guest paging-structure entries are treated as writes"; bits 0 and 1 are both set.
        {"paging-ad", 0x083, 0, spec::AccessKind::read,
         "a guest paging-structure read or A/D update with EPT A/D enabled (EPTP[6]=1, treated as a write)"},
        // A guest A/D update without EPT A/D is a locked read-modify-write: bit 1 set, bit 0
        // implementation-specific (Table 28-7, note to bit 0).
        {"paging-update", 0x082, 0x1, spec::AccessKind::read,
         "a guest A/D-flag update (locked read-modify-write, EPTP[6]=0; bit 0 either way)"},
    };
    for (const auto& site : sites) {
      for (unsigned perms = 0; perms < 8; ++perms) {
        const std::uint64_t q = site.bits | (perms << 3);
        OutcomeClass c{OutcomeClass::ept_violation, fmt::format("eptv-{}-q{:#05x}", site.name, q),
                       fmt::format("EPT violation with qualification {:#x}{} on {}", q,
                                   site.undefined ? fmt::format(" (bits {:#x} either way)", site.undefined) : "", site.what),
                       site.kind, 0, q};
        c.undefined = site.undefined;
        v.push_back(c);
      }
    }
    v.push_back({OutcomeClass::ept_misconfig, "eptm-write-only", "EPT misconfiguration: write permission without read",
                 spec::AccessKind::read, 0, write_only});
    v.push_back({OutcomeClass::ept_misconfig, "eptm-execute-only-unsupported",
                 "EPT misconfiguration: execute-only entry without the capability", spec::AccessKind::read, 0,
                 execute_only_unsupported});
    v.push_back({OutcomeClass::ept_misconfig, "eptm-memory-type", "EPT misconfiguration: reserved memory type (2, 3, 7)",
                 spec::AccessKind::read, 0, bad_memory_type});
    for (unsigned level = 1; level <= 4; ++level)
      v.push_back({OutcomeClass::ept_misconfig, fmt::format("eptm-reserved-l{}", level),
                   fmt::format("EPT misconfiguration: reserved bit in a level-{} entry", level), spec::AccessKind::read, 0,
                   reserved_bit + level});
    for (unsigned level = 1; level <= 4; ++level) {
      v.push_back({OutcomeClass::guest_accessed, fmt::format("ad-guest-a-l{}", level),
                   fmt::format("the access sets A in the guest level-{} entry", level), spec::AccessKind::read, 0, level});
      v.push_back({OutcomeClass::ept_accessed, fmt::format("ad-ept-a-l{}", level),
                   fmt::format("the access sets A in the level-{} EPT entry (EPTP[6]=1)", level), spec::AccessKind::read, 0,
                   level});
    }
    v.push_back({OutcomeClass::guest_dirty, "ad-guest-d", "the access sets D in the guest leaf", spec::AccessKind::write, 0, 0});
    v.push_back({OutcomeClass::ept_dirty, "ad-ept-d", "the access sets D in the EPT leaf (EPTP[6]=1)", spec::AccessKind::write, 0, 0});
    return v;
  }();
  return list;
}

bool model_outcome_in_class(const OutcomeClass& c, const model::MachineState& state, const model::AccessRequest&,
                            const model::Translation& t) {
  const model::Outcome& o = t.allowed.at(0);
  auto has_update = [&](bool ept, unsigned level, std::uint64_t bit) {
    for (const auto& u : o.required)
      if (u.ept == ept && (level == 0 || u.level == level) && (u.bits & bit)) return true;
    return false;
  };
  switch (c.family) {
    case OutcomeClass::page_fault: return o.kind == model::OutcomeKind::page_fault && o.error_code == c.value;
    case OutcomeClass::ept_violation:
      return o.kind == model::OutcomeKind::ept_violation &&
             (o.qualification & ~o.qualification_undefined & 0xfff) == c.value &&
             (o.qualification_undefined & 0xfff) == c.undefined;
    case OutcomeClass::ept_misconfig: {
      if (o.kind != model::OutcomeKind::ept_misconfig || !state.ept) return false;
      // The misconfigured entry is the last EPT entry the walk read (29.3.3.1).
      const spec::Reference* last = nullptr;
      for (const auto& r : t.trace)
        if (r.kind == spec::ReferenceKind::ept_entry) last = &r;
      if (!last) return false;
      const std::uint64_t e = last->value;
      const unsigned level = last->ept_level;
      const auto caps = state.ept_shape().caps;
      const bool size_ok = (level == 3 && caps.page_1g) || (level == 2 && caps.page_2m);
      const bool maps_page = level == 1 || (size_ok && ((e >> 7) & 1));
      const unsigned type = (e >> 3) & 7;
      if (c.value == write_only) return (e & 3) == 2;
      if (c.value == execute_only_unsupported) return !caps.execute_only && !(e & 1) && (e & 4);
      if (c.value == bad_memory_type) return maps_page && (type == 2 || type == 3 || type == 7);
      return level == c.value - reserved_bit && (e & declarative::ept_reserved_bits(level, maps_page, caps)) != 0;
    }
    case OutcomeClass::guest_accessed: return o.kind == model::OutcomeKind::translated && has_update(false, c.value, 1u << 5);
    case OutcomeClass::guest_dirty: return o.kind == model::OutcomeKind::translated && has_update(false, 0, 1u << 6);
    case OutcomeClass::ept_accessed: return o.kind == model::OutcomeKind::translated && has_update(true, c.value, 1u << 8);
    case OutcomeClass::ept_dirty: return o.kind == model::OutcomeKind::translated && has_update(true, 0, 1u << 9);
  }
  return false;
}

}  // namespace vtspec::checker
