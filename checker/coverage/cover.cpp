#include "checker/coverage/cover.hpp"
#include "checker/coverage/vm_entry_classes.hpp"
#include "checker/coverage/cover_record.hpp"

#include <fstream>
#include <iterator>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "checker/coverage/outcome_classes.hpp"
#include "checker/declarative/ept_translation.hpp"
#include "checker/coverage/random_baseline.hpp"
#include "checker/proofs/counterexample_file.hpp"
#include "checker/proofs/ept_unknowns.hpp"
#include "checker/proofs/obligation.hpp"
#include "checker/proofs/two_dimensional_setup.hpp"

namespace vtspec::checker {

namespace {

// Why a #PF class cannot occur, when a rule of SDM 4.7 says so directly.
std::string page_fault_reason(const OutcomeClass& c) {
  const bool p = c.value & 1, rsvd = c.value & 8, id = c.value & 16, pk = c.value & 32;
  if (id && c.kind != spec::AccessKind::fetch) return "I/D is set only for instruction fetches (SDM 4.7)";
  if (pk && c.kind == spec::AccessKind::fetch) return "protection keys never restrict instruction fetches (SDM 4.6.2)";
  if (rsvd && !p) return "a reserved-bit violation is reported with P=1 (SDM 4.7)";
  if (pk && (!p || rsvd)) return "PK is reported only for protection violations without a reserved bit (SDM 4.7)";
  if (c.kind == spec::AccessKind::fetch && !id && p && !rsvd)
    return "a protection fault on a fetch needs NXE=1 (XD) or SMEP=1, either of which sets I/D (SDM 4.6.1, 4.7)";
  return "Z3: no machine state and access produce it";
}

std::string ept_reason(const OutcomeClass& c) {
  const unsigned perms = (c.value >> 3) & 7;
  if ((perms & 2) && !(perms & 1)) return "an entry with W=1 and R=0 is a misconfiguration, so no translation has W without R (SDM 29.3.3.1)";
  // Bits 2:0 without the implementation-specific ones: what the access needs (a locked
  // read-modify-write without EPT A/D needs write permission, Table 28-7).
  const unsigned access = c.value & 7;
  const bool allowed = (!(access & 1) || (perms & 1)) && (!(access & 2) || (perms & 2)) && (!(access & 4) || (perms & 4));
  if (allowed) return "the entries permit the access, so it is not a violation (SDM 29.3.3.2)";
  if ((c.undefined & 1) && !(perms & 1))
    return "Z3: a guest A/D update follows the successful read of the same entry through the same EPT entries, so R=1 "
           "(SDM 4.8, 29.3.3.2)";
  return "Z3: no EPT content produces it";
}

// Witnesses read every paging structure from its own 4-KByte frame: vectors stay readable,
// each entry's A/D effect is its own, and the guest tables a replayable EPT witness adds
// (ept_counterexample_state) never share a frame with the ones the witness uses.
z3::expr distinct_frames(const SymbolicMemory& memory) {
  z3::expr all = S::truth(true);
  for (std::size_t i = 0; i < memory.reads.size(); ++i)
    for (std::size_t j = i + 1; j < memory.reads.size(); ++j)
      all = all && z3::implies(memory.reads[i].active && memory.reads[j].active,
                               S::shift_right(memory.reads[i].address, 12u) != S::shift_right(memory.reads[j].address, 12u));
  return all;
}

// The same for a two-dimensional walk, where the EPT walks of the guest's entries share the
// EPT tables: only the guest paging structures get frames of their own.
z3::expr guest_frames_apart(const SymbolicMemory& memory) {
  z3::expr all = S::truth(true);
  for (std::size_t i = 0; i < memory.reads.size(); ++i) {
    if (memory.reads[i].level != 0) continue;  // level 0: a guest paging-structure entry
    for (std::size_t j = 0; j < memory.reads.size(); ++j)
      if (j != i)
        all = all && z3::implies(memory.reads[i].active && memory.reads[j].active,
                                 S::shift_right(memory.reads[i].address, 12u) != S::shift_right(memory.reads[j].address, 12u));
  }
  return all;
}

struct Witness {
  model::MachineState state;
  model::AccessRequest access;
};

// A violation's qualification is in class `c`: the pattern without the bits the SDM leaves
// open, and exactly those bits open (how Outcome::same_result compares qualifications).
z3::expr in_violation_class(const OutcomeClass& c, const z3::expr& qualification, const z3::expr& undefined) {
  return (qualification & ~undefined) == S::word(c.value) && undefined == S::word(c.undefined);
}

// Ask Z3 for a state in class `c`.
Verdict find_witness(const OutcomeClass& c, unsigned timeout_ms, Witness& out, std::string& reason) {
  std::optional<z3::model> m;
  switch (c.family) {
    case OutcomeClass::page_fault:
    case OutcomeClass::guest_accessed:
    case OutcomeClass::guest_dirty: {
      spec::PagingShape shape;
      GuestUnknowns u("c.");
      z3::expr goal = S::truth(true);
      SymbolicMemory memory("memory");
      spec::NoObserver none;
      spec::DirectPort<S, SymbolicMemory> port{memory, none};
      if (c.family == OutcomeClass::page_fault) {
        u.access.write = S::truth(c.kind == spec::AccessKind::write);
        u.access.fetch = S::truth(c.kind == spec::AccessKind::fetch);
        u.access.user = S::truth(c.cpl == 3);
        u.access.implicit = S::truth(false);
      }
      const auto w = spec::walk_paging<S>(shape, u.ctl, u.cr3, u.linear, u.access, port);
      if (c.family == OutcomeClass::page_fault) goal = w.page_fault && w.error_code == S::word(c.value);
      if (c.family == OutcomeClass::guest_accessed) goal = w.translated && w.sets_accessed[static_cast<unsigned>(c.value)];
      if (c.family == OutcomeClass::guest_dirty) goal = w.translated && w.sets_dirty;
      // Witness search: "the class never happens" is the claim refuted by a model.
      const Verdict v = discharge(u.well_formed() && distinct_frames(memory), !goal, timeout_ms, m, reason);
      if (v != Verdict::counterexample) return v;
      u.to_state(*m, shape, out.state, out.access);
      fill_memory(*m, memory, out.state);
      return v;
    }
    case OutcomeClass::ept_violation:
      if (on_guest_paging_structure(c)) {
        // A violation on a guest paging-structure access exists only inside a
        // two-dimensional walk: search the whole walk (4-level guest, 4-level EPT).
        TwoDimensionalSetup setup(4, 4);
        // First one EPT walk of either kind of paging-structure access, formed as the 2D
        // walk forms it (spec::paging_structure_reference): a pattern no such
        // walk yields is unreachable in every two-dimensional walk, and this query is small.
        EptUnknowns alone("c.");
        SymbolicMemory ept_memory("memory");
        z3::expr some = S::truth(false);
        for (bool update : {false, true}) {
          const auto reference = spec::paging_structure_reference<S>(alone.eptp, update);
          const auto one = spec::walk_ept<S>(setup.ept_shape, alone.eptp, alone.gpa, reference.access, ept_memory);
          const auto q = spec::ept_violation_qualification<S>(setup.ept_shape.caps, one, reference.origin);
          some = some || (one.violation && in_violation_class(c, q.value, q.undefined));
        }
        const Verdict single = discharge(alone.well_formed(setup.ept_shape), !some, timeout_ms, m, reason);
        if (single != Verdict::counterexample) return single;
        const spec::TwoDimensionalWalk<S> w = setup.walk(Mutation::none);
        const z3::expr goal = w.ept_violation && in_violation_class(c, w.qualification, w.qualification_undefined);
        const Verdict v = discharge(setup.well_formed() && guest_frames_apart(setup.memory), !goal, timeout_ms, m, reason);
        if (v != Verdict::counterexample) return v;
        const Counterexample found = setup.counterexample(*m, c.id);
        out.state = found.state;
        out.access = found.access;
        return v;
      }
      [[fallthrough]];
    default: {
      spec::EptShape shape;
      shape.caps.execute_only = !(c.family == OutcomeClass::ept_misconfig && c.value == execute_only_unsupported);
      EptUnknowns u("c.");
      SymbolicMemory memory("memory");
      if (c.family == OutcomeClass::ept_violation) {
        u.access.write = S::truth(c.kind == spec::AccessKind::write);
        u.access.fetch = S::truth(c.kind == spec::AccessKind::fetch);
      }
      const auto w = spec::walk_ept<S>(shape, u.eptp, u.gpa, u.access, memory);
      z3::expr goal = S::truth(false);
      const auto q = spec::ept_violation_qualification<S>(shape.caps, w, u.origin);
      if (c.family == OutcomeClass::ept_violation) goal = w.violation && in_violation_class(c, q.value, q.undefined);
      if (c.family == OutcomeClass::ept_accessed) goal = w.translated && w.sets_accessed[static_cast<unsigned>(c.value)];
      if (c.family == OutcomeClass::ept_dirty) goal = w.translated && w.sets_dirty;
      if (c.family == OutcomeClass::ept_misconfig) {
        // The condition holds in the misconfigured entry: the last one read.
        for (unsigned level = shape.levels; level >= 1; --level) {
          const z3::expr e = w.entry[level];
          const z3::expr last = level == 1 ? w.read[level] : w.read[level] && !w.read[level - 1];
          const z3::expr type = S::field(e, 5, 3);
          const bool size_ok = level == 3 || level == 2;
          const z3::expr maps_page = level == 1 ? S::truth(true) : size_ok ? S::bit(e, 7) : S::truth(false);
          z3::expr cond = S::truth(false);
          if (c.value == write_only) cond = !S::bit(e, 0) && S::bit(e, 1);
          if (c.value == execute_only_unsupported) cond = !S::bit(e, 0) && S::bit(e, 2);
          if (c.value == bad_memory_type) cond = maps_page && (type == S::word(2) || type == S::word(3) || type == S::word(7));
          if (c.value > reserved_bit && level == c.value - reserved_bit)
            cond = S::ite(maps_page, S::any(e, declarative::ept_reserved_bits(level, true, shape.caps)),
                          S::any(e, declarative::ept_reserved_bits(level, false, shape.caps)));
          goal = goal || (last && cond);
          if (level == 1) break;
        }
        goal = w.misconfig && goal;
      }
      const Verdict v =
          discharge(u.well_formed(shape) && u.final_translation() && distinct_frames(memory), !goal, timeout_ms, m, reason);
      if (v != Verdict::counterexample) return v;
      ept_counterexample_state(*m, u, shape, memory, out.state, out.access);
      return v;
    }
  }
}

}  // namespace

CoverReport run_cover(const CoverOptions& options) {
  CoverReport report;
  const auto start = std::chrono::steady_clock::now();
  for (const OutcomeClass& c : outcome_classes()) {
    OutcomeClassResult r;
    r.id = c.id;
    r.family = on_guest_paging_structure(c) ? "EPT violation qualification (guest paging-structure access)"
                                            : family_name(c.family);
    r.description = c.description;
    Witness w;
    std::string reason;
    const Verdict v = find_witness(c, options.timeout_ms, w, reason);
    if (v == Verdict::proved) {
      r.status = ClassStatus::unreachable;
      r.detail = c.family == OutcomeClass::page_fault ? page_fault_reason(c)
                 : c.family == OutcomeClass::ept_violation ? ept_reason(c)
                                                         : "Z3: unsatisfiable";
    } else if (v == Verdict::unknown) {
      r.status = ClassStatus::unknown;
      r.detail = reason;
    } else {
      const model::Translation t = model::translate(w.state, w.access);
      r.detail = t.allowed.at(0).describe();
      r.status = model_outcome_in_class(c, w.state, w.access, t) ? ClassStatus::covered : ClassStatus::witness_disagrees;
      if (!options.out_dir.empty()) {
        r.file = fmt::format("{}/{}.yaml", options.out_dir, c.id);
        const std::string text =
            fmt::format("# Coverage witness for outcome class '{}': {}.\n# Generated by `vtspec gen --cover` (Z3).\n"
                        "# Model expectation (canonical outcome): {}\n# Replay: {}\n",
                        c.id, c.description, r.detail, replay_command(r.file, w.access)) +
            state_yaml(w.state, fmt::format("Witness for '{}': {}. Access: {} at {:#x}, CPL {}. Expected: {}.", c.id,
                                            c.description, access_name(w.access.kind), w.access.linear, w.access.cpl,
                                            r.detail));
        if (!write_text_file(r.file, text)) r.file.clear();
      }
    }
    report.classes.push_back(r);
  }
  report.smt_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const RandomHits hits = random_hits(report.smt_seconds, options.seed);
  report.random_samples = hits.samples;
  for (auto& r : report.classes) r.random_hit = hits.ids.count(r.id) != 0;
  // The VM-entry classes (vm_entry_classes.hpp) after the baseline, which generates no VMCSs:
  // its time stays the translation classes' SMT time.
  for (auto& r : cover_vm_entry_checks(options)) {
    r.random_comparable = false;
    report.classes.push_back(std::move(r));
  }
  return report;
}

int print_cover_report(const CoverReport& report, std::FILE* out) {
  unsigned covered = 0, unreachable = 0, unknown = 0, disagree = 0, random_covered = 0;
  std::vector<std::string> random_missed;
  for (const auto& r : report.classes) {
    const char* status = r.status == ClassStatus::covered       ? "covered"
                         : r.status == ClassStatus::unreachable ? "unreachable"
                         : r.status == ClassStatus::unknown     ? "UNKNOWN"
                                                                : "WITNESS DISAGREES";
    std::fprintf(out, "%-36s %-12s %s%s\n", r.id.c_str(), status, r.detail.c_str(),
                 r.status == ClassStatus::covered && r.random_comparable ? (r.random_hit ? "  [random: hit]" : "  [random: MISSED]")
                                                                         : "");
    covered += r.status == ClassStatus::covered;
    unreachable += r.status == ClassStatus::unreachable;
    unknown += r.status == ClassStatus::unknown;
    disagree += r.status == ClassStatus::witness_disagrees;
    if (r.status == ClassStatus::covered && r.random_comparable) {
      random_covered += r.random_hit;
      if (!r.random_hit) random_missed.push_back(r.id);
    }
  }
  const unsigned reachable = covered + disagree;
  unsigned comparable = 0;
  for (const auto& r : report.classes) comparable += r.random_comparable && r.status == ClassStatus::covered;
  std::fprintf(out, "\nclasses: %zu; reachable: %u; covered (Z3 witness replayed on the model): %u (%.0f%%); "
               "unreachable (proved): %u; unknown: %u; witness disagreeing with the model: %u\n",
               report.classes.size(), reachable, covered, reachable ? 100.0 * covered / reachable : 100.0, unreachable,
               unknown, disagree);
  std::fprintf(out, "SMT time %.2fs. Random generation for the same time: %lu samples, %u of %u reachable classes hit; missed:",
               report.smt_seconds, report.random_samples, random_covered, comparable);
  for (const auto& id : random_missed) std::fprintf(out, " %s", id.c_str());
  std::fprintf(out, "\n");
  // Per family, in enumeration order: reachable classes, and how many random generation hit.
  std::vector<std::string> families;
  for (const auto& r : report.classes)
    if (std::find(families.begin(), families.end(), r.family) == families.end()) families.push_back(r.family);
  for (const auto& f : families) {
    unsigned reach = 0, hit = 0;
    std::string missed;
    for (const auto& r : report.classes) {
      if (r.family != f || r.status != ClassStatus::covered) continue;
      ++reach;
      hit += r.random_hit;
      if (!r.random_hit) missed += " " + r.id;
    }
    const bool comparable_family =
        std::any_of(report.classes.begin(), report.classes.end(), [&](const auto& r) { return r.family == f && r.random_comparable; });
    if (!comparable_family) {
      std::fprintf(out, "  %-60s reachable %2u (no random baseline: it generates no VMCSs)\n", f.c_str(), reach);
      continue;
    }
    std::fprintf(out, "  %-60s reachable %2u, random hit %2u%s%s\n", f.c_str(), reach, hit, missed.empty() ? "" : "; missed:",
                 missed.c_str());
  }
  return (unknown == 0 && disagree == 0) ? 0 : 1;
}

int run_cover_cli(const std::string& out_dir, bool check) {
  CoverOptions options;
  options.out_dir = check ? "" : out_dir;
  const CoverReport report = run_cover(options);
  const int status = print_cover_report(report, stdout);
  const std::string record_path = out_dir + "/" + kCoverRecordFile;
  if (!check) {
    std::ofstream(record_path, std::ios::binary | std::ios::trunc) << cover_record(report);
    std::printf("wrote %s\n", record_path.c_str());
    return status;
  }
  std::ifstream in(record_path, std::ios::binary);
  const std::string recorded((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto changes = cover_record_changes(report, recorded);
  for (const auto& c : changes) std::printf("%s\n", c.c_str());
  if (!changes.empty()) {
    std::printf("vtspec gen --cover --check: %zu class(es) changed status against %s; if intended, regenerate with "
                "`vtspec gen --cover --out %s` and commit the record and witnesses\n",
                changes.size(), record_path.c_str(), out_dir.c_str());
    return 1;
  }
  std::printf("vtspec gen --cover --check: %zu classes match %s\n", report.classes.size(), record_path.c_str());
  return status;
}

}  // namespace vtspec::checker
