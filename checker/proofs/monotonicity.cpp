// Obligation "monotonicity" (SDM Vol. 3A 4.6.1, 4.6.2; Vol. 3C 29.3.3.2): granting a
// permission never adds a fault. Two translations that differ in one permission - the same
// symbolic memory except one entry at an arbitrary address, or one register bit - are
// compared: if the less permissive one succeeds, so does the more permissive one, at the
// same address. Permissions: guest R/W=1, XD=0, U/S=1 (for user-mode accesses: for
// supervisor-mode accesses U/S=1 is a restriction under SMEP/SMAP), CR0.WP=0, CR4.SMEP=0,
// CR4.SMAP=0, a PKRU/IA32_PKRS bit 0; EPT R=1, X=1, and W=1 where R=1 (W without R is a
// misconfiguration, 29.3.3.1).
#include <fmt/format.h>

#include "checker/mutants/access_rights_mutant.hpp"
#include "checker/proofs/ept_unknowns.hpp"
#include "checker/proofs/guest_obligations.hpp"

namespace vtspec::checker {

namespace {

struct GuestGrant {
  const char* name;
  std::uint64_t set = 0, clear = 0;  // entry bits
  bool user_accesses_only = false;
  // Register grants: modify the more permissive controls.
  void (*registers)(spec::PagingControl<S>&, const z3::expr& bit) = nullptr;
};

const GuestGrant kGuestGrants[] = {
    {"entry R/W=1", 1u << 1, 0, false, nullptr},
    {"entry XD=0", 0, std::uint64_t{1} << 63, false, nullptr},
    {"entry U/S=1 (user-mode accesses)", 1u << 2, 0, true, nullptr},
    {"CR0.WP=0", 0, 0, false, [](spec::PagingControl<S>& c, const z3::expr&) { c.cr0_wp = S::truth(false); }},
    {"CR4.SMEP=0", 0, 0, false, [](spec::PagingControl<S>& c, const z3::expr&) { c.cr4_smep = S::truth(false); }},
    {"CR4.SMAP=0", 0, 0, false, [](spec::PagingControl<S>& c, const z3::expr&) { c.cr4_smap = S::truth(false); }},
    {"a PKRU bit 0", 0, 0, false, [](spec::PagingControl<S>& c, const z3::expr& k) { c.pkru = c.pkru & ~z3::shl(S::word(1), k); }},
    {"an IA32_PKRS bit 0", 0, 0, false, [](spec::PagingControl<S>& c, const z3::expr& k) { c.pkrs = c.pkrs & ~z3::shl(S::word(1), k); }},
};

}  // namespace

ObligationResult prove_monotonicity(const ProveOptions& o) {
  ObligationResult r;
  for (unsigned levels : {4u, 5u}) {
    for (const GuestGrant& g : kGuestGrants) {
      const std::string case_name = fmt::format("guest {}-level paging: {}", levels, g.name);
      spec::PagingShape shape;
      shape.levels = levels;
      GuestUnknowns u("g.");
      SymbolicMemory before("memory");
      SymbolicMemory after(before.contents);
      const z3::expr where = S::unknown_word("granted.entry");
      const z3::expr bit = S::unknown_word("granted.bit");
      if (g.set || g.clear) {
        after.patch_address = where;
        after.patch_set = g.set;
        after.patch_clear = g.clear;
      }
      spec::PagingControl<S> granted = u.ctl;
      if (g.registers) g.registers(granted, bit);
      spec::NoObserver none;
      spec::DirectPort<S, SymbolicMemory> port_before{before, none}, port_after{after, none};
      spec::PagingWalk<S> w0 = spec::walk_paging<S>(shape, u.ctl, u.cr3, u.linear, u.access, port_before);
      spec::PagingWalk<S> w1 = spec::walk_paging<S>(shape, granted, u.cr3, u.linear, u.access, port_after);
      mutants::redecide(o.mutation, u.ctl, u.access, w0);
      mutants::redecide(o.mutation, granted, u.access, w1);
      z3::expr hyp = u.well_formed() && z3::ult(bit, S::word(32));
      if (g.user_accesses_only) hyp = hyp && u.access.user;
      const z3::expr claim = z3::implies(w0.translated, w1.translated && w1.physical == w0.physical);
      std::optional<z3::model> m;
      std::string reason;
      const Verdict v = discharge(hyp, claim, o.timeout_ms, m, reason);
      if (v == Verdict::counterexample) {
        Counterexample c;
        c.case_name = case_name;
        // The more permissive state, where the added fault shows.
        spec::PagingShape s = shape;
        GuestUnknowns shown = u;
        shown.ctl = granted;
        shown.to_state(*m, s, c.state, c.access);
        fill_memory(*m, after, c.state);
        c.explanation = fmt::format("granting {} turned a successful access into #PF error code {:#x}", g.name,
                                    eval_u64(*m, w1.error_code));
        r.counterexample = c;
      }
      if (!record_case(r, v, case_name, reason)) return r;
    }
  }
  // EPT grants, for each walk length, with and without execute-only support.
  struct EptGrant { const char* name; std::uint64_t set; bool needs_read; };
  const EptGrant ept_grants[] = {{"EPT R=1", 1, false}, {"EPT W=1 (entry with R=1)", 2, true}, {"EPT X=1", 4, false}};
  for (unsigned levels : {4u, 5u}) {
    for (bool execute_only : {true, false}) {
      for (const EptGrant& g : ept_grants) {
        const std::string case_name = fmt::format("{}-level EPT, execute-only {}: {}", levels, execute_only, g.name);
        spec::EptShape shape;
        shape.levels = levels;
        shape.caps.walk_length_5 = true;
        shape.caps.execute_only = execute_only;
        EptUnknowns u("e.");
        SymbolicMemory before("memory");
        SymbolicMemory after(before.contents);
        const z3::expr where = S::unknown_word("granted.entry");
        after.patch_address = where;
        after.patch_set = g.set;
        spec::EptWalk<S> w0 = spec::walk_ept<S>(shape, u.eptp, u.gpa, u.access, before);
        spec::EptWalk<S> w1 = spec::walk_ept<S>(shape, u.eptp, u.gpa, u.access, after);
        z3::expr hyp = u.well_formed(shape);
        if (g.needs_read) hyp = hyp && S::bit(before.contents(where), 0);
        const z3::expr claim = z3::implies(w0.translated, w1.translated && w1.physical == w0.physical);
        std::optional<z3::model> m;
        std::string reason;
        const Verdict v = discharge(hyp, claim, o.timeout_ms, m, reason);
        if (v == Verdict::counterexample) {
          Counterexample c;
          c.case_name = case_name;
          ept_counterexample_state(*m, u, shape, after, c.state, c.access);
          c.explanation = fmt::format("granting {} turned a successful EPT translation into a fault", g.name);
          r.counterexample = c;
        }
        if (!record_case(r, v, case_name, reason)) return r;
      }
    }
  }
  return r;
}

}  // namespace vtspec::checker
