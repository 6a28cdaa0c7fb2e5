// Obligation "ept-access-derivation" (SDM Vol. 3C 29.3.3.2, 29.3.5, Table 28-7): the access
// kind and origin that spec/ept_guest_reference.hpp derives for each guest-physical
// reference of a two-dimensional walk - a guest paging-entry read, a guest accessed/dirty
// update, the final access - equal the declarative table
// (checker/declarative/ept_reference_access.hpp), for every EPTP (EPT A/D on or off) and
// every guest access and linear rights. "ept-classification" takes the access as a free
// input; this obligation closes the derivation of that input.
#include <fmt/format.h>

#include "checker/declarative/ept_reference_access.hpp"
#include "checker/mutants/two_dimensional_mutant.hpp"
#include "checker/proofs/guest_obligations.hpp"

namespace vtspec::checker {

namespace {

z3::expr same(const spec::EptReference<S>& a, const declarative::ReferencePresentation<S>& d) {
  return a.access.read == d.access.read && a.access.write == d.access.write && a.access.fetch == d.access.fetch &&
         a.access.linear_user == d.access.linear_user && a.origin.linear_valid == d.origin.linear_valid &&
         a.origin.to_final_translation == d.origin.to_final_translation &&
         a.origin.read_modify_write == d.origin.read_modify_write &&
         a.origin.linear_writable == d.origin.linear_writable &&
         a.origin.linear_exec_disabled == d.origin.linear_exec_disabled;
}

std::string describe(const z3::model& m, const spec::EptReference<S>& a) {
  return fmt::format("R{} W{} X{} rmw{} final{}", eval_bool(m, a.access.read), eval_bool(m, a.access.write),
                     eval_bool(m, a.access.fetch), eval_bool(m, a.origin.read_modify_write),
                     eval_bool(m, a.origin.to_final_translation));
}

}  // namespace

ObligationResult prove_ept_access_derivation(const ProveOptions& o) {
  ObligationResult r;
  auto& ctx = S::context();
  const z3::expr eptp = ctx.bv_const("d.eptp", 64);
  const auto classify = mutants::paging_structure_classifier<S>(o.mutation);
  for (auto [kind, name] : {std::pair{declarative::GuestReference::entry_read, "guest paging-entry read"},
                            std::pair{declarative::GuestReference::flag_update, "guest accessed/dirty update"}}) {
    const spec::EptReference<S> derived = classify(eptp, kind == declarative::GuestReference::flag_update);
    const auto declared = declarative::present_paging_structure_reference<S>(kind, eptp);
    std::optional<z3::model> m;
    std::string reason;
    const Verdict v = discharge(S::truth(true), same(derived, declared), o.timeout_ms, m, reason);
    if (v == Verdict::counterexample) {
      Counterexample c;
      c.case_name = name;
      c.document = fmt::format("EPTP {:#x} (EPT A/D {}): spec {}, declarative R{} W{} rmw{}\n", eval_u64(*m, eptp),
                               eval_bool(*m, S::bit(eptp, 6)), describe(*m, derived),
                               eval_bool(*m, declared.access.read), eval_bool(*m, declared.access.write),
                               eval_bool(*m, declared.origin.read_modify_write));
      c.explanation = c.document;
      r.counterexample = c;
    }
    if (!record_case(r, v, name, reason)) return r;
  }
  GuestUnknowns g("d.");
  spec::CombinedRights<S> rights;
  rights.user = ctx.bool_const("d.user");
  rights.writable = ctx.bool_const("d.writable");
  rights.exec_disabled = ctx.bool_const("d.xd");
  const spec::EptReference<S> derived = spec::final_translation_reference<S>(g.access, rights);
  const auto declared =
      declarative::present_final_access<S>(g.access.write, g.access.fetch, rights.user, rights.writable, rights.exec_disabled);
  std::optional<z3::model> m;
  std::string reason;
  const Verdict v = discharge(g.well_formed(), same(derived, declared), o.timeout_ms, m, reason);
  if (v == Verdict::counterexample) {
    Counterexample c;
    c.case_name = "final access";
    c.document = fmt::format("spec {}\n", describe(*m, derived));
    c.explanation = c.document;
    r.counterexample = c;
  }
  record_case(r, v, "final access", reason);
  return r;
}

}  // namespace vtspec::checker
