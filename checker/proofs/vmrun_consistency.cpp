// Obligation "vmrun-consistency" (AMD64 APM Vol. 2 15.5.1): every VMRUN consistency check of
// spec/svm/vmrun_checks.hpp holds exactly when its declarative transcription
// (checker/declarative/vmrun_rules.hpp) says the APM's illegal condition does not, for every
// VMCB, on each capability profile; the two lists name the same checks; and VMRUN passes
// (spec::svm::vmrun_consistent) exactly when no transcribed condition is illegal.
#include <fmt/format.h>

#include <set>

#include "checker/declarative/vmrun_rules.hpp"
#include "checker/mutants/vmrun_mutant.hpp"
#include "checker/proofs/guest_obligations.hpp"
#include "checker/proofs/guest_unknowns.hpp"

namespace vtspec::checker {

namespace {

struct Profile {
  const char* name;
  spec::svm::SvmCapabilities caps;
};

std::vector<Profile> profiles() {
  spec::svm::SvmCapabilities qemu_max;  // the defaults: QEMU 7.2 TCG -cpu max as vtspec drives it
  spec::svm::SvmCapabilities narrow;
  narrow.maxphyaddr = 40;
  narrow.cr4_defined &= ~spec::cr4::la57;
  narrow.efer_defined &= ~spec::svm::efer::lmsle;
  return {{"default (MAXPHYADDR 48, LA57)", qemu_max}, {"MAXPHYADDR 40, no LA57", narrow}};
}

spec::svm::VmrunInput<S> symbolic_vmcb() {
  spec::svm::VmrunInput<S> in;
  auto w = [](const char* n) { return S::unknown_word(fmt::format("vmcb.{}", n).c_str()); };
  in.efer = w("efer");
  in.cr0 = w("cr0");
  in.cr3 = w("cr3");
  in.cr4 = w("cr4");
  in.dr6 = w("dr6");
  in.dr7 = w("dr7");
  in.cs_attrib = w("cs_attrib");
  in.intercept_misc2 = w("intercept_misc2");
  in.asid = w("asid");
  in.iopm_base = w("iopm_base");
  in.msrpm_base = w("msrpm_base");
  in.event_injection = w("event_injection");
  return in;
}

VmrunCounterexample concrete_vmcb(const z3::model& m, const spec::svm::VmrunInput<S>& in, const std::string& id) {
  return {id,
          eval_u64(m, in.efer),
          eval_u64(m, in.cr0),
          eval_u64(m, in.cr3),
          eval_u64(m, in.cr4),
          eval_u64(m, in.dr6),
          eval_u64(m, in.dr7),
          eval_u64(m, in.cs_attrib),
          eval_u64(m, in.intercept_misc2),
          eval_u64(m, in.asid),
          eval_u64(m, in.iopm_base),
          eval_u64(m, in.msrpm_base),
          eval_u64(m, in.event_injection)};
}

std::string document_of(const VmrunCounterexample& x, const std::string& what) {
  return fmt::format(
      "# Counterexample to 'vmrun-consistency': {}\n"
      "vmcb: {{ efer: {:#x}, cr0: {:#x}, cr3: {:#x}, cr4: {:#x}, dr6: {:#x}, dr7: {:#x}, cs_attrib: {:#x}, "
      "intercept_misc2: {:#x}, asid: {:#x}, iopm_base: {:#x}, msrpm_base: {:#x}, event_injection: {:#x} }}\n",
      what, x.efer, x.cr0, x.cr3, x.cr4, x.dr6, x.dr7, x.cs_attrib, x.intercept_misc2, x.asid, x.iopm_base, x.msrpm_base,
      x.event_injection);
}

}  // namespace

ObligationResult prove_vmrun_consistency(const ProveOptions& o) {
  ObligationResult r;
  const auto rows = mutants::vmrun_consistency_checks<S>(o.mutation);
  const auto rules = declarative::vmrun_rules<S>();
  {
    std::set<std::string> a, b;
    for (const auto& row : rows) a.insert(row.id);
    for (const auto& rule : rules) b.insert(rule.id);
    if (a != b || a.size() != rows.size() || b.size() != rules.size()) {
      r.verdict = Verdict::counterexample;
      r.detail = "spec/svm and the transcription do not name the same checks";
      return r;
    }
  }
  for (const auto& profile : profiles()) {
    const spec::svm::VmrunInput<S> in = symbolic_vmcb();
    z3::expr all_legal = S::truth(true);
    for (const auto& rule : rules) all_legal = all_legal && !rule.illegal(in, profile.caps);
    for (const auto& row : rows) {
      const declarative::VmrunRule<S>* rule = nullptr;
      for (const auto& x : rules)
        if (row.id == x.id) rule = &x;
      const z3::expr claim = row.holds(in, profile.caps) == !rule->illegal(in, profile.caps);
      std::optional<z3::model> m;
      std::string reason;
      const std::string case_name = fmt::format("{}, {}", row.id, profile.name);
      const Verdict v = discharge(S::truth(true), claim, o.timeout_ms, m, reason);
      if (v == Verdict::counterexample) {
        Counterexample c;
        c.case_name = case_name;
        c.vmrun = concrete_vmcb(*m, in, row.id);
        c.explanation = fmt::format("{} ({}): spec/svm says the check {}, the APM's condition says {}", row.id, row.apm,
                                    eval_bool(*m, row.holds(in, profile.caps)) ? "holds" : "fails",
                                    eval_bool(*m, rule->illegal(in, profile.caps)) ? "illegal" : "legal");
        c.document = document_of(*c.vmrun, c.explanation);
        r.counterexample = c;
      }
      if (!record_case(r, v, case_name, reason)) return r;
    }
    // The outcome: #VMEXIT(INVALID) exactly when some condition is illegal.
    z3::expr spec_ok = S::truth(true);
    for (const auto& row : rows) spec_ok = spec_ok && row.holds(in, profile.caps);
    std::optional<z3::model> m;
    std::string reason;
    const Verdict v = discharge(S::truth(true),
                                spec_ok == all_legal && spec::svm::vmrun_consistent<S>(in, profile.caps) == spec_ok,
                                o.timeout_ms, m, reason);
    if (!record_case(r, v, fmt::format("outcome rule, {}", profile.name), reason)) return r;
  }
  return r;
}

}  // namespace vtspec::checker
