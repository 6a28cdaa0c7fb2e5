// Obligation "two-dimensional-composition" (SDM Vol. 3C 29.3.1, 29.3.3): over one symbolic
// host memory holding guest and EPT tables, the two-dimensional walk agrees with the
// composition of two separate walks - the guest walk in guest-physical space (each
// guest-physical word read through an EPT translation) followed by the EPT translation of
// the resulting guest-physical address:
//   * a successful 2D access has the composed walk's host-physical address, guest rights
//     (U/S, R/W, XD) and guest-physical address, and the EPT rights its access needs;
//   * a 2D #PF is the composed guest walk's #PF with the same error code;
//   * if the composed walks succeed and no paging-structure reference of the 2D walk
//     faulted in EPT, the 2D access succeeds.
#include <fmt/format.h>

#include "checker/proofs/guest_obligations.hpp"
#include "checker/proofs/two_dimensional_setup.hpp"

namespace vtspec::checker {

namespace {

// Guest-physical memory as seen through EPT: the word at a guest-physical address is the
// host word at its EPT translation.
struct GuestPhysicalView {
  const spec::EptShape& shape;
  z3::expr eptp;
  SymbolicMemory& host;
  z3::expr read_host(const z3::expr& gpa, unsigned, const z3::expr& active) {
    const spec::EptWalk<S> w = spec::walk_ept<S>(shape, eptp, gpa, spec::EptAccess<S>{}, host);
    return host.read_host(w.physical, 0, active);
  }
};

}  // namespace

ObligationResult prove_two_dimensional_composition(const ProveOptions& o) {
  ObligationResult r;
  for (auto [guest_levels, ept_levels] : {std::pair{4u, 4u}, std::pair{5u, 5u}}) {
    const std::string case_name = fmt::format("{}-level guest paging, {}-level EPT", guest_levels, ept_levels);
    TwoDimensionalSetup s(guest_levels, ept_levels);
    const spec::TwoDimensionalWalk<S> two = s.walk(o.mutation);

    GuestPhysicalView view{s.ept_shape, s.ept.eptp, s.memory};
    spec::NoObserver none;
    spec::DirectPort<S, GuestPhysicalView> port{view, none};
    const spec::PagingWalk<S> guest =
        spec::walk_paging<S>(s.guest_shape, s.guest.ctl, s.guest.cr3, s.guest.linear, s.guest.access, port);
    spec::EptAccess<S> final_access;
    final_access.read = !s.guest.access.write && !s.guest.access.fetch;
    final_access.write = s.guest.access.write;
    final_access.fetch = s.guest.access.fetch;
    final_access.linear_user = guest.rights.user;
    const spec::EptWalk<S> fin = spec::walk_ept<S>(s.ept_shape, s.ept.eptp, guest.physical, final_access, s.memory);
    const z3::expr ept_permits = (!final_access.read || fin.rights.readable) &&
                                 (!final_access.write || fin.rights.writable) &&
                                 (!final_access.fetch || fin.rights.executable);

    const z3::expr success_agrees =
        z3::implies(two.translated, guest.translated && fin.translated && ept_permits && two.physical == fin.physical &&
                                        two.guest.physical == guest.physical && two.guest.rights.user == guest.rights.user &&
                                        two.guest.rights.writable == guest.rights.writable &&
                                        two.guest.rights.exec_disabled == guest.rights.exec_disabled);
    const z3::expr fault_agrees = z3::implies(two.page_fault, guest.page_fault && two.error_code == guest.error_code);
    const z3::expr complete =
        z3::implies(guest.translated && fin.translated && !two.ept_violation && !two.ept_misconfig, two.translated);
    std::optional<z3::model> m;
    std::string reason;
    const Verdict v = discharge(s.well_formed(), success_agrees && fault_agrees && complete, o.timeout_ms, m, reason);
    if (v == Verdict::counterexample) {
      Counterexample c = s.counterexample(*m, case_name);
      const char* part = !eval_bool(*m, success_agrees) ? "success" : !eval_bool(*m, fault_agrees) ? "page-fault" : "completeness";
      c.explanation = fmt::format("{} claim fails: 2D walk {} HPA {:#x}; composed: guest {} GPA {:#x}, EPT {} HPA {:#x}", part,
                                  eval_bool(*m, two.translated) ? "translated" : "faulted", eval_u64(*m, two.physical),
                                  eval_bool(*m, guest.translated) ? "translated" : "faulted", eval_u64(*m, guest.physical),
                                  eval_bool(*m, fin.translated) ? "translated" : "faulted", eval_u64(*m, fin.physical));
      r.counterexample = c;
    }
    if (!record_case(r, v, case_name, reason)) return r;
  }
  return r;
}

}  // namespace vtspec::checker
