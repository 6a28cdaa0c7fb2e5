// `vtspec explain-entry STATE.yaml`: every VM-entry check (SDM Vol. 3C 27.2-27.4) with its
// citation and verdict on the file's VMCS - pass, fail, or not applicable under these
// controls - the outcome the SDM allows, and for a failing entry the smallest change to the
// VMCS that makes it pass (model/vmx/entry_repair.hpp).
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "model/vmx/entry_repair.hpp"
#include "spec/vmx/vm_entry_checks.hpp"
#include "vectors/format/load_error.hpp"
#include "vectors/format/vmx_entry_file.hpp"

namespace vtspec::cli {

namespace {

using namespace spec::vmx;

std::string explain(const vectors::VmxEntryFile& in, bool failures_only) {
  const auto& table = vm_entry_checks<spec::Concrete>();
  const auto msrs = model::vmx::loaded_msr_entries(in.vmcs, in.msr_area);
  const auto e = evaluate_entry(in.vmcs, in.caps, msrs);
  unsigned per_class[4] = {0, 0, 0, 0};
  for (const auto& c : table) ++per_class[static_cast<unsigned>(c.kind)];
  std::string out = fmt::format(
      "profile: {}\nchecks ({} rules: {} control, {} host-state, {} guest-state, {} MSR-load; the MSR-load rules once "
      "per loaded entry, {} loaded):\n",
      in.profile, table.size(), per_class[0], per_class[1], per_class[2], per_class[3], msrs.size());
  unsigned counts[3] = {0, 0, 0};
  for (const auto& r : e.results) {
    ++counts[static_cast<unsigned>(r.verdict)];
    if (failures_only && r.verdict != CheckVerdict::fail) continue;
    const auto& c = table[r.row];
    const std::string id = r.msr_entry ? fmt::format("{}[{}]", c.id, r.msr_entry) : c.id;
    out += fmt::format("  {:<15} {:<12} {:<46} {}: {}\n", r.verdict == CheckVerdict::fail ? "FAIL" : to_string(r.verdict),
                       to_string(c.kind), id, c.sdm, c.rule);
  }
  out += fmt::format("verdicts: {} pass, {} fail, {} not applicable\n", counts[0], counts[1], counts[2]);
  out += fmt::format("outcome: {}\n", describe(e.allowed.front()));
  if (e.allowed.size() > 1) {
    out += "allowed outcomes (the SDM leaves the order open):\n";
    for (const auto& o : e.allowed) out += fmt::format("  - {}\n", describe(o));
    out += fmt::format("  why: {}\n", e.why);
  }
  if (e.allowed.front().kind != EntryOutcomeKind::success) {
    const auto fix = model::vmx::smallest_fix(in.vmcs, in.caps, in.msr_area);
    out += "smallest change that makes the entry pass:\n";
    for (const auto& c : fix) {
      if (c.position == kVmcsFieldCount) {
        out += fmt::format("  (no single-field change makes {} pass)\n", c.fixes);
        continue;
      }
      out += fmt::format("  {}: {:#x} -> {:#x}   (makes {} pass)\n", kVmcsFieldTable[c.position].name, c.from, c.to,
                         c.fixes);
    }
  }
  return out;
}

}  // namespace

Action add_explain_entry_command(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto failures_only = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("explain-entry",
                                 "List every VM-entry check (SDM Vol. 3C 27.2-27.4) with its citation and verdict on a "
                                 "VMCS, the outcome, and for a failure the smallest VMCS change that makes it pass.");
  cmd->add_option("state", *path, "VMCS and capability profile (YAML, format vtspec/vmx-entry/1)")->required();
  cmd->add_flag("--failures", *failures_only, "List only the failing checks");
  return [path, failures_only]() -> int {
    try {
      std::fputs(explain(vectors::load_vmx_entry_file(*path), *failures_only).c_str(), stdout);
      return kOk;
    } catch (const vectors::LoadError& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
      return kBadInput;
    }
  };
}

}  // namespace vtspec::cli
