// Obligation "two-dimensional-composition" (SDM Vol. 3C 29.3.1, 29.3.3, 29.3.5, Table 28-7):
// over one symbolic host memory holding guest and EPT tables - so every EPT entry, and with
// it the EPT rights of every guest paging-structure reference, is free - the
// two-dimensional walk has exactly the outcome of the composition of separate walks: the
// guest walk in guest-physical space, each of its paging-entry reads and accessed/dirty
// updates translated by its own EPT walk with the access the declarative table
// (checker/declarative/ept_reference_access.hpp) gives it, the first EPT fault in walk order
// ending the walk, then the EPT translation of the final guest-physical address.
// Equivalence over the whole outcome, both ways:
//   * success iff success, with the same host-physical and guest-physical addresses and
//     guest rights (U/S, R/W, XD);
//   * #PF iff #PF, with the same error code;
//   * EPT violation iff violation and misconfiguration iff misconfiguration, at the same
//     guest-physical address, with the same qualification in every defined bit and the
//     same implementation-specific bits;
//   * on success the same guest accessed/dirty updates and the same EPT accessed/dirty
//     updates of the final translation.
// EPT A/D updates of the paging-structure references follow from the access each is given
// (proved here and by "ept-access-derivation") and walk_ept ("ept-classification").
#include <fmt/format.h>

#include "checker/declarative/ept_reference_access.hpp"
#include "checker/proofs/guest_obligations.hpp"
#include "checker/proofs/two_dimensional_setup.hpp"

namespace vtspec::checker {

namespace {

// Guest-physical memory as seen through EPT: the word at a guest-physical address is the
// host word at its EPT translation, each reference checked with the declared access.
struct ComposedPort {
  const spec::EptShape& shape;
  z3::expr eptp;
  SymbolicMemory& host;
  // The first EPT fault in walk order (29.3.3), kept here rather than with spec's
  // EptFaultRecord, so that a wrong fault order in spec/ shows as a difference.
  struct {
    z3::expr any = S::truth(false), misconfig = S::truth(false), guest_physical = S::word(0);
    z3::expr qualification = S::word(0), qualification_undefined = S::word(0);
  } fault;

