// Obligations "npt-composition" and "npt-isolation": AMD nested paging (AMD64 APM Vol. 2
// 15.25.5, 15.25.6), the counterparts of "two-dimensional-composition" and "ept-isolation".
//
// npt-composition: over one symbolic host memory holding the guest's page tables and the
// nested page tables - so every nested entry, and with it the nested rights of every guest
// page-table reference, is free - spec::svm::walk_nested_paging has exactly the outcome of
// the composition of separate walks: the guest walk in guest-physical space, each of its
// entry reads and A/D updates translated by its own nested walk (spec's IA-32e walk, whose
// own rules "guest-access-rights" proves) with the access the declarative table
// (checker/declarative/nested_paging.hpp) gives it, the first nested fault in walk order
// ending the access, then the nested translation of the final guest-physical address.
// Equivalence over the whole outcome: success and host-physical address; guest #PF and its
// error code; #VMEXIT(NPF), EXITINFO1 and EXITINFO2; the guest's and the final nested walk's
// A/D updates.
//
// npt-isolation: a VMM gives the guest host region R and keeps its nested tables in T,
// disjoint from R; every present non-leaf nested entry references a table in T and every
// leaf maps a page wholly in R. Then a successful access lands in R, every guest page-table
// reference is in R, and every nested entry read is in T - so no guest write changes a nested
// table and the hypothesis survives every guest step.
#include <fmt/format.h>

#include "checker/declarative/nested_paging.hpp"
#include "checker/mutants/nested_paging_mutant.hpp"
#include "checker/proofs/guest_obligations.hpp"
#include "checker/proofs/isolation_region.hpp"
#include "checker/proofs/counterexample_file.hpp"
#include "checker/proofs/guest_unknowns.hpp"

namespace vtspec::checker {

namespace {

struct NestedSetup {
  spec::PagingShape guest_shape;
  spec::svm::NestedPagingMode mode;
  GuestUnknowns guest{"g."};
  z3::expr ncr3 = S::unknown_word("n.ncr3");
  SymbolicMemory memory{"host"};

  // MAXPHYADDR 36, as for the EPT obligations: the rules are uniform in M, and fewer free
  // address bits keep the whole-walk queries small.
  NestedSetup(unsigned guest_levels, unsigned nested_levels, bool nxe) {
    guest_shape.levels = guest_levels;
    guest_shape.maxphyaddr = 36;
    mode.levels = nested_levels;
    mode.maxphyaddr = 36;
    mode.nxe = nxe;
  }
  z3::expr well_formed() const { return guest.well_formed(); }
  spec::svm::NestedPagingWalk<S> walk(Mutation m) {
    return mutants::walk_nested_paging_mutant<S>(m, guest_shape, mode, guest.ctl, ncr3, guest.cr3, guest.linear,
                                                 guest.access, memory);
  }
  Counterexample counterexample(const z3::model& m, const std::string& case_name) const {
    Counterexample c;
    c.case_name = case_name;
    guest.to_state(m, guest_shape, c.state, c.access);
    fill_memory(m, memory, c.state);
    c.npt = NptCounterexample{mode.levels, mode.maxphyaddr, mode.nxe, eval_u64(m, ncr3)};
    return c;
  }
  // The written counterexample: the nested regime, then the guest state and every memory word
  // read. The state schema has no nested-paging section yet, so the replay is
  // spec::svm::walk_nested_paging over this memory (checker/proofs/tests/mutation_test.cpp),
  // not `vtspec walk`.
  static void document(Counterexample& c, const std::string& obligation) {
    c.document = fmt::format(
        "# Counterexample to '{}', case: {}\n# {}\n# nested paging: {{ ncr3: {:#x}, levels: {}, host_nxe: {}, maxphyaddr: {} }}\n"
        "# access: {} at {:#x}, CPL {}\n# Replay: spec::svm::walk_nested_paging over the memory below (no CLI replay yet)\n",
        obligation, c.case_name, c.explanation, c.npt->ncr3, c.npt->nested_levels, c.npt->nested_nxe, c.npt->maxphyaddr,
        access_name(c.access.kind), c.access.linear, c.access.cpl);
    c.document += state_yaml(c.state, "guest registers and host memory of an npt counterexample");
  }
};

// The guest walk's view of memory through separate nested walks, each reference checked
// with the declared access; the first nested fault in walk order is kept here, apart from
// spec's NestedFaultRecord, so a wrong fault order in spec/ shows as a difference.
struct ComposedNestedPort {
  const spec::svm::NestedPagingMode& mode;
  z3::expr ncr3;
  SymbolicMemory& host;
  struct {
    z3::expr any = S::truth(false), guest_physical = S::word(0), exit_info1 = S::word(0);
  } fault;

