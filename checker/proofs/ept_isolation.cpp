// Obligation "ept-isolation" (SDM Vol. 3C 29.3.2, 29.3.3): a VMM gives a VM the host region
// R = [r_lo, r_hi) and keeps its EPT tables in T = [t_lo, t_hi), disjoint from R.
// Hypothesis: the EPT reachable from the EPTP is well formed for isolation - the EPTP's
// table lies in T, every present non-leaf entry references a table in T and every leaf maps
// a page that lies wholly in R (entries the walks actually read; everything reachable).
// Claims, for every guest page-table content, control bits and access:
//   * a successful access lands in R;
//   * every guest paging-structure reference (and so every A/D update) is in R;
//   * every EPT entry the translation reads is in T, so no guest write - which lands in R -
//     can change an EPT entry, and the hypothesis survives every guest step.
// Instances: the whole two-dimensional walk with 4-level guest paging and a 4-level EPT; and,
// for 4- and 5-level EPT, the lemma the whole-walk claim rests on - one EPT translation of
// any guest-physical address, for any access, reads only T and yields only R. (Every
// host-physical reference of a 2D walk is the output of such a translation, which the
// "two-dimensional-composition" obligation establishes for 4+4 and 5+5 levels; the whole
// 5+5 walk as one query exceeds the time budget.)
#include <fmt/format.h>

#include "checker/proofs/guest_obligations.hpp"
#include "checker/proofs/isolation_region.hpp"
#include "checker/proofs/ept_unknowns.hpp"
#include "checker/proofs/two_dimensional_setup.hpp"

namespace vtspec::checker {

namespace {


// The isolation invariant for an EPT entry read at `read.level` (29.3.2): when present (any
// of bits 2:0 set), a leaf (level 1, or level 2/3 with bit 7 set) maps a page wholly in R and
// any other entry references a table in T.
z3::expr ept_invariant(const SymbolicMemory::Read& read, const Region& vm, const Region& tables, std::uint64_t frame) {
  const z3::expr& e = read.value;
  const z3::expr present = (e & S::word(7)) != S::word(0);
  const z3::expr leaf = read.level == 1 ? S::truth(true) : read.level <= 3 ? S::bit(e, 7) : S::truth(false);
  const std::uint64_t page = std::uint64_t{1} << (12 + 9 * (read.level - 1));
  return z3::implies(present, z3::ite(leaf, vm.holds(e & S::word(frame & ~(page - 1)), page),
                                      tables.holds(e & S::word(frame), 0x1000)));
}

}  // namespace

ObligationResult prove_ept_isolation(const ProveOptions& o) {
  ObligationResult r;
  for (unsigned ept_levels : {4u, 5u}) {
    const std::string case_name = fmt::format("one translation through a {}-level EPT", ept_levels);
    spec::EptShape shape;
    shape.levels = ept_levels;
    shape.caps.walk_length_5 = true;
    EptUnknowns u("e.");
    SymbolicMemory memory("host");
    spec::EptWalk<S> w = spec::walk_ept<S>(shape, u.eptp, u.gpa, u.access, memory);
    // The mutant skips the translation of a final access (the step a 2D walk ends with).
    if (o.mutation == Mutation::final_access_skips_ept) w.physical = z3::ite(u.final_translation(), u.gpa, w.physical);
    const unsigned m_bits = shape.caps.maxphyaddr;
    const std::uint64_t frame = spec::frame_mask(m_bits);
    Region vm("R"), tables("T");
    z3::expr hypotheses = u.well_formed(shape) && vm.well_formed(m_bits) && tables.well_formed(m_bits) &&
                          vm.disjoint(tables) && tables.holds(u.eptp & S::word(frame), 0x1000);
    z3::expr claim = z3::implies(w.translated, vm.contains(w.physical));
    for (const auto& read : memory.reads) {
      hypotheses = hypotheses && z3::implies(read.active, ept_invariant(read, vm, tables, frame));
      claim = claim && z3::implies(read.active, tables.contains(read.address));
    }
    std::optional<z3::model> m;
    std::string reason;
    const Verdict v = discharge(hypotheses, claim, o.timeout_ms, m, reason);
    if (v == Verdict::counterexample) {
      Counterexample c;
      c.case_name = case_name;
      ept_counterexample_state(*m, u, shape, memory, c.state, c.access);
      c.explanation = fmt::format("R = [{:#x}, {:#x}), EPT tables in [{:#x}, {:#x}); GPA {:#x} -> {} HPA {:#x}",
                                  eval_u64(*m, vm.lo), eval_u64(*m, vm.hi), eval_u64(*m, tables.lo), eval_u64(*m, tables.hi),
                                  eval_u64(*m, u.gpa), eval_bool(*m, w.translated) ? "translated" : "faulted",
                                  eval_u64(*m, w.physical));
      r.counterexample = c;
    }
    if (!record_case(r, v, case_name, reason)) return r;
  }
  for (auto [guest_levels, ept_levels] : {std::pair{4u, 4u}}) {
    const std::string case_name = fmt::format("{}-level guest paging, {}-level EPT", guest_levels, ept_levels);
    TwoDimensionalSetup s(guest_levels, ept_levels);
    const spec::TwoDimensionalWalk<S> two = s.walk(o.mutation);
    const unsigned m_bits = s.ept_shape.caps.maxphyaddr;
    const std::uint64_t frame = spec::frame_mask(m_bits);
    Region vm("R"), tables("T");

    z3::expr hypotheses = s.well_formed() && vm.well_formed(m_bits) && tables.well_formed(m_bits) && vm.disjoint(tables) &&
                          tables.holds(s.ept.eptp & S::word(frame), 0x1000);
    z3::expr claim = z3::implies(two.translated, vm.contains(two.physical));
    for (const auto& read : s.memory.reads) {
      if (read.level == 0) {  // a guest paging-structure entry, at its host-physical address
        claim = claim && z3::implies(read.active, vm.contains(read.address));
        continue;
      }
      hypotheses = hypotheses && z3::implies(read.active, ept_invariant(read, vm, tables, frame));
      claim = claim && z3::implies(read.active, tables.contains(read.address));
    }
    std::optional<z3::model> m;
    std::string reason;
    const Verdict v = discharge(hypotheses, claim, o.timeout_ms, m, reason);
    if (v == Verdict::counterexample) {
      Counterexample c = s.counterexample(*m, case_name);
      c.explanation = fmt::format("R = [{:#x}, {:#x}), EPT tables in [{:#x}, {:#x}); access {} at HPA {:#x}",
                                  eval_u64(*m, vm.lo), eval_u64(*m, vm.hi), eval_u64(*m, tables.lo), eval_u64(*m, tables.hi),
                                  eval_bool(*m, two.translated) ? "translated" : "faulted", eval_u64(*m, two.physical));
      r.counterexample = c;
    }
    if (!record_case(r, v, case_name, reason)) return r;
  }
  return r;
}

}  // namespace vtspec::checker
