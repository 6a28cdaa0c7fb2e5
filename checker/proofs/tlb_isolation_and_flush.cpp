// Obligation "tlb-isolation-and-flush" over a bounded symbolic TLB: four cached entries with
// arbitrary tags (VPID, PCID, EP4TA, mapping kind, global, paging-structure cache, region).
//   Isolation (SDM 4.10.1, 4.10.2.4, 29.4.2): spec::may_serve_linear lets an entry serve a
//   lookup exactly when the declarative tagging rules do - never for another VPID, never for
//   another PCID unless it is a global TLB entry, never across EP4TAs or mapping kinds - and
//   spec::may_serve_guest_physical only within the current EP4TA with EPT on.
//   Flush completeness (4.10.4.1, 29.4.3): for INVLPG, MOV to CR3, MOV to CR4, MOV to CR0,
//   INVPCID 0-3, INVVPID 0-3, INVEPT 1-2, and for AMD-V VMRUN's TLB_CONTROL 0/1/3/7 and
//   INVLPGA (APM Vol. 2 15.16), every entry the SDM requires the operation to
//   invalidate is removed by spec::removes(spec::required_invalidation(...)), so no later
//   lookup in the invalidated scope can be served by an entry filled before the operation;
//   and no other entry is removed (minimality): the processor may invalidate more, but a
//   model that did would forbid the stale outcomes the SDM still allows through it.
#include <fmt/format.h>

#include "checker/declarative/tlb_rules.hpp"
#include "checker/mutants/tlb_mutant.hpp"
#include "checker/proofs/guest_obligations.hpp"
#include "spec/tlb_invalidation.hpp"

