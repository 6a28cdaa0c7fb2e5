// The VM-entry vectors (vtspec/vector/4, vectors/corpus/vmx/): a VMX L1 with a VMCS that
// passes every check of SDM Vol. 3C 27.2-27.4, VMLAUNCH of it on every CPU profile; then, for
// every control, host-state and guest-state check with a witness (vm_entry_witness.hpp), the
// VMWRITEs that make it the one failing check, and VMLAUNCH; and the MSR-load checks (27.4)
// one at a time on the second entry of a two-entry area.
//
// Expectations come from the model. Independently of spec/vmx, the generator checks each
// witness against the SDM transcription of checker/declarative (the rule of that id, and no
// other, is violated) and the outcome against 27.8's classes (VMfailValid 7 for a control,
// 8 for a host-state check, a VM-entry failure with exit reason 33 for the guest state and
// 34 with the entry's number for MSR loading); a disagreement stops generation.
#include <stdexcept>

#include <fmt/format.h>

#include "checker/declarative/vm_entry_guest_rules.hpp"
#include "checker/declarative/vm_entry_rules.hpp"
#include "checker/generate/draft.hpp"
#include "checker/generate/vm_entry_witness.hpp"
#include "checker/generate/vmx_l1_state.hpp"
#include "model/vmx/vmx_profiles.hpp"
#include "spec/vmx/vm_entry_checks.hpp"

