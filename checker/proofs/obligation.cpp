#include "checker/proofs/obligation.hpp"

#include <chrono>
#include <string>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "checker/proofs/counterexample_file.hpp"

namespace vtspec::checker {

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::proved: return "proved";
    case Verdict::counterexample: return "counterexample";
    case Verdict::unknown: return "unknown/timeout";
  }
  return "?";
}

namespace {

// Memory is an uninterpreted function read at a few dozen addresses: Ackermann reduction
// turns a query into pure bit-vectors, which bit-blasting to SAT decides several times
// faster than the default solver. When the reduction gives up (it bounds the number of
// congruence lemmas) the default solver decides the query. VTSPEC_PROVE_SOLVER=smt
// always uses the default solver.
z3::solver make_solver(z3::context& ctx, bool fast) {
  if (!fast) return z3::solver(ctx);
  z3::params unbounded(ctx);
  unbounded.set("div0_ackermann_limit", 1000000u);
  return (z3::tactic(ctx, "simplify") & z3::tactic(ctx, "solve-eqs") & z3::with(z3::tactic(ctx, "ackermannize_bv"), unbounded) &
          z3::tactic(ctx, "bit-blast") & z3::tactic(ctx, "sat"))
      .mk_solver();
}

}  // namespace

Verdict discharge(const z3::expr& hypotheses, const z3::expr& claim, unsigned timeout_ms,
                  std::optional<z3::model>& model, std::string& reason) {
  z3::context& ctx = hypotheses.ctx();
  const char* mode = std::getenv("VTSPEC_PROVE_SOLVER");
  const bool fast_first = !(mode && std::string(mode) == "smt");
  for (bool fast : {true, false}) {
    if (fast && !fast_first) continue;
    z3::solver solver = make_solver(ctx, fast);
    z3::params p(ctx);
    p.set("timeout", timeout_ms);
    solver.set(p);
    solver.add(hypotheses);
    // A claim under unsatisfiable hypotheses would be proved vacuously: refuse that.
    const z3::check_result consistent = solver.check();
    if (consistent == z3::unsat) {
      reason = "hypotheses are unsatisfiable (the claim would hold vacuously)";
      return Verdict::unknown;
    }
    if (consistent == z3::unknown) {
      reason = solver.reason_unknown();
      continue;
    }
    solver.add(!claim);
    const auto start = std::chrono::steady_clock::now();
    const z3::check_result result = solver.check();
    if (std::getenv("VTSPEC_PROVE_TRACE"))
      std::fprintf(stderr, "  [%s solver %.3fs: %s]\n", fast ? "bit-blasting" : "default",
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                   result == z3::unsat ? "unsat" : result == z3::sat ? "sat" : solver.reason_unknown().c_str());
    if (result == z3::unsat) return Verdict::proved;
    if (result == z3::sat) {
      model.emplace(solver.get_model());
      return Verdict::counterexample;
    }
    reason = solver.reason_unknown();
  }
  return Verdict::unknown;
}

bool record_case(ObligationResult& r, Verdict v, const std::string& case_name, const std::string& reason) {
  ++r.cases;
  if (v == Verdict::proved) return true;
  r.verdict = v;
  r.detail = v == Verdict::unknown ? fmt::format("{}: {}", case_name, reason) : case_name;
  return false;
}

ObligationResult run_obligation(const Obligation& o, const ProveOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  ObligationResult r = o.run(options);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.name = o.name;
  r.sdm = o.sdm;
  if (r.counterexample && !options.counterexample_dir.empty()) {
    Counterexample& c = *r.counterexample;
    const std::string file = fmt::format("{}/{}.yaml", options.counterexample_dir, o.name);
    const std::string text = !c.document.empty() ? c.document : fmt::format("# Counterexample to proof obligation '{}' ({}), case: {}\n# {}\n# Replay: {}\n",
                                         o.name, o.sdm, c.case_name, c.explanation, replay_command(file, c.access)) +
                             state_yaml(c.state, fmt::format("Counterexample to '{}': {}. Access: {} at {:#x}, CPL {}{}.",
                                                             o.name, c.explanation, access_name(c.access.kind),
                                                             c.access.linear, c.access.cpl,
                                                             c.access.implicit_supervisor ? " (implicit)" : ""));
    if (write_text_file(file, text)) c.file = file;
  }
  return r;
}

}  // namespace vtspec::checker