namespace vtspec::checker {

namespace {

constexpr unsigned kEntries = 4;

spec::EntryTags<S> symbolic_entry(unsigned i) {
  const std::string p = fmt::format("tlb[{}].", i);
  auto w = [&](const char* n) { return S::unknown_word((p + n).c_str()); };
  auto b = [&](const char* n) { return S::unknown_bool((p + n).c_str()); };
  spec::EntryTags<S> t;
  t.linear_tagged = b("linear_tagged");
  t.ept_tagged = b("ept_tagged");
  t.structure = b("structure");
  t.global = b("global");
  t.vpid = w("vpid");
  t.asid = w("asid");
  t.pcid = w("pcid");
  t.ep4ta = w("ep4ta");
  t.base = w("base");
  t.mask = w("mask");
  return t;
}

// Architectural widths: VPID 16 bits, PCID 12 bits, EP4TA bits 51:12; an entry has a kind;
// only TLB entries are global; the region's base lies within its mask.
z3::expr well_formed(const spec::EntryTags<S>& t) {
  return (t.vpid & S::word(~0xffffull)) == S::word(0) && (t.asid & S::word(~0xffffffffull)) == S::word(0) && (t.pcid & S::word(~0xfffull)) == S::word(0) &&
         (t.ep4ta & S::word(~spec::bit_range(51, 12))) == S::word(0) && (t.linear_tagged || t.ept_tagged) &&
         !(t.structure && t.global) && (t.base & ~t.mask) == S::word(0);
}

Counterexample tlb_counterexample(const z3::model& m, const spec::EntryTags<S>& t, const std::string& what,
                                  const spec::InvalidationRequest<S>* r, const std::string& op_name) {
  Counterexample c;
  spec::EntryTags<spec::Concrete> e;
  e.linear_tagged = eval_bool(m, t.linear_tagged);
  e.ept_tagged = eval_bool(m, t.ept_tagged);
  e.structure = eval_bool(m, t.structure);
  e.global = eval_bool(m, t.global);
  e.vpid = eval_u64(m, t.vpid);
  e.asid = eval_u64(m, t.asid);
  e.pcid = eval_u64(m, t.pcid);
  e.ep4ta = eval_u64(m, t.ep4ta);
  e.base = eval_u64(m, t.base);
  e.mask = eval_u64(m, t.mask);
  c.tlb_entry = e;
  c.explanation = what;
  c.document = fmt::format(
      "# Counterexample to 'tlb-isolation-and-flush': {}\n"
      "entry: {{ linear_tagged: {}, ept_tagged: {}, structure: {}, global: {}, vpid: {:#x}, asid: {:#x}, pcid: {:#x}, "
      "ep4ta: {:#x}, base: {:#x}, mask: {:#x} }}\n",
      what, e.linear_tagged, e.ept_tagged, e.structure, e.global, e.vpid, e.asid, e.pcid, e.ep4ta, e.base, e.mask);
  if (r) {
    spec::InvalidationRequest<spec::Concrete> q;
    q.kind = r->kind;
    q.type = r->type;
    q.linear = eval_u64(m, r->linear);
    q.pcid = eval_u64(m, r->pcid);
    q.vpid = eval_u64(m, r->vpid);
    q.ep4ta = eval_u64(m, r->ep4ta);
    q.new_value = eval_u64(m, r->new_value);
    q.old_value = eval_u64(m, r->old_value);
    q.current_vpid = eval_u64(m, r->current_vpid);
    q.current_pcid = eval_u64(m, r->current_pcid);
    q.asid = eval_u64(m, r->asid);
    q.current_asid = eval_u64(m, r->current_asid);
    q.pcide = eval_bool(m, r->pcide);
    c.tlb_request = q;
    c.document += fmt::format(
        "operation: {{ name: {}, linear: {:#x}, pcid: {:#x}, vpid: {:#x}, ep4ta: {:#x}, new_value: {:#x}, old_value: {:#x}, "
        "pcide: {}, current_vpid: {:#x}, current_pcid: {:#x}, asid: {:#x}, current_asid: {:#x} }}\n",
        op_name, q.linear, q.pcid, q.vpid, q.ep4ta, q.new_value, q.old_value, q.pcide, q.current_vpid, q.current_pcid,
        q.asid, q.current_asid);
  }
  return c;
}

}  // namespace

ObligationResult prove_tlb_isolation_and_flush(const ProveOptions& o) {
  ObligationResult r;
  // Isolation.
  {
    spec::LookupContext<S> ctx;
    ctx.vpid = S::unknown_word("ctx.vpid");
    ctx.asid = S::unknown_word("ctx.asid");
    ctx.pcid = S::unknown_word("ctx.pcid");
    ctx.ep4ta = S::unknown_word("ctx.ep4ta");
    ctx.ept_active = S::unknown_bool("ctx.ept_active");
    const z3::expr linear = S::unknown_word("lookup.linear");
    for (unsigned i = 0; i < kEntries; ++i) {
      const auto t = symbolic_entry(i);
      const z3::expr claim =
          spec::may_serve_linear<S>(t, ctx, linear) == declarative::tags_allow_use<S>(t, ctx, linear) &&
          z3::implies(spec::may_serve_guest_physical<S>(t, ctx, linear),
                      ctx.ept_active && t.ept_tagged && !t.linear_tagged && t.ep4ta == ctx.ep4ta);
      std::optional<z3::model> m;
      std::string reason;
      const Verdict v = discharge(well_formed(t), claim, o.timeout_ms, m, reason);
      if (v == Verdict::counterexample)
        r.counterexample = tlb_counterexample(*m, t, "an entry serves a lookup the tagging rules forbid (or vice versa)",
                                              nullptr, "");
      if (!record_case(r, v, fmt::format("isolation, entry {}", i), reason)) return r;
    }
  }
  // Flush completeness.
  const declarative::TlbOperation ops[] = {
      {declarative::TlbOperation::invlpg, 0, "INVLPG"},         {declarative::TlbOperation::mov_cr3, 0, "MOV to CR3"},
      {declarative::TlbOperation::mov_cr4, 0, "MOV to CR4"},     {declarative::TlbOperation::mov_cr0, 0, "MOV to CR0"},
      {declarative::TlbOperation::invpcid, 0, "INVPCID type 0"}, {declarative::TlbOperation::invpcid, 1, "INVPCID type 1"},
      {declarative::TlbOperation::invpcid, 2, "INVPCID type 2"}, {declarative::TlbOperation::invpcid, 3, "INVPCID type 3"},
      {declarative::TlbOperation::invvpid, 0, "INVVPID type 0"}, {declarative::TlbOperation::invvpid, 1, "INVVPID type 1"},
      {declarative::TlbOperation::invvpid, 2, "INVVPID type 2"}, {declarative::TlbOperation::invvpid, 3, "INVVPID type 3"},
      {declarative::TlbOperation::invept, 1, "INVEPT type 1"},   {declarative::TlbOperation::invept, 2, "INVEPT type 2"},
      {declarative::TlbOperation::tlb_control, 0, "VMRUN, TLB_CONTROL 0"},
      {declarative::TlbOperation::tlb_control, 1, "VMRUN, TLB_CONTROL 1"},
      {declarative::TlbOperation::tlb_control, 3, "VMRUN, TLB_CONTROL 3"},
      {declarative::TlbOperation::tlb_control, 7, "VMRUN, TLB_CONTROL 7"},
      {declarative::TlbOperation::invlpga, 0, "INVLPGA"},
      {declarative::TlbOperation::vmx_transition, 0, "VM entry or exit, VPIDs disabled"},
      {declarative::TlbOperation::vmx_transition, 1, "VM entry or exit, VPIDs enabled"},
  };
  for (const auto& op : ops) {
    declarative::TlbOperands<S> operands{S::unknown_word("op.linear"), S::unknown_word("op.pcid"),
                                         S::unknown_word("op.vpid"),   S::unknown_word("op.ep4ta"),
                                         S::unknown_word("op.cr3"),    S::unknown_bool("op.pcide"),
                                         S::unknown_word("ctx.vpid"),  S::unknown_word("ctx.pcid"),
                                         S::unknown_word("op.old_cr"), S::unknown_word("op.new_cr"),
                                         S::unknown_word("op.asid"),   S::unknown_word("ctx.asid")};
    spec::InvalidationRequest<S> req;
    req.kind = op.kind == declarative::TlbOperation::invlpg    ? spec::InvalidationKind::invlpg
               : op.kind == declarative::TlbOperation::mov_cr3 ? spec::InvalidationKind::mov_cr3
               : op.kind == declarative::TlbOperation::mov_cr4 ? spec::InvalidationKind::mov_cr4
               : op.kind == declarative::TlbOperation::mov_cr0 ? spec::InvalidationKind::mov_cr0
               : op.kind == declarative::TlbOperation::invpcid ? spec::InvalidationKind::invpcid
               : op.kind == declarative::TlbOperation::invvpid ? spec::InvalidationKind::invvpid
               : op.kind == declarative::TlbOperation::invept  ? spec::InvalidationKind::invept
               : op.kind == declarative::TlbOperation::tlb_control ? spec::InvalidationKind::svm_tlb_control
               : op.kind == declarative::TlbOperation::vmx_transition ? spec::InvalidationKind::vmx_transition
                                                                      : spec::InvalidationKind::invlpga;
    req.vpid_enabled = S::truth(op.kind == declarative::TlbOperation::vmx_transition && op.type == 1);
    req.type = op.type;
    req.linear = operands.linear;
    req.pcid = operands.pcid;
    req.vpid = operands.vpid;
    req.ep4ta = operands.ep4ta;
    const bool control = op.kind == declarative::TlbOperation::mov_cr4 || op.kind == declarative::TlbOperation::mov_cr0;
    req.new_value = control ? operands.new_cr : operands.cr3;
    req.old_value = operands.old_cr;
    req.pcide = operands.pcide;
    req.current_vpid = operands.current_vpid;
    req.current_pcid = operands.current_pcid;
    req.asid = operands.asid;
    req.current_asid = operands.current_asid;
    req.current_ep4ta = S::unknown_word("ctx.ep4ta");
    const spec::InvalidationScope<S> scope = spec::required_invalidation<S>(req);
    z3::expr hyp = (operands.pcid & S::word(~0xfffull)) == S::word(0) && (operands.vpid & S::word(~0xffffull)) == S::word(0) &&
                   (operands.current_pcid & S::word(~0xfffull)) == S::word(0) &&
                   (operands.current_vpid & S::word(~0xffffull)) == S::word(0) &&
                   (operands.asid & S::word(~0xffffffffull)) == S::word(0) &&
                   (operands.current_asid & S::word(~0xffffffffull)) == S::word(0) &&
                   z3::implies(!operands.pcide, operands.current_pcid == S::word(0));
    std::vector<spec::EntryTags<S>> tlb;
    z3::expr claim = S::truth(true);
    for (unsigned i = 0; i < kEntries; ++i) {
      tlb.push_back(symbolic_entry(i));
      hyp = hyp && well_formed(tlb.back());
      // Removed exactly when the SDM requires it: not less (completeness), not more (minimality).
      claim = claim && (mutants::removes<S>(o.mutation, req.kind, scope, tlb.back()) ==
                        declarative::must_invalidate<S>(op, operands, tlb.back()));
    }
    std::optional<z3::model> m;
    std::string reason;
    const Verdict v = discharge(hyp, claim, o.timeout_ms, m, reason);
    if (v == Verdict::counterexample) {
      unsigned wrong = 0;
      bool kept = false;
      for (unsigned i = 0; i < kEntries; ++i) {
        const bool removes = eval_bool(*m, mutants::removes<S>(o.mutation, req.kind, scope, tlb[i]));
        const bool must = eval_bool(*m, declarative::must_invalidate<S>(op, operands, tlb[i]));
        if (removes != must) {
          wrong = i;
          kept = must;
        }
      }
      r.counterexample = tlb_counterexample(
          *m, tlb[wrong],
          kept ? fmt::format("{} leaves entry {} that the SDM requires it to invalidate", op.name, wrong)
               : fmt::format("{} removes entry {}, which the SDM does not require it to invalidate (the stale outcomes it "
                             "allows through that entry would be lost)",
                             op.name, wrong),
          &req, op.name);
    }
    if (!record_case(r, v, fmt::format("flush completeness, {}", op.name), reason)) return r;
  }
  return r;
}

}  // namespace vtspec::checker
