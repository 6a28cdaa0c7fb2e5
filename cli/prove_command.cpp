// `vtspec prove [--only NAME...] [--mutation NAME] [--counterexamples DIR] [--timeout MS]`:
// discharge the proof obligations (checker/proofs) with Z3 and print, for each, its name,
// the SDM section it formalizes, the result and the solver time. Exit status 0 only when
// every obligation is proved; a counterexample is written as a `vtspec/state/1` file with
// the `vtspec walk` command that replays it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <optional>

#include <fmt/format.h>

#include "checker/proofs/obligation.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"

namespace vtspec::cli {

namespace {
struct ProveCommandOptions {
  std::vector<std::string> only;
  std::string mutation = "none";
  std::string counterexample_dir = "counterexamples";
  unsigned timeout_ms = 60000;
  unsigned jobs = 2;
  bool list = false;
};
}  // namespace

Action add_prove_command(CLI::App& app) {
  auto opts = std::make_shared<ProveCommandOptions>();
  auto* cmd = app.add_subcommand("prove", "Discharge the memory-virtualization proof obligations with Z3.");
  cmd->add_option("--only", opts->only, "Run only these obligations (by name)");
  std::vector<std::string> names;
  for (const auto& m : checker::mutations()) names.push_back(m.name);
  cmd->add_option("--mutation", opts->mutation, "Prove against a copy of the rules with this known bug injected")
      ->check(CLI::IsMember(names));
  cmd->add_option("--counterexamples", opts->counterexample_dir, "Directory for counterexample state files");
  cmd->add_option("--timeout", opts->timeout_ms, "Solver time limit per query, in milliseconds");
  cmd->add_option("--jobs", opts->jobs, "Obligations proved in parallel (default 2)");
  cmd->add_flag("--list", opts->list, "List the obligations and mutations, and exit");
  return [opts]() -> int {
    if (opts->list) {
      for (const auto& o : checker::obligations()) std::printf("%-30s %s\n    %s\n", o.name, o.sdm, o.claim);
      std::printf("\nmutations:\n");
      for (const auto& m : checker::mutations()) std::printf("  %-30s %s\n", m.name, m.description);
      return kOk;
    }
    checker::ProveOptions options;
    options.mutation = *checker::mutation_by_name(opts->mutation);
    options.counterexample_dir = opts->counterexample_dir;
    options.timeout_ms = opts->timeout_ms;
    for (const auto& name : opts->only) {
      bool known = false;
      for (const auto& o : checker::obligations()) known = known || name == o.name;
      if (!known) {
        std::fprintf(stderr, "error: --only: unknown obligation '%s' (see vtspec prove --list)\n", name.c_str());
        return kBadInput;
      }
    }
    if (options.mutation != checker::Mutation::none)
      std::printf("mutation: %s (%s)\n", opts->mutation.c_str(), checker::mutation_info(options.mutation).description);
    std::printf("%-30s %-48s %-16s %9s\n", "obligation", "SDM", "result", "time");
    const auto start = std::chrono::steady_clock::now();
    // Obligations are independent, and each runs on a thread of its own so that it gets a
    // fresh Z3 context (spec::Symbolic::context() is thread_local): terms and caches left in a
    // shared context by earlier obligations made later ones several times slower and their
    // times order-dependent. --jobs of them run at once; results print in order.
    std::vector<const checker::Obligation*> selected;
    for (const auto& o : checker::obligations())
      if (opts->only.empty() || std::find(opts->only.begin(), opts->only.end(), o.name) != opts->only.end())
        selected.push_back(&o);
    std::atomic<std::size_t> next{0};
    auto worker = [&]() {
      std::vector<std::pair<std::size_t, checker::ObligationResult>> done;
      for (std::size_t i = next++; i < selected.size(); i = next++) {
        auto fresh_context = std::async(std::launch::async, [&, i] { return checker::run_obligation(*selected[i], options); });
        done.emplace_back(i, fresh_context.get());
      }
      return done;
    };
    std::vector<std::future<std::vector<std::pair<std::size_t, checker::ObligationResult>>>> workers;
    for (unsigned j = 0; j < std::max(1u, opts->jobs); ++j) workers.push_back(std::async(std::launch::async, worker));
    std::vector<std::optional<checker::ObligationResult>> ordered(selected.size());
    for (auto& w : workers)
      for (auto& [i, r] : w.get()) ordered[i] = std::move(r);
    bool all_proved = true;
    for (const auto& slot : ordered) {
      const auto& r = *slot;
      all_proved = all_proved && r.verdict == checker::Verdict::proved;
      std::printf("%-30s %-48s %-16s %8.2fs  (%u cases)\n", r.name.c_str(), r.sdm.c_str(), checker::to_string(r.verdict),
                  r.seconds, r.cases);
      if (r.verdict != checker::Verdict::proved) std::printf("    %s\n", r.detail.c_str());
      if (r.counterexample) {
        std::printf("    %s\n", r.counterexample->explanation.c_str());
        if (!r.counterexample->file.empty() && !r.counterexample->replay.empty())
          std::printf("    replay: %s %s\n", r.counterexample->replay.c_str(), r.counterexample->file.c_str());
        else if (!r.counterexample->file.empty() && r.counterexample->tlb_entry)
          std::printf("    written: %s (entry tags and operation; replayed with spec::removes)\n", r.counterexample->file.c_str());
        else if (!r.counterexample->file.empty() && r.counterexample->vtd_cache)
          std::printf("    written: %s (%s)\n", r.counterexample->file.c_str(),
                      r.counterexample->vtd_cache->entry ? "cached entry tags and invalidations; replayed with spec::iommu::removes"
                                                          : "the DMA sequence; replayed on model::iommu::RemappingUnit");
        else if (!r.counterexample->file.empty() && r.counterexample->vtd_dma)
          std::printf("    written: %s (DMA request and the memory words its walk reads; replayed with spec::iommu::walk_vtd)\n",
                      r.counterexample->file.c_str());
        else if (!r.counterexample->file.empty() && r.counterexample->vmx_entry)
          std::printf("    %s: %s\n", r.counterexample->vmx_entry->check_id.empty() ? "written" : "replay: vtspec explain-entry",
                      r.counterexample->file.c_str());
        else if (!r.counterexample->file.empty() && r.counterexample->npt)
          std::printf("    written: %s (guest state, nested regime and memory; replayed with spec::svm::walk_nested_paging)\n",
                      r.counterexample->file.c_str());
        else if (!r.counterexample->file.empty() && r.counterexample->vmrun)
          std::printf("    written: %s (the VMCB fields; replayed with spec::svm::vmrun_consistency_checks)\n",
                      r.counterexample->file.c_str());
        else if (!r.counterexample->file.empty())
          std::printf("    replay: vtspec walk %s --va %#llx --access %s --cpl %u%s\n", r.counterexample->file.c_str(),
                      static_cast<unsigned long long>(r.counterexample->access.linear),
                      r.counterexample->access.kind == spec::AccessKind::write   ? "write"
                      : r.counterexample->access.kind == spec::AccessKind::fetch ? "fetch"
                                                                                 : "read",
                      r.counterexample->access.cpl, r.counterexample->access.implicit_supervisor ? " --implicit" : "");
      }
      std::fflush(stdout);
    }
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("total %.2fs: %s\n", total, all_proved ? "all obligations proved" : "NOT all obligations proved");
    return all_proved ? kOk : kCheckFailed;
  };
}

}  // namespace vtspec::cli