  spec::EptWalk<S> translate(const z3::expr& gpa, const declarative::ReferencePresentation<S>& p, const z3::expr& active) {
    const spec::EptWalk<S> w = spec::walk_ept<S>(shape, eptp, gpa, p.access, host);
    const spec::ExitQualification<S> q = spec::ept_violation_qualification<S>(shape.caps, w, p.origin);
    const z3::expr faults = active && (w.violation || w.misconfig);
    const z3::expr earlier = fault.any;
    fault.misconfig = z3::ite(earlier, fault.misconfig, w.misconfig);
    fault.guest_physical = z3::ite(earlier, fault.guest_physical, gpa);
    fault.qualification = z3::ite(earlier, fault.qualification, q.value);
    fault.qualification_undefined = z3::ite(earlier, fault.qualification_undefined, q.undefined);
    fault.any = earlier || faults;
    return w;
  }
  spec::PortRead<S> read_entry(const z3::expr& gpa, unsigned, const z3::expr& active) {
    const auto w = translate(gpa, declarative::present_paging_structure_reference<S>(declarative::GuestReference::entry_read, eptp), active);
    return {host.read_host(w.physical, 0, active && w.translated), !w.translated};
  }
  z3::expr update_entry_flags(const z3::expr& gpa, unsigned, const z3::expr& active) {
    return !translate(gpa, declarative::present_paging_structure_reference<S>(declarative::GuestReference::flag_update, eptp), active)
                .translated;
  }
};

z3::expr same_levels(const spec::PerLevel<z3::expr>& a, const spec::PerLevel<z3::expr>& b, unsigned levels) {
  z3::expr all = S::truth(true);
  for (unsigned level = 1; level <= levels; ++level) all = all && a[level] == b[level];
  return all;
}

const char* outcome(const z3::model& m, const z3::expr& translated, const z3::expr& page_fault, const z3::expr& violation) {
  return eval_bool(m, translated) ? "translated" : eval_bool(m, page_fault) ? "#PF" : eval_bool(m, violation) ? "EPT violation" : "EPT misconfiguration";
}

}  // namespace

ObligationResult prove_two_dimensional_composition(const ProveOptions& o) {
  ObligationResult r;
  for (auto [guest_levels, ept_levels] : {std::pair{4u, 4u}, std::pair{5u, 5u}}) {
    const std::string case_name = fmt::format("{}-level guest paging, {}-level EPT", guest_levels, ept_levels);
    TwoDimensionalSetup s(guest_levels, ept_levels);
    const spec::TwoDimensionalWalk<S> two = s.walk(o.mutation);

    ComposedPort port{s.ept_shape, s.ept.eptp, s.memory};
    const spec::PagingWalk<S> guest =
        spec::walk_paging<S>(s.guest_shape, s.guest.ctl, s.guest.cr3, s.guest.linear, s.guest.access, port);
    const auto final_access = declarative::present_final_access<S>(s.guest.access.write, s.guest.access.fetch, guest.rights.user,
                                                                   guest.rights.writable, guest.rights.exec_disabled);
    const spec::EptWalk<S> fin = port.translate(guest.physical, final_access, guest.translated);
    const z3::expr translated = guest.translated && fin.translated;
    const z3::expr violation = port.fault.any && !port.fault.misconfig;
    const z3::expr misconfig = port.fault.any && port.fault.misconfig;

    const z3::expr success_agrees =
        two.translated == translated &&
        z3::implies(translated, two.physical == fin.physical && two.guest.physical == guest.physical &&
                                    two.guest.rights.user == guest.rights.user &&
                                    two.guest.rights.writable == guest.rights.writable &&
                                    two.guest.rights.exec_disabled == guest.rights.exec_disabled);
    const z3::expr fault_agrees = two.page_fault == guest.page_fault && z3::implies(guest.page_fault, two.error_code == guest.error_code);
    const z3::expr undefined = two.qualification_undefined | port.fault.qualification_undefined;
    const z3::expr ept_fault_agrees =
        two.ept_violation == violation && two.ept_misconfig == misconfig &&
        z3::implies(port.fault.any, two.guest_physical == port.fault.guest_physical) &&
        z3::implies(violation, ((two.qualification ^ port.fault.qualification) & ~undefined) == S::word(0) &&
                                   two.qualification_undefined == port.fault.qualification_undefined);
    const z3::expr accessed_dirty_agree =
        z3::implies(translated, same_levels(two.guest.sets_accessed, guest.sets_accessed, guest_levels) &&
                                    two.guest.sets_dirty == guest.sets_dirty &&
                                    same_levels(two.final_access.sets_accessed, fin.sets_accessed, ept_levels) &&
                                    two.final_access.sets_dirty == fin.sets_dirty);
    std::optional<z3::model> m;
    std::string reason;
    const Verdict v = discharge(s.well_formed(), success_agrees && fault_agrees && ept_fault_agrees && accessed_dirty_agree,
                                o.timeout_ms, m, reason);
    if (v == Verdict::counterexample) {
      Counterexample c = s.counterexample(*m, case_name);
      const char* part = !eval_bool(*m, success_agrees)  ? "success"
                         : !eval_bool(*m, fault_agrees)  ? "page-fault"
                         : !eval_bool(*m, ept_fault_agrees) ? "EPT-fault"
                                                            : "accessed/dirty";
      c.explanation = fmt::format("{} claim fails: 2D walk {} (HPA {:#x}, qualification {:#x}); composed walks {} (HPA {:#x}, qualification {:#x})",
                                  part, outcome(*m, two.translated, two.page_fault, two.ept_violation), eval_u64(*m, two.physical),
                                  eval_u64(*m, two.qualification), outcome(*m, translated, guest.page_fault, violation),
                                  eval_u64(*m, fin.physical), eval_u64(*m, port.fault.qualification));
      r.counterexample = c;
    }
    if (!record_case(r, v, case_name, reason)) return r;
  }
  return r;
}

}  // namespace vtspec::checker
