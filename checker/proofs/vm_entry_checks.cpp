// Obligation "vm-entry-checks": on each CPU profile (model/vmx/vmx_profiles.hpp), for every
// value of every VMCS field (and of one MSR-load entry), each check of spec/vmx's table
// fails exactly when its independent transcription (checker/declarative/vm_entry_rules.hpp,
// vm_entry_guest_rules.hpp) says VM entry fails; and the outcome rule gives the outcome
// kinds 27.2-27.4 give, for every combination of failing classes. Every row of the table
// must have a transcription. A counterexample is a vtspec/vmx-entry/1 file.
#include <fmt/format.h>

#include <map>

#include "checker/declarative/vm_entry_guest_rules.hpp"
#include "checker/mutants/vm_entry_mutant.hpp"
#include "checker/proofs/guest_obligations.hpp"
#include "model/vmx/vmx_profiles.hpp"

namespace vtspec::checker {

namespace {

using spec::Symbolic;
using namespace spec::vmx;

// The declared outcome rule (27.2-27.4, in the declarative's own words).
struct DeclaredOutcome {
  z3::expr fail_7, fail_8, exit_33, exit_34, success;
};
DeclaredOutcome declared_outcome(const z3::expr& c, const z3::expr& h, const z3::expr& g, const z3::expr& m) {
  // 27.2: control errors give 7, host-state errors 8, either first; 27.3 only if neither;
  // 27.4 only if no guest-state check fails.
  return {c, h, !c && !h && g, !c && !h && !g && m, !c && !h && !g && !m};
}

std::string vmx_entry_document(const VmxEntryCounterexample& x, const std::string& explanation) {
  std::string s = fmt::format("# Counterexample to proof obligation 'vm-entry-checks': {}\n# Replay: vtspec explain-entry "
                              "THIS_FILE\nformat: vtspec/vmx-entry/1\nprofile: {}\nbase: zero\nvmcs:\n",
                              explanation, x.profile);
  for (std::size_t i = 0; i < x.vmcs.size(); ++i) {
    std::uint64_t v = x.vmcs[i];
    if (kVmcsFieldTable[i].encoding == vmcs_field::vm_entry_msr_load_count && x.check_id.rfind("msr.", 0) == 0) v = 1;
    if (v) s += fmt::format("  {}: {:#x}\n", kVmcsFieldTable[i].name, v);
  }
  if (x.check_id.rfind("msr.", 0) == 0)
    s += fmt::format("msr_load:\n  - {{ index: {:#x}, data: {:#x} }}\n", x.msr_index, x.msr_data);
  return s;
}

}  // namespace

ObligationResult prove_vm_entry_checks(const ProveOptions& o) {
  ObligationResult r;
  const auto rows = mutants::vm_entry_checks<Symbolic>(o.mutation);
  auto rules = declarative::vm_entry_rules<Symbolic>();
  for (auto& g : declarative::vm_entry_guest_rules<Symbolic>()) rules.push_back(std::move(g));
  std::map<std::string, const declarative::EntryRule<Symbolic>*> by_id;
  for (const auto& rule : rules) by_id[rule.id] = &rule;
  for (const auto& row : rows)
    if (!by_id.count(row.id)) {
      r.verdict = Verdict::unknown;
      r.detail = fmt::format("check {} has no declarative transcription", row.id);
      return r;
    }

  for (const auto& profile : model::vmx::vmx_profiles()) {
    auto& ctx = Symbolic::context();
    VmcsValues<Symbolic> vmcs;
    z3::expr hypotheses = ctx.bool_val(true);
    std::vector<z3::expr> unknowns;
    for (const auto& f : kVmcsFieldTable) {
      const auto u = Symbolic::unknown_word((std::string("vmcs.") + f.name).c_str());
      unknowns.push_back(u);
      vmcs.values.push_back(u & Symbolic::word(width_mask(field_width(f.encoding))));
      // A field the profile lacks holds 0 (no VMWRITE can set it).
      if (!profile.caps.field_exists(f)) hypotheses = hypotheses && u == Symbolic::word(0);
    }
    const auto msr_index = Symbolic::unknown_word("msr.index");
    const auto msr_data = Symbolic::unknown_word("msr.data");
    const MsrLoadEntry<Symbolic> entry{msr_index, msr_data};
    for (const auto& row : rows) {
      const bool msr_row = row.kind == EntryCheckClass::msr_load;
      const EntryInput<Symbolic> in{vmcs, profile.caps, msr_row ? &entry : nullptr};
      const declarative::EntryFacts<Symbolic> facts{[&](std::uint32_t enc) { return vmcs[enc]; }, profile.caps,
                                                     msr_row ? &msr_index : nullptr, msr_row ? &msr_data : nullptr};
      const z3::expr spec_fails = check_fails(row, in);
      const z3::expr declared = by_id.at(row.id)->violated(facts);
      std::optional<z3::model> m;
      std::string reason;
      const std::string case_name = fmt::format("{}, {}", profile.name, row.id);
      const Verdict v = discharge(hypotheses, spec_fails == declared, o.timeout_ms, m, reason);
      if (v == Verdict::counterexample) {
        VmxEntryCounterexample x;
        x.check_id = row.id;
        x.profile = profile.name;
        for (std::size_t i = 0; i < kVmcsFieldCount; ++i)
          x.vmcs.push_back(eval_u64(*m, vmcs.values[i]));
        x.msr_index = eval_u64(*m, msr_index);
        x.msr_data = eval_u64(*m, msr_data);
        Counterexample c;
        c.case_name = case_name;
        c.explanation = fmt::format("check {} ({}): spec says {}, the SDM transcription says {}", row.id, row.sdm,
                                    eval_bool(*m, spec_fails) ? "fails" : "passes",
                                    eval_bool(*m, declared) ? "fails" : "passes");
        c.document = vmx_entry_document(x, c.explanation);
        c.vmx_entry = x;
        r.counterexample = c;
      }
      if (!record_case(r, v, case_name, reason)) return r;
    }
  }

  // The outcome rule, for every combination of failing classes.
  auto& ctx = Symbolic::context();
  const auto c = ctx.bool_const("fails.control"), h = ctx.bool_const("fails.host"), g = ctx.bool_const("fails.guest"),
             m = ctx.bool_const("fails.msr");
  const auto k = mutants::entry_outcome_kinds<Symbolic>(o.mutation, c, h, g, m);
  const auto d = declared_outcome(c, h, g, m);
  const z3::expr claim = k.fail_valid_7 == d.fail_7 && k.fail_valid_8 == d.fail_8 && k.invalid_guest_state == d.exit_33 &&
                         k.msr_loading == d.exit_34 && k.success == d.success;
  std::optional<z3::model> model;
  std::string reason;
  const Verdict v = discharge(ctx.bool_val(true), claim, o.timeout_ms, model, reason);
  if (v == Verdict::counterexample) {
    VmxEntryCounterexample x;
    x.control_fails = eval_bool(*model, c);
    x.host_fails = eval_bool(*model, h);
    x.guest_fails = eval_bool(*model, g);
    x.msr_fails = eval_bool(*model, m);
    Counterexample ce;
    ce.case_name = "outcome rule";
    ce.explanation = fmt::format(
        "failing classes control={} host={} guest={} msr={}: spec allows VMfailValid 7: {}, 8: {}; SDM 27.2: 7: {}, 8: {}",
        x.control_fails, x.host_fails, x.guest_fails, x.msr_fails, eval_bool(*model, k.fail_valid_7),
        eval_bool(*model, k.fail_valid_8), eval_bool(*model, d.fail_7), eval_bool(*model, d.fail_8));
    ce.document = fmt::format("# Counterexample to proof obligation 'vm-entry-checks' (outcome rule, SDM Vol. 3C 27.2): {}\n",
                              ce.explanation);
    ce.vmx_entry = x;
    r.counterexample = ce;
  }
  record_case(r, v, "outcome rule", reason);
  return r;
}

}  // namespace vtspec::checker
