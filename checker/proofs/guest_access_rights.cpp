// Obligation "guest-access-rights": for every content of memory (so every bit of every
// paging-structure entry at every level), every control bit (CR0.WP, CR4.SMEP/SMAP/PKE/PKS,
// EFER.NXE, EFLAGS.AC, PKRU, IA32_PKRS), every access kind and mode, the spec walk
// (spec/paging_walk.hpp) faults exactly when the declarative transcription
// (checker/declarative/linear_translation.hpp + access_rights_table.hpp) says so, with the
// same #PF error code, and otherwise yields the same physical address and writes back the
// same entries' flags (4.8: the A flag of each entry used, the D flag of the page's entry on
// a write) - the A/D update references a two-dimensional walk then has EPT check.
// Structural instances: 4- and 5-level paging, with and without 1-GByte pages, MAXPHYADDR
// 46 and 52.
#include <fmt/format.h>

#include "checker/declarative/linear_translation.hpp"
#include "checker/mutants/access_rights_mutant.hpp"
#include "checker/proofs/guest_obligations.hpp"

namespace vtspec::checker {

namespace {

// The direct port, and which entries the walk asks to update (spec's update_entry_flags calls:
// the A/D update references), by level.
struct UpdateRecordingPort {
  spec::DirectPort<S, SymbolicMemory> direct;
  std::vector<z3::expr> update;  // index = level
  std::vector<z3::expr> address;

  spec::PortRead<S> read_entry(const z3::expr& a, unsigned level, const z3::expr& active) { return direct.read_entry(a, level, active); }
  z3::expr update_entry_flags(const z3::expr& a, unsigned level, const z3::expr& requested) {
    update[level] = update[level] || requested;
    address[level] = S::ite(requested, a, address[level]);
    return S::truth(false);
  }
};

}  // namespace

ObligationResult prove_guest_access_rights(const ProveOptions& o) {
  ObligationResult r;
  for (unsigned levels : {4u, 5u}) {
    for (bool page1gb : {true, false}) {
      for (unsigned maxphyaddr : {46u, 52u}) {
        const std::string case_name = fmt::format("{}-level paging, {} 1-GByte pages, MAXPHYADDR {}", levels,
                                                  page1gb ? "with" : "without", maxphyaddr);
        spec::PagingShape shape;
        shape.levels = levels;
        shape.page1gb = page1gb;
        shape.maxphyaddr = maxphyaddr;
        GuestUnknowns u("g.");
        SymbolicMemory memory("memory");
        spec::NoObserver none;
        UpdateRecordingPort port{{memory, none},
                                 std::vector<z3::expr>(declarative::kTopLevel + 1, S::truth(false)),
                                 std::vector<z3::expr>(declarative::kTopLevel + 1, S::word(0))};
        spec::PagingWalk<S> walk = spec::walk_paging<S>(shape, u.ctl, u.cr3, u.linear, u.access, port);
        mutants::redecide(o.mutation, u.ctl, u.access, walk);
        mutants::redecide_updates(o.mutation, u.access, walk, port.update);

        SymbolicMemory declared_memory(memory.contents);
        const declarative::LinearShape dshape{levels, maxphyaddr, page1gb};
        const auto d = declarative::translate_linear<S>(dshape, u.facts(), u.cr3, u.linear,
                                                        [&](const z3::expr& a) { return declared_memory.read(a); });
        z3::expr claim = walk.page_fault == d.page_fault && walk.translated == !d.page_fault &&
                         !walk.port_fault && walk.error_code == d.error_code &&
                         z3::implies(walk.translated, walk.physical == d.physical);
        z3::expr updates_agree = S::truth(true);
        for (unsigned level = 1; level <= levels; ++level)
          updates_agree = updates_agree && port.update[level] == d.flag_update[level] &&
                          z3::implies(d.flag_update[level], port.address[level] == d.entry_address[level]);
        claim = claim && updates_agree;
        std::optional<z3::model> m;
        std::string reason;
        const Verdict v = discharge(u.well_formed(), claim, o.timeout_ms, m, reason);
        if (v == Verdict::counterexample) {
          Counterexample c;
          c.case_name = case_name;
          u.to_state(*m, shape, c.state, c.access);
          fill_memory(*m, memory, c.state);
          fill_memory(*m, declared_memory, c.state);
          std::string walker_updates, sdm_updates;
          for (unsigned level = levels; level >= 1; --level) {
            if (eval_bool(*m, port.update[level])) walker_updates += fmt::format(" L{}", level);
            if (eval_bool(*m, d.flag_update[level])) sdm_updates += fmt::format(" L{}", level);
          }
          c.explanation = fmt::format(
              "walker: {} error code {:#x}, flag updates at [{} ]; SDM table: {} error code {:#x}, flag updates at [{} ]",
              eval_bool(*m, walk.translated) ? "translated" : "#PF", eval_u64(*m, walk.error_code), walker_updates,
              eval_bool(*m, d.page_fault) ? "#PF" : "translated", eval_u64(*m, d.error_code), sdm_updates);
          r.counterexample = c;
        }
        if (!record_case(r, v, case_name, reason)) return r;
      }
    }
  }
  return r;
}

}  // namespace vtspec::checker
