// Obligation "exception-exiting": for every exception bitmap, vector 0-31, #PF error code,
// PFEC_MASK and PFEC_MATCH, spec/vmx/exception_exiting.hpp decides a VM exit exactly when
// the transcription of SDM Vol. 3C 25.6.3 / 26.2 (checker/declarative/exception_exiting.hpp)
// does. The mutant pf-mask-match-inverted applies the #PF rule the wrong way round.
#include <fmt/format.h>

#include "checker/declarative/exception_exiting.hpp"
#include "checker/proofs/guest_obligations.hpp"
#include "spec/vmx/exception_exiting.hpp"

namespace vtspec::checker {

ObligationResult prove_exception_exiting(const ProveOptions& o) {
  using spec::Symbolic;
  ObligationResult r;
  auto& ctx = Symbolic::context();
  const auto bitmap = Symbolic::unknown_word("exception_bitmap"), vector = Symbolic::unknown_word("vector"),
             pfec = Symbolic::unknown_word("error_code"), mask = Symbolic::unknown_word("pfec_mask"),
             match = Symbolic::unknown_word("pfec_match");
  // The fields are 32 bits wide (Appendix B); vectors are 0-31.
  const z3::expr hypotheses = z3::ule(vector, ctx.bv_val(31, 64)) && z3::ule(bitmap, ctx.bv_val(0xffffffffu, 64)) &&
                              z3::ule(mask, ctx.bv_val(0xffffffffu, 64)) && z3::ule(match, ctx.bv_val(0xffffffffu, 64)) &&
                              z3::ule(pfec, ctx.bv_val(0xffffffffu, 64));
  z3::expr spec_exit = spec::vmx::exception_causes_exit<Symbolic>(bitmap, vector, pfec, mask, match);
  if (o.mutation == Mutation::pf_mask_match_inverted)  // BUG: equality reverses bit 14, inequality follows it
    spec_exit = z3::ite(vector == Symbolic::word(14), !spec_exit, spec_exit);
  const z3::expr declared = declarative::exception_exits<Symbolic>(bitmap, vector, pfec, mask, match);
  std::optional<z3::model> m;
  std::string reason;
  const Verdict v = discharge(hypotheses, spec_exit == declared, o.timeout_ms, m, reason);
  if (v == Verdict::counterexample) {
    Counterexample c;
    c.case_name = "exception bitmap";
    c.explanation = fmt::format(
        "vector {}, exception bitmap {:#x}, error code {:#x}, PFEC_MASK {:#x}, PFEC_MATCH {:#x}: spec {}, SDM 25.6.3 {}",
        eval_u64(*m, vector), eval_u64(*m, bitmap), eval_u64(*m, pfec), eval_u64(*m, mask), eval_u64(*m, match),
        eval_bool(*m, spec_exit) ? "exits" : "delivers through the IDT", eval_bool(*m, declared) ? "exits" : "delivers");
    c.document = "# Counterexample to 'exception-exiting': " + c.explanation + "\n";
    c.exception_exit = ExceptionExitCounterexample{eval_u64(*m, bitmap), eval_u64(*m, vector), eval_u64(*m, pfec),
                                                   eval_u64(*m, mask), eval_u64(*m, match)};
    r.counterexample = c;
  }
  record_case(r, v, "exception bitmap and #PF error-code mask/match", reason);
  return r;
}

}  // namespace vtspec::checker
