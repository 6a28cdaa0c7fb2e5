// Obligation "ept-classification": for every EPT entry pattern at every level, every valid
// EPTP (memory type, A/D enable, root) and every access (read/write/fetch, locked
// read-modify-write, paging-structure or final, the linear facts of Table 28-7 bits 9-11),
// spec/ept_walk.hpp with spec/ept_violation_qualification.hpp classifies exactly as the declarative transcription of SDM 29.3.3.1
// (misconfiguration) and 29.3.3.2 (violation) does, with the same qualification in every
// defined bit and the same set of implementation-specific bits, the same host-physical
// address, and the same accessed/dirty effects (29.3.5).
// Structural instances: walk length 4 and 5, and each combination of the capabilities that
// change the rules (execute-only, 2M/1G pages, mode-based execute, advanced exit info).
#include <fmt/format.h>

#include "checker/declarative/ept_translation.hpp"
#include "checker/mutants/ept_mutant.hpp"
#include "checker/proofs/ept_unknowns.hpp"
#include "checker/proofs/guest_obligations.hpp"

namespace vtspec::checker {

namespace {

std::string describe(const z3::model& m, const char* side, const z3::expr& misconfig, const z3::expr& violation,
                     const z3::expr& qual) {
  return fmt::format("{}: {}{}", side,
                     eval_bool(m, misconfig)   ? "misconfiguration"
                     : eval_bool(m, violation) ? "violation"
                                               : "translated",
                     eval_bool(m, violation) ? fmt::format(" qualification {:#x}", eval_u64(m, qual)) : "");
}

}  // namespace

ObligationResult prove_ept_classification(const ProveOptions& o) {
  ObligationResult r;
  // The walk's shape as the model takes it from the EPTP (spec::ept_walk_length): every
  // encoding of bits 5:3 under arbitrary other bits, against Table 25-9. Concrete and
  // exhaustive over the field; the cases below then take the length as structure.
  {
    std::string wrong;
    for (std::uint64_t field = 0; field < 8 && wrong.empty(); ++field)
      for (std::uint64_t other : {0x0ull, 0x6ull, 0x5eull, 0x8000000ull | 0x46, ~0x38ull})
        if (const std::uint64_t eptp = (other & ~0x38ull) | (field << 3);
            spec::ept_walk_length(eptp) != declarative::eptp_page_walk_length(eptp)) {
          wrong = fmt::format("EPTP {:#x}: spec walks {} levels, Table 25-9 gives {}", eptp, spec::ept_walk_length(eptp),
                              declarative::eptp_page_walk_length(eptp));
          break;
        }
    if (!wrong.empty()) {
      Counterexample c;
      c.case_name = "EPTP page-walk length";
      c.explanation = wrong;
      c.document = "# Counterexample to 'ept-classification': " + wrong + "\n";
      r.counterexample = c;
    }
    if (!record_case(r, wrong.empty() ? Verdict::proved : Verdict::counterexample, "EPTP page-walk length (bits 5:3)", wrong))
      return r;
  }
  for (unsigned levels : {4u, 5u}) {
    for (unsigned caps_bits = 0; caps_bits < 32; ++caps_bits) {
      spec::EptShape shape;
      shape.levels = levels;
      shape.caps.walk_length_5 = true;
      shape.caps.execute_only = caps_bits & 1;
      shape.caps.page_2m = caps_bits & 2;
      shape.caps.page_1g = caps_bits & 4;
      shape.caps.mode_based_execute = caps_bits & 8;
      shape.caps.advanced_exit_info = caps_bits & 16;
      const std::string case_name =
          fmt::format("{}-level EPT, execute-only {}, 2M {}, 1G {}, MBEC {}, advanced exit info {}", levels,
                      shape.caps.execute_only, shape.caps.page_2m, shape.caps.page_1g, shape.caps.mode_based_execute,
                      shape.caps.advanced_exit_info);
      EptUnknowns u("e.");
      SymbolicMemory memory("memory");
      spec::EptWalk<S> w = spec::walk_ept<S>(shape, u.eptp, u.gpa, u.access, memory);
      mutants::apply_ept_mutation<S>(o.mutation, w, levels);
      const spec::ExitQualification<S> q = spec::ept_violation_qualification<S>(shape.caps, w, u.origin);
      SymbolicMemory declared_memory(memory.contents);
      const auto d = declarative::translate_guest_physical<S>(levels, shape.caps, u.eptp, u.gpa, u.access, u.origin,
                                                              [&](const z3::expr& a) { return declared_memory.read(a); });
      const z3::expr undefined = q.undefined | d.qualification_undefined;
      z3::expr claim = w.misconfig == d.misconfig && w.violation == d.violation && w.translated == d.translated &&
                       z3::implies(w.translated, w.physical == d.physical) &&
                       ((q.value ^ d.qualification) & ~undefined) == S::word(0) &&
                       q.undefined == d.qualification_undefined && w.sets_dirty == d.sets_dirty;
      for (unsigned level = 1; level <= levels; ++level) claim = claim && w.sets_accessed[level] == d.sets_accessed[level];
      // All accesses; on a counterexample, prefer one among the accesses the final step of a
      // two-dimensional walk makes, which the model can replay.
      std::optional<z3::model> m;
      std::string reason;
      const Verdict v = discharge(u.well_formed(shape), claim, o.timeout_ms, m, reason);
      if (v == Verdict::counterexample) {
        std::optional<z3::model> replayable_model;
        std::string ignored;
        if (discharge(u.well_formed(shape) && u.final_translation(), claim, o.timeout_ms, replayable_model, ignored) ==
            Verdict::counterexample)
          m = replayable_model;
        Counterexample c;
        c.case_name = case_name;
        const bool replayable = ept_counterexample_state(*m, u, shape, memory, c.state, c.access);
        fill_memory(*m, declared_memory, c.state);
        c.explanation = fmt::format("GPA {:#x}: {}; {}{}", eval_u64(*m, u.gpa),
                                    describe(*m, "walker", w.misconfig, w.violation, q.value),
                                    describe(*m, "SDM", d.misconfig, d.violation, d.qualification),
                                    replayable ? "" : " (a paging-structure access: replay is approximate)");
        r.counterexample = c;
      }
      if (!record_case(r, v, case_name, reason)) return r;
    }
  }
  return r;
}

}  // namespace vtspec::checker