namespace vtspec::generate {

namespace {

using namespace spec::vmx;
using spec::Concrete;

// The declarative rules that a VMCS (and an MSR-load entry) violates, by id.
std::vector<std::string> violated_rules(const VmcsValues<Concrete>& vmcs, const VmxCapabilities& caps,
                                        const MsrLoadEntry<Concrete>* msr = nullptr) {
  static const auto rules = [] {
    auto r = checker::declarative::vm_entry_rules<Concrete>();
    for (auto& g : checker::declarative::vm_entry_guest_rules<Concrete>()) r.push_back(std::move(g));
    return r;
  }();
  const std::uint64_t index = msr ? msr->index_and_reserved : 0, data = msr ? msr->data : 0;
  const checker::declarative::EntryFacts<Concrete> facts{[&](std::uint32_t enc) { return vmcs.values[*field_position(enc)]; },
                                                         caps, msr ? &index : nullptr, msr ? &data : nullptr};
  const auto& table = vm_entry_checks<Concrete>();
  std::vector<std::string> out;
  for (const auto& rule : rules) {
    const auto row = std::find_if(table.begin(), table.end(), [&](const auto& c) { return c.id == rule.id; });
    if (row == table.end()) throw std::logic_error("declarative rule " + rule.id + " names no check");
    if ((row->kind == EntryCheckClass::msr_load) != (msr != nullptr)) continue;
    if (rule.violated(facts)) out.push_back(rule.id);
  }
  return out;
}

// 27.8 by class: the event a VM entry that fails only `row` ends in.
model::Event event_of_class(const EntryCheck<Concrete>& row, unsigned msr_entry) {
  switch (row.kind) {
    case EntryCheckClass::control: return model::Event::vm_fail_valid(7);
    case EntryCheckClass::host_state: return model::Event::vm_fail_valid(8);
    case EntryCheckClass::guest_state: return model::Event::vm_entry_failure(kExitInvalidGuestState, row.qualification);
    case EntryCheckClass::msr_load: return model::Event::vm_entry_failure(kExitMsrLoading, msr_entry);
  }
  return model::Event::completed();
}

// The last operation's only expected outcome must be `want`.
void expect_last(const Draft& d, const model::Event& want, const std::string& why) {
  const auto& e = d.vector.expectations.back();
  if (e.outcomes.size() != 1 || !model::difference(want, e.outcomes.front().event).empty())
    throw std::logic_error(fmt::format("{}: the model says {}, {} says {}", d.vector.id, model::describe(e.outcomes.front().event),
                                       why, model::describe(want)));
}

std::string slug(std::string id) {
  for (char& c : id)
    if (c == '.') c = '/';
  return id;
}

}  // namespace

std::vector<CorpusFile> vmx_entry_checks() {
  std::vector<CorpusFile> files;
  // One valid entry per CPU profile (and on Bochs's, the launch state after it: 31.3 VMLAUNCH
  // of a launched VMCS fails with error 4, VMRESUME of it enters).
  CorpusFile valid{"vmx/valid-entry.yaml", "VMLAUNCH of a VMCS that passes every VM-entry check, on each CPU profile", {}};
  for (const auto& profile : model::vmx::vmx_profiles()) {
    Draft d;
    d.vector.id = fmt::format("vmx/valid-entry/{}", profile.name);
    d.vector.description = fmt::format("VMLAUNCH of model::vmx::valid_vmcs on profile {} ({}): the entry succeeds, and the "
                                       "guest runs until the VMX-preemption timer (or an earlier exit) returns it",
                                       profile.name, profile.source);
    d.vector.sdm = {"Vol. 3C 27.2", "Vol. 3C 27.3", "Vol. 3C 31.3"};
    d.state = vmx_l1_state(profile, entry_base_vmcs(profile.caps));
    d.vmx("vmlaunch");
    if (std::string(profile.name) == kBochsProfile) {
      d.vmx("vmlaunch");
      d.vmx("vmresume");
    }
    valid.drafts.push_back(std::move(d));
  }
  files.push_back(std::move(valid));

  const auto& profile = *model::vmx::find_vmx_profile(kBochsProfile);
  const auto& caps = profile.caps;
  const auto base = entry_base_vmcs(caps);
  const auto& table = vm_entry_checks<Concrete>();
  CorpusFile checks{"vmx/entry-checks.yaml",
                    fmt::format("Each VM-entry check of SDM Vol. 3C 27.2-27.3 with a witness failing alone: the VMWRITEs that make a valid "
                                "VMCS fail it, then VMLAUNCH (profile {})",
                                profile.name),
                    {}};
  for (std::size_t r = 0; r < table.size(); ++r) {
    if (table[r].kind == EntryCheckClass::msr_load) continue;
    const auto w = find_entry_witness(r, base, caps);
    if (!w) continue;
    const auto violated = violated_rules(w->vmcs, caps);
    if (violated != std::vector<std::string>{table[r].id})
      throw std::logic_error(fmt::format("the witness of {} violates {} in the SDM transcription", table[r].id,
                                         fmt::join(violated, ", ")));
    Draft d;
    d.vector.id = "vmx/entry/" + slug(table[r].id);
    d.vector.description = fmt::format("{} fails alone: {}", table[r].id, table[r].rule);
    std::string sdm = table[r].sdm;
    if (sdm.rfind("SDM ", 0) == 0) sdm.erase(0, 4);
    d.vector.sdm = {sdm, "Vol. 3C 27.8"};
    d.state = vmx_l1_state(profile, base);
    for (const auto& [f, value] : w->changes) d.vmx("vmwrite", 0, kVmcsFieldTable[f].encoding, value);
    d.vmx("vmlaunch");
    complete(d);
    expect_last(d, event_of_class(table[r], 0), "27.8 for its class");
    checks.drafts.push_back(std::move(d));
  }
  files.push_back(std::move(checks));

  // 27.4: a two-entry MSR-load area, the first a valid IA32_PAT, the second failing one
  // check; a VM-entry failure with exit reason 34 and qualification 2 (the entry's number).
  constexpr std::uint64_t kPat = 0x277, kValidPat = 0x0007040600070406ull;
  struct MsrCase {
    const char* id;
    const char* what;
    std::uint64_t index_and_reserved, data;
  };
  const MsrCase cases[] = {
      {"fs-base", "IA32_FS_BASE (27.4: not loadable from the area)", 0xc0000100, 0},
      {"gs-base", "IA32_GS_BASE (27.4)", 0xc0000101, 0},
      {"x2apic", "an x2APIC MSR, 80BH (27.4: bits 31:8 of the index are 000008H)", 0x80b, 0},
      {"smm-monitor-ctl", "IA32_SMM_MONITOR_CTL outside SMM (27.4)", 0x9b, 0},
      {"reserved-bits", "bit 32 of the entry set (27.4: bits 63:32 are reserved)", (1ull << 32) | kPat, kValidPat},
      {"pat-reserved-type", "IA32_PAT with memory type 2 in entry 0 (27.4: the value would #GP on WRMSR)", kPat, 0x0007040600070402ull},
  };
  CorpusFile msr{"vmx/msr-load-checks.yaml",
                 fmt::format("The VM-entry MSR-load checks of SDM Vol. 3C 27.4, each failing on the second of two entries "
                             "(profile {})",
                             profile.name),
                 {}};
  auto msr_state = [&](std::uint64_t index, std::uint64_t data) {
    auto vmcs = base;
    vmcs.values[*field_position(vmcs_field::vm_entry_msr_load_count)] = 2;
    vmcs.values[*field_position(vmcs_field::vm_entry_msr_load_address)] = kMsrLoadArea;
    StateSketch s = vmx_l1_state(profile, vmcs);
    for (auto [at, v] : {std::pair{kMsrLoadArea, kPat}, std::pair{kMsrLoadArea + 8, kValidPat}, std::pair{kMsrLoadArea + 16, index},
                         std::pair{kMsrLoadArea + 24, data}})
      s.host_writes.emplace_back(at, v);
    return std::pair{s, vmcs};
  };
  {
    Draft d;
    d.vector.id = "vmx/msr-load/valid";
    d.vector.description = "two valid IA32_PAT entries in the VM-entry MSR-load area: the entry succeeds (27.4)";
    d.vector.sdm = {"Vol. 3C 27.4"};
    d.state = msr_state(kPat, kValidPat).first;
    d.vmx("vmlaunch");
    msr.drafts.push_back(std::move(d));
  }
  for (const auto& c : cases) {
    const auto [state, vmcs] = msr_state(c.index_and_reserved, c.data);
    const MsrLoadEntry<Concrete> second{c.index_and_reserved, c.data};
    const auto violated = violated_rules(vmcs, caps, &second);
    if (violated.size() != 1) throw std::logic_error(fmt::format("MSR-load case {} violates {}", c.id, fmt::join(violated, ", ")));
    Draft d;
    d.vector.id = fmt::format("vmx/msr-load/{}", c.id);
    d.vector.description = fmt::format("{} as the second MSR-load entry: {} fails", c.what, violated.front());
    d.vector.sdm = {"Vol. 3C 27.4", "Vol. 3C 27.8"};
    d.state = state;
    d.vmx("vmlaunch");
    complete(d);
    const auto row = std::find_if(table.begin(), table.end(), [&](const auto& x) { return x.id == violated.front(); });
    expect_last(d, event_of_class(*row, 2), "27.4 and 27.8");
    msr.drafts.push_back(std::move(d));
  }
  files.push_back(std::move(msr));
  return files;
}

}  // namespace vtspec::generate