  spec::PagingWalk<S> translate(const z3::expr& gpa, declarative::NestedReference ref, const z3::expr& active) {
    struct Gated {
      SymbolicMemory& host;
      z3::expr active;
      spec::PortRead<S> read_entry(const z3::expr& a, unsigned level, const z3::expr& walking) {
        return {host.read_host(a, level, walking && active), S::truth(false)};
      }
      z3::expr update_entry_flags(const z3::expr&, unsigned, const z3::expr&) { return S::truth(false); }
    } port{host, active};
    const spec::PagingWalk<S> w = spec::walk_paging<S>(mode.shape(), declarative::nested_walk_control<S>(mode.nxe), ncr3, gpa,
                                                       declarative::nested_reference_access<S>(ref), port);
    const bool final_address = ref != declarative::NestedReference::guest_table_read &&
                               ref != declarative::NestedReference::guest_table_update;
    const z3::expr first = active && w.page_fault && !fault.any;
    fault.guest_physical = z3::ite(first, gpa, fault.guest_physical);
    fault.exit_info1 = z3::ite(first, declarative::npf_exit_info1<S>(w.error_code, final_address), fault.exit_info1);
    fault.any = fault.any || first;
    return w;
  }
  spec::PortRead<S> read_entry(const z3::expr& gpa, unsigned, const z3::expr& active) {
    const auto w = translate(gpa, declarative::NestedReference::guest_table_read, active);
    return {host.read_host(w.physical, 0, active && w.translated), !w.translated};
  }
  z3::expr update_entry_flags(const z3::expr& gpa, unsigned, const z3::expr& active) {
    return !translate(gpa, declarative::NestedReference::guest_table_update, active).translated;
  }
};

z3::expr same_levels(const spec::PerLevel<z3::expr>& a, const spec::PerLevel<z3::expr>& b, unsigned levels) {
  z3::expr all = S::truth(true);
  for (unsigned level = 1; level <= levels; ++level) all = all && a[level] == b[level];
  return all;
}

const char* outcome(const z3::model& m, const z3::expr& translated, const z3::expr& page_fault) {
  return eval_bool(m, translated) ? "translated" : eval_bool(m, page_fault) ? "#PF" : "#VMEXIT(NPF)";
}

}  // namespace

ObligationResult prove_npt_composition(const ProveOptions& o) {
  ObligationResult r;
  struct Case { unsigned guest, nested; bool nxe; };
  for (const Case k : {Case{4, 4, true}, Case{4, 4, false}}) {
    const std::string case_name =
        fmt::format("{}-level guest paging, {}-level nested paging, host EFER.NXE = {}", k.guest, k.nested, k.nxe ? 1 : 0);
    NestedSetup s(k.guest, k.nested, k.nxe);
    const spec::svm::NestedPagingWalk<S> two = s.walk(o.mutation);

    ComposedNestedPort port{s.mode, s.ncr3, s.memory, {}};
    const spec::PagingWalk<S> guest =
        spec::walk_paging<S>(s.guest_shape, s.guest.ctl, s.guest.cr3, s.guest.linear, s.guest.access, port);
    const auto final_ref = [&] {
      // The final reference's kind is the guest access's (one concrete row per kind).
      return z3::ite(s.guest.access.write, S::word(1), z3::ite(s.guest.access.fetch, S::word(2), S::word(0)));
    }();
    // One nested walk per final kind, selected by the access (the table is concrete per row).
    ComposedNestedPort read_port = port, write_port = port, fetch_port = port;
    const auto fin_read = read_port.translate(guest.physical, declarative::NestedReference::final_read, guest.translated);
    const auto fin_write = write_port.translate(guest.physical, declarative::NestedReference::final_write, guest.translated);
    const auto fin_fetch = fetch_port.translate(guest.physical, declarative::NestedReference::final_fetch, guest.translated);
    auto pick = [&](const z3::expr& rd, const z3::expr& wr, const z3::expr& fe) {
      return z3::ite(final_ref == S::word(1), wr, z3::ite(final_ref == S::word(2), fe, rd));
    };
    const z3::expr fin_translated = pick(fin_read.translated, fin_write.translated, fin_fetch.translated);
    const z3::expr fin_physical = pick(fin_read.physical, fin_write.physical, fin_fetch.physical);
    const z3::expr npf = pick(read_port.fault.any, write_port.fault.any, fetch_port.fault.any);
    const z3::expr exit_info1 = pick(read_port.fault.exit_info1, write_port.fault.exit_info1, fetch_port.fault.exit_info1);
    const z3::expr exit_info2 =
        pick(read_port.fault.guest_physical, write_port.fault.guest_physical, fetch_port.fault.guest_physical);
    z3::expr fin_sets_dirty = pick(fin_read.sets_dirty, fin_write.sets_dirty, fin_fetch.sets_dirty);
    z3::expr fin_accessed = S::truth(true);
    for (unsigned level = 1; level <= k.nested; ++level)
      fin_accessed = fin_accessed && two.final_access.sets_accessed[level] ==
                                         pick(fin_read.sets_accessed[level], fin_write.sets_accessed[level],
                                              fin_fetch.sets_accessed[level]);
    const z3::expr translated = guest.translated && fin_translated;

    const z3::expr success_agrees =
        two.translated == translated && z3::implies(translated, two.physical == fin_physical &&
                                                                    two.guest.physical == guest.physical);
    const z3::expr fault_agrees =
        two.page_fault == guest.page_fault && z3::implies(guest.page_fault, two.error_code == guest.error_code);
    const z3::expr npf_agrees = two.nested_page_fault == npf &&
                                z3::implies(npf, two.exit_info1 == exit_info1 && two.exit_info2 == exit_info2);
    const z3::expr accessed_dirty_agree =
        z3::implies(translated, same_levels(two.guest.sets_accessed, guest.sets_accessed, k.guest) &&
                                    two.guest.sets_dirty == guest.sets_dirty && fin_accessed &&
                                    two.final_access.sets_dirty == fin_sets_dirty);
    std::optional<z3::model> m;
    std::string reason;
    const Verdict v = discharge(s.well_formed(), success_agrees && fault_agrees && npf_agrees && accessed_dirty_agree,
                                o.timeout_ms, m, reason);
    if (v == Verdict::counterexample) {
      Counterexample c = s.counterexample(*m, case_name);
      const char* part = !eval_bool(*m, success_agrees) ? "success"
                         : !eval_bool(*m, fault_agrees) ? "page-fault"
                         : !eval_bool(*m, npf_agrees)   ? "nested-page-fault"
                                                        : "accessed/dirty";
      c.explanation = fmt::format(
          "{} claim fails: nested walk {} (HPA {:#x}, EXITINFO1 {:#x}, EXITINFO2 {:#x}); composed walks {} (HPA {:#x}, "
          "EXITINFO1 {:#x}, EXITINFO2 {:#x})",
          part, outcome(*m, two.translated, two.page_fault), eval_u64(*m, two.physical), eval_u64(*m, two.exit_info1),
          eval_u64(*m, two.exit_info2), outcome(*m, translated, guest.page_fault), eval_u64(*m, fin_physical),
          eval_u64(*m, exit_info1), eval_u64(*m, exit_info2));
      NestedSetup::document(c, "npt-composition");
      r.counterexample = c;
    }
    if (!record_case(r, v, case_name, reason)) return r;
  }
  return r;
}

namespace {


// The isolation invariant of a nested entry read at `level` (long-mode format, APM Vol. 2
// 5.3): when present (bit 0), a leaf (level 1, or level 2/3 with PS = bit 7) maps a page
// wholly in R and any other entry references a table in T.
z3::expr nested_invariant(const SymbolicMemory::Read& read, const Region& vm, const Region& tables, std::uint64_t frame) {
  const z3::expr& e = read.value;
  const z3::expr present = S::bit(e, 0);
  const z3::expr leaf = read.level == 1 ? S::truth(true) : read.level <= 3 ? S::bit(e, 7) : S::truth(false);
  const std::uint64_t page = std::uint64_t{1} << (12 + 9 * (read.level - 1));
  return z3::implies(present, z3::ite(leaf, vm.holds(e & S::word(frame & ~(page - 1)), page),
                                      tables.holds(e & S::word(frame), 0x1000)));
}

}  // namespace

ObligationResult prove_npt_isolation(const ProveOptions& o) {
  ObligationResult r;
  const std::string case_name = "4-level guest paging, 4-level nested paging";
  NestedSetup s(4, 4, true);
  const spec::svm::NestedPagingWalk<S> two = s.walk(o.mutation);
  const std::uint64_t frame = spec::frame_mask(s.mode.maxphyaddr);
  Region vm("R"), tables("T");
  z3::expr hypotheses = s.well_formed() && vm.well_formed(s.mode.maxphyaddr) && tables.well_formed(s.mode.maxphyaddr) &&
                        vm.disjoint(tables) && tables.holds(s.ncr3 & S::word(frame), 0x1000);
  z3::expr claim = z3::implies(two.translated, vm.contains(two.physical));
  for (const auto& read : s.memory.reads) {
    if (read.level == 0) {  // a guest page-table entry, at its host-physical address
      claim = claim && z3::implies(read.active, vm.contains(read.address));
      continue;
    }
    hypotheses = hypotheses && z3::implies(read.active, nested_invariant(read, vm, tables, frame));
    claim = claim && z3::implies(read.active, tables.contains(read.address));
  }
  std::optional<z3::model> m;
  std::string reason;
  const Verdict v = discharge(hypotheses, claim, o.timeout_ms, m, reason);
  if (v == Verdict::counterexample) {
    Counterexample c = s.counterexample(*m, case_name);
    c.explanation = fmt::format("R = [{:#x}, {:#x}), nested tables in [{:#x}, {:#x}); access {} at HPA {:#x}",
                                eval_u64(*m, vm.lo), eval_u64(*m, vm.hi), eval_u64(*m, tables.lo), eval_u64(*m, tables.hi),
                                eval_bool(*m, two.translated) ? "translated" : "faulted", eval_u64(*m, two.physical));
    NestedSetup::document(c, "npt-isolation");
    r.counterexample = c;
  }
  record_case(r, v, case_name, reason);
  return r;
}

}  // namespace vtspec::checker
