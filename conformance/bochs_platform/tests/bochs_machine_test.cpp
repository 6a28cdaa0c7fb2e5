// The Bochs platform on the real Bochs 2.7 (label bochs; SKIPPED without it): a batch runs
// through the boot sector and the proxy, results come back from port 0xE9, a hang is timed out
// with the lists before it kept. Expected values come from the commands themselves (bytes
// written and read back) and from Bochs's documented CPU (../shared/notes/targets.md: VMCS
// revision 0x2b; CPUID vendor "GenuineIntel").
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "conformance/bochs_platform/bochs_machine.hpp"
#include "conformance/qemu_platform/vmx_unit.hpp"
#include "model/operation_table.hpp"
#include "model/processor/processor.hpp"
#include "model/vmx/vmx_profiles.hpp"
#include "spec/vmx/vm_entry_checks.hpp"
#include "spec/vmx/vmread_vmwrite.hpp"

namespace vtspec::conformance::bochs {
namespace {

#define REQUIRE_BOCHS() \
  if (std::string why = bochs_unavailable_reason(); !why.empty()) GTEST_SKIP() << why

TEST(BochsMachine, RunsEveryListOfABatchAndReportsTheResults) {
  REQUIRE_BOCHS();
  Batch batch;
  batch.add_list({qemu::write_command(0x200000, 0x1122334455667788), qemu::read_command(0x200000), qemu::cpuid_command(0)});
  const std::vector<std::uint8_t> bytes = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  batch.add_list({batch.copy_in(0x300008, bytes), qemu::read_command(0x300008), qemu::read_command(0x300010),
                  qemu::fill_zero_command(0x300008, 8), qemu::read_command(0x300008), qemu::read_command(0x300010)});
  const BatchOutcome out = run_batch({}, batch);
  ASSERT_EQ(out.failure, "");
  ASSERT_EQ(out.completed, 2u);
  ASSERT_EQ(out.lists.size(), 2u);
  ASSERT_EQ(out.lists[0].size(), 3u);
  EXPECT_EQ(out.lists[0][1].result, 0x1122334455667788u);
  EXPECT_EQ(static_cast<std::uint32_t>(out.lists[0][2].result >> 32), 0x756e6547u);  // EBX = "Genu"
  ASSERT_EQ(out.lists[1].size(), 6u);
  EXPECT_EQ(out.lists[1][1].result, 0x0807060504030201u);
  EXPECT_EQ(out.lists[1][2].result, 0x100f0e0d0c0b0a09u);
  EXPECT_EQ(out.lists[1][4].result, 0u);
  EXPECT_EQ(out.lists[1][5].result, 0x100f0e0d0c0b0a09u);
}

// Bochs 2.7's optramimage keeps only the first 128 KiB of a larger image in place (what
// made the batch come from a disk instead): 2 MiB of data, each 8-byte word its own offset,
// must arrive whole.
TEST(BochsMachine, ABatchOfMegabytesArrivesWhole) {
  REQUIRE_BOCHS();
  std::vector<std::uint8_t> bytes(2u << 20);
  for (std::size_t i = 0; i < bytes.size(); i += 8) std::memcpy(bytes.data() + i, &i, 8);
  Batch batch;
  std::vector<Command> list = {batch.copy_in(0x1000000, bytes)};
  const std::vector<std::uint64_t> offsets = {0, 0x1fff8, 0x20000, 0xe0000, 0x100000, 0x1ffff8};
  for (std::uint64_t o : offsets) list.push_back(qemu::read_command(0x1000000 + o));
  batch.add_list(list);
  const BatchOutcome out = run_batch({}, batch);
  ASSERT_EQ(out.failure, "");
  ASSERT_EQ(out.lists[0].size(), offsets.size() + 1);
  for (std::size_t i = 0; i < offsets.size(); ++i) EXPECT_EQ(out.lists[0][i + 1].result, offsets[i]) << "offset " << offsets[i];
}

TEST(BochsMachine, AHungGuestIsTimedOutAndTheListsBeforeItAreKept) {
  REQUIRE_BOCHS();
  Batch batch;
  batch.add_list({qemu::write_command(0x200000, 7), qemu::read_command(0x200000)});
  // Polls a RAM word nobody sets: 2,000,000 polls of 1,000 instructions each, far beyond the
  // deadline.
  batch.add_list({qemu::poll_set_command(0x200008, 1)});
  batch.add_list({qemu::read_command(0x200000)});
  RunConfig config;
  config.timeout = std::chrono::milliseconds(3000);
  const BatchOutcome out = run_batch(config, batch);
  EXPECT_EQ(out.completed, 1u);
  EXPECT_EQ(out.lists[0][1].result, 7u);
  EXPECT_NE(out.failure.find("hung"), std::string::npos) << out.failure;
}

TEST(BochsMachine, VmxProbeReadsTheCapabilityMsrsOfTheCpuModel) {
  REQUIRE_BOCHS();
  qemu::VmxProbe probe;
  for (unsigned stage = 0; stage < qemu::kVmxProbeStages; ++stage) {
    Batch batch;
    const auto list = qemu::vmx_probe_stage(stage, probe);
    ASSERT_FALSE(list.empty()) << "stage " << stage;
    batch.add_list(list);
    const BatchOutcome out = run_batch({}, batch);
    ASSERT_EQ(out.failure, "") << "stage " << stage;
    qemu::read_vmx_probe_stage(stage, out.lists.front(), probe);
  }
  EXPECT_TRUE(probe.vmx);
  EXPECT_EQ(probe.caps.revision(), 0x2bu);  // targets.md: "The VMCS revision is 0x2b"
  EXPECT_TRUE(probe.caps.true_controls());
  EXPECT_NE(probe.caps.ept_vpid_cap, 0u);
  EXPECT_EQ(probe.caps.ept_vpid_cap & 1u, 1u);  // execute-only EPT pages (targets.md: EPT on every VMX model)
  EXPECT_GE(probe.caps.maxphyaddr, 36u);
}

TEST(BochsMachine, VmxonSucceedsAfterTheFixedBitsAreSet) {
  REQUIRE_BOCHS();
  qemu::VmxProbe probe;
  probe.vmx = true;
  // The revision identifier Bochs 2.7 uses (targets.md); the fixed bits of every VMX CPU
  // (SDM Vol. 3C A.7, A.8: CR0.PE, NE, PG; CR4.VMXE).
  probe.caps.basic = 0x2b;
  probe.caps.cr0_fixed0 = 0x80000021;
  probe.caps.cr4_fixed0 = 0x2000;
  Batch batch;
  batch.add_list(qemu::vmx_enable_commands(probe.caps));
  const BatchOutcome out = run_batch({}, batch);
  ASSERT_EQ(out.failure, "");
  ASSERT_EQ(out.lists[0].size(), 4u);
  EXPECT_EQ(out.lists[0][3].vmx_fail, 0u) << "VMXON";
}

// The probed capabilities of the default CPU model (SDM Vol. 3C Appendix A, in stages).
qemu::VmxProbe probe_vmx() {
  qemu::VmxProbe probe;
  for (unsigned stage = 0; stage < qemu::kVmxProbeStages; ++stage) {
    Batch batch;
    batch.add_list(qemu::vmx_probe_stage(stage, probe));
    const BatchOutcome out = run_batch({}, batch);
    if (!out.failure.empty()) throw std::runtime_error(out.failure);
    qemu::read_vmx_probe_stage(stage, out.lists.front(), probe);
  }
  return probe;
}

// The VMCS the VM-entry tests start from: model::vmx::valid_vmcs on the CPU's own MSRs, plus
// the VMX-preemption timer, so that an entry that does succeed comes back.
spec::vmx::VmcsValues<spec::Concrete> base_vmcs(const spec::vmx::VmxCapabilities& caps) {
  namespace v = spec::vmx;
  auto m = model::vmx::valid_vmcs(caps);
  m.values[*v::field_position(v::vmcs_field::pin_based_controls)] |= 1u << v::pin::preemption_timer;
  m.values[*v::field_position(v::vmcs_field::vmx_preemption_timer_value)] = 1u << 16;
  return m;
}
// A VM entry of `vmcs`: its non-zero fields but the host state (the L1 writes its own).
qemu::VmEntryRequest entry_of(const spec::vmx::VmcsValues<spec::Concrete>& vmcs) {
  namespace v = spec::vmx;
  qemu::VmEntryRequest req;
  for (std::size_t f = 0; f < v::kVmcsFieldCount; ++f)
    if (vmcs.values[f] && v::field_type(v::kVmcsFieldTable[f].encoding) != v::FieldType::host)
      req.fields.emplace_back(v::kVmcsFieldTable[f].encoding, vmcs.values[f]);
  return req;
}
// What a VMLAUNCH did, as the spec names outcomes (27.8).
spec::vmx::EntryOutcome outcome_of(const qemu::VmExitRecord& e) {
  namespace v = spec::vmx;
  if (e.vmfail == VT_VMX_FAIL_VALID) return {v::EntryOutcomeKind::vm_fail_valid, static_cast<unsigned>(e.instruction_error), 0};
  if (e.vmfail) return {v::EntryOutcomeKind::vm_fail_valid, 0, 0};
  if (e.exit_reason >> 31) return {v::EntryOutcomeKind::entry_failure, static_cast<unsigned>(e.exit_reason & 0xffff), e.qualification};
  return {};
}

// VMREAD and VMWRITE of every VMCS component the SDM defines (Appendix B), full and high
// access, against spec/vmx/vmread_vmwrite.hpp on the CPU's own capability MSRs: the
// VMfail outcome and VM-instruction error (31.3: 12 for a component the processor lacks, 13
// for a read-only one unless IA32_VMX_MISC[29]) and the value read back after a write.
TEST(BochsVmx, VmreadAndVmwriteOfEveryComponentAgreeWithTheSpec) {
  REQUIRE_BOCHS();
  namespace v = spec::vmx;
  const qemu::VmxProbe probe = probe_vmx();
  ASSERT_TRUE(probe.vmx);
  const auto& caps = probe.caps;
  constexpr std::uint64_t kPattern = 0xfedcba9876543210ull;
  std::vector<Command> list = qemu::vmx_enable_commands(caps);
  list.push_back(qemu::write_command(VT_L1_VMCS, caps.revision(), 4));
  list.push_back(qemu::vmx_region_command(VT_QC_VMCLEAR, VT_L1_VMCS));
  list.push_back(qemu::vmx_region_command(VT_QC_VMPTRLD, VT_L1_VMCS));
  const std::size_t first = list.size();
  std::vector<std::uint32_t> operands;
  for (const auto& f : v::kVmcsFieldTable) {
    operands.push_back(f.encoding);
    if (v::field_width(f.encoding) == v::FieldWidth::bits64) operands.push_back(f.encoding | 1);  // the high access
  }
  for (std::uint32_t e : operands) {
    list.push_back(qemu::vmwrite_command(e, kPattern));
    list.push_back(qemu::vmread_command(v::vmcs_field::vm_instruction_error));
    list.push_back(qemu::vmread_command(e));
    list.push_back(qemu::vmread_command(v::vmcs_field::vm_instruction_error));
  }
  Batch batch;
  batch.add_list(list);
  const BatchOutcome out = run_batch({}, batch);
  ASSERT_EQ(out.failure, "");
  const auto& done = out.lists.front();
  for (std::size_t i = 0; i < first; ++i) ASSERT_EQ(done[i].vmx_fail, 0u) << "setup command " << i;
  // The spec's stored values, written in the same order.
  std::vector<std::uint64_t> stored(v::kVmcsFieldCount, 0);
  std::vector<std::string> differences;
  for (std::size_t k = 0; k < operands.size(); ++k) {
    const std::uint32_t e = operands[k];
    const Command& write = done[first + 4 * k];
    const Command& write_error = done[first + 4 * k + 1];
    const Command& read = done[first + 4 * k + 2];
    const Command& read_error = done[first + 4 * k + 3];
    const auto want_write = v::vmwrite_error(e, caps), want_read = v::vmread_error(e, caps);
    auto outcome = [](const Command& c, const Command& error) {
      return c.vmx_fail == VT_VMX_FAIL_VALID ? fmt::format("VMfailValid({})", error.result) : qemu::describe_vmx_fail(c.vmx_fail);
    };
    auto wanted = [](const std::optional<v::VmInstructionError>& err) {
      return err ? fmt::format("VMfailValid({})", static_cast<unsigned>(*err)) : std::string("VMsucceed");
    };
    if (outcome(write, write_error) != wanted(want_write))
      differences.push_back(fmt::format("VMWRITE {:#06x}: {} (spec: {})", e, outcome(write, write_error), wanted(want_write)));
    if (!want_write) {
      const auto c = *v::component_of(e);
      stored[c.position] = v::write_component(c, stored[c.position], kPattern);
    }
    if (outcome(read, read_error) != wanted(want_read))
      differences.push_back(fmt::format("VMREAD {:#06x}: {} (spec: {})", e, outcome(read, read_error), wanted(want_read)));
    else if (!want_read && read.vmx_fail == 0) {
      const auto c = *v::component_of(e);
      const std::uint64_t want = v::read_component(c, stored[c.position]);
      if (read.result != want)
        differences.push_back(fmt::format("VMREAD {:#06x} ({}) after VMWRITE {:#x}: {:#x} (spec: {:#x})", e,
                                          v::kVmcsFieldTable[c.position].name, kPattern, read.result, want));
    }
  }
  std::string all;
  for (const auto& d : differences) all += d + "\n";
  // None: every component agrees. (The one difference the first run found was vtspec's: the
  // executive-VMCS pointer had been given an existence condition Table B-4 does not have.)
  EXPECT_TRUE(differences.empty()) << all;
}

// The VM-entry checks of SDM Vol. 3C 27.2.1 and 27.3.1 (spec/vmx/vm_entry_*_checks.hpp), one at
// a time on Bochs. For each check, a witness: the VMCS of model::vmx::valid_vmcs on the CPU's
// own MSRs (plus the VMX-preemption timer, so that an entry that does succeed comes back),
// with one field changed so that this check, and no other, fails - the first change found
// among flipping one bit, clearing or setting every bit of a field the check reads; for a
// check that does not apply to that VMCS, one or two such changes first that make it apply
// with every check passing. VMLAUNCH
// on Bochs must then give the outcome spec::vmx::evaluate_entry gives (27.8: VMfailValid(7),
// exit 33 with the check's qualification). The host-state checks (27.2.2-27.2.3) are not
// here: the L1 writes the host-state area with its own state at every VMLAUNCH.
TEST(BochsVmx, EveryEntryCheckWithASingleFieldWitnessGivesTheSpecsOutcome) {
  REQUIRE_BOCHS();
  namespace v = spec::vmx;
  using spec::Concrete;
  const qemu::VmxProbe probe = probe_vmx();
  ASSERT_TRUE(probe.vmx);
  const auto& caps = probe.caps;
  v::VmcsValues<Concrete> base = base_vmcs(caps);
  {
    const auto e = v::evaluate_entry(base, caps);
    ASSERT_EQ(e.allowed.size(), 1u);
    ASSERT_EQ(e.allowed[0].kind, v::EntryOutcomeKind::success) << "the base VMCS must pass every check";
  }
  const auto& table = v::vm_entry_checks<Concrete>();
  struct Witness {
    std::size_t row;
    v::VmcsValues<Concrete> vmcs;
    v::EntryOutcome outcome;
  };
  std::vector<Witness> witnesses;
  std::size_t without = 0;
  for (std::size_t r = 0; r < table.size(); ++r) {
    if (table[r].kind != v::EntryCheckClass::control && table[r].kind != v::EntryCheckClass::guest_state) continue;
    // The single changes of a field the check reads (on `from`): clear it, set every bit,
    // flip one bit.
    auto changes = [&](const v::VmcsValues<Concrete>& from) {
      std::vector<bool> read(v::kVmcsFieldCount, false);
      from.reads = &read;
      (void)v::verdict_of(table[r], v::EntryInput<Concrete>{from, caps});
      from.reads = nullptr;
      std::vector<std::pair<std::size_t, std::uint64_t>> out;
      for (std::size_t f = 0; f < v::kVmcsFieldCount; ++f) {
        if (!read[f] || v::field_type(v::kVmcsFieldTable[f].encoding) == v::FieldType::host) continue;
        out.emplace_back(f, 0);
        out.emplace_back(f, ~std::uint64_t{0});
        for (unsigned b = 0; b < 64; ++b) out.emplace_back(f, from.values[f] ^ (std::uint64_t{1} << b));
      }
      return out;
    };
    auto witness_in = [&](const v::VmcsValues<Concrete>& from) -> std::optional<Witness> {
      for (const auto& [f, value] : changes(from)) {
        v::VmcsValues<Concrete> m = from;
        m.values[f] = value;
        const auto e = v::evaluate_entry(m, caps);
        std::size_t failing = 0;
        bool this_one = false;
        for (const auto& res : e.results)
          if (res.verdict == v::CheckVerdict::fail) {
            ++failing;
            this_one = this_one || res.row == r;
          }
        if (failing == 1 && this_one && e.allowed.size() == 1) return Witness{r, m, e.allowed[0]};
      }
      return std::nullopt;
    };
    std::optional<Witness> found = witness_in(base);
    // A check that does not apply to the base VMCS (its condition is another control's, or
    // a field's): first one change that makes it apply with every check still passing, then
    // the witness from there.
    // Up to two such changes (the second among the fields the check reads after the first).
    auto passes_everything = [&](const v::VmcsValues<Concrete>& m) {
      const auto e = v::evaluate_entry(m, caps);
      return e.allowed.size() == 1 && e.allowed[0].kind == v::EntryOutcomeKind::success;
    };
    auto applies = [&](const v::VmcsValues<Concrete>& m) {
      return v::verdict_of(table[r], v::EntryInput<Concrete>{m, caps}) != v::CheckVerdict::not_applicable;
    };
    if (!found && !applies(base)) {
      for (const auto& [f, value] : changes(base)) {
        v::VmcsValues<Concrete> m = base;
        m.values[f] = value;
        if (applies(m) && passes_everything(m) && (found = witness_in(m))) break;
      }
      for (const auto& [f, value] : changes(base)) {
        if (found) break;
        v::VmcsValues<Concrete> m = base;
        m.values[f] = value;
        if (m.values[f] == base.values[f] || applies(m)) continue;
        for (const auto& [g, second] : changes(m)) {
          if (g == f) continue;
          v::VmcsValues<Concrete> n = m;
          n.values[g] = second;
          if (applies(n) && passes_everything(n) && (found = witness_in(n))) break;
        }
      }
    }
    if (found) witnesses.push_back(std::move(*found));
    else {
      ++without;
      if (std::getenv("VTSPEC_SHOW_UNWITNESSED")) std::printf("no witness: %s\n", table[r].id.c_str());
    }
  }
  ASSERT_FALSE(witnesses.empty());
  // Every witness in one boot: each VM entry from a fresh VMCS (qemu::append_vm_entry).
  std::vector<Command> list = qemu::vmx_enable_commands(caps);
  const std::size_t setup = list.size();
  std::vector<qemu::VmEntryRequest> requests;
  for (const auto& w : witnesses) {
    requests.push_back(entry_of(w.vmcs));
    qemu::append_vm_entry(list, requests.back(), caps.revision());
  }
  Batch batch;
  batch.add_list(list);
  RunConfig config;
  config.timeout = std::chrono::milliseconds(60000);
  const BatchOutcome out = run_batch(config, batch);
  ASSERT_EQ(out.failure, "");
  std::size_t pos = setup, agree = 0;
  std::vector<std::string> differences;
  for (std::size_t i = 0; i < witnesses.size(); ++i) {
    const qemu::VmExitRecord e = qemu::read_vm_exit(out.lists.front(), pos, requests[i]);
    ASSERT_EQ(e.failure, "") << table[witnesses[i].row].id;
    const v::EntryOutcome seen = outcome_of(e);
    if (seen == witnesses[i].outcome) {
      ++agree;
      continue;
    }
    std::string change;
    for (std::size_t f = 0; f < v::kVmcsFieldCount; ++f)
      if (witnesses[i].vmcs.values[f] != base.values[f])
        change += fmt::format("{}{} {:#x} -> {:#x}", change.empty() ? "" : ", ", v::kVmcsFieldTable[f].name, base.values[f],
                              witnesses[i].vmcs.values[f]);
    differences.push_back(fmt::format("{} ({}), {}: {} (spec: {})", table[witnesses[i].row].id, table[witnesses[i].row].sdm,
                                      change, v::describe(seen), v::describe(witnesses[i].outcome)));
  }
  std::string all;
  for (const auto& d : differences) all += d + "\n";
  std::printf("%zu checks with a single-field witness: %zu agree with the spec; %zu checks have none\n%s", witnesses.size(), agree,
              without, all.c_str());
  // docs/bochs-divergences.md sections 4-7 (pinned: when one changes, Bochs changed, or the spec).
  const std::vector<std::string> known = {
      "ctl.entry-to-smm-outside-smm (SDM Vol. 3C 27.2.1.3), vm_entry_controls 0x13fb -> 0x17fb: VM-entry failure, exit "
      "reason 33 (invalid guest state), exit qualification 0 (spec: VMfailValid(7: VM entry with invalid control field(s)))",
      "guest.debugctl-reserved (SDM Vol. 3C 27.3.1.1), guest_ia32_debugctl 0x0 -> 0xffffffffffffffff, vm_entry_controls 0x13fb "
      "-> 0x13ff: VM entry succeeds (spec: VM-entry failure, exit reason 33 (invalid guest state), exit qualification 0)",
      "guest.rip-linear-width (SDM Vol. 3C 27.3.1.4), guest_rip 0x401000 -> 0x1000000401000: VM entry succeeds (spec: VM-entry "
      "failure, exit reason 33 (invalid guest state), exit qualification 0)",
      "guest.pending-debug-bs-clear (SDM Vol. 3C 27.3.1.5), guest_interruptibility_state 0x0 -> 0x2, "
      "guest_pending_debug_exceptions 0x0 -> 0x4000: VM entry succeeds (spec: VM-entry failure, exit reason 33 (invalid guest "
      "state), exit qualification 0)",
  };
  EXPECT_EQ(differences, known) << all;
}

// The MSR-load checks of SDM Vol. 3C 27.4: a VM-entry MSR-load area of two entries, the
// first a valid IA32_PAT, the second failing one check at a time. The outcome must be
// spec::vmx::evaluate_entry's: a VM-entry failure with exit reason 34 and the failing entry's
// number (2) as the exit qualification (27.8); a valid second entry, success.
TEST(BochsVmx, MsrLoadChecksGiveTheSpecsOutcome) {
  REQUIRE_BOCHS();
  namespace v = spec::vmx;
  using spec::Concrete;
  const qemu::VmxProbe probe = probe_vmx();
  ASSERT_TRUE(probe.vmx);
  const auto& caps = probe.caps;
  constexpr std::uint64_t kArea = 0x300000, kPat = 0x277, kValidPat = 0x0007040600070406ull;
  v::VmcsValues<Concrete> base = base_vmcs(caps);
  auto at = [&](std::uint32_t e) -> std::uint64_t& { return base.values[*v::field_position(e)]; };
  at(v::vmcs_field::vm_entry_msr_load_count) = 2;
  at(v::vmcs_field::vm_entry_msr_load_address) = kArea;
  struct Case {
    const char* why;
    std::uint64_t index_and_reserved, data;
  };
  const Case cases[] = {
      {"a valid IA32_PAT", kPat, kValidPat},
      {"IA32_FS_BASE", 0xc0000100, 0},
      {"IA32_GS_BASE", 0xc0000101, 0},
      {"an x2APIC register (80BH)", 0x80b, 0},
      {"IA32_SMM_MONITOR_CTL", 0x9b, 0},
      {"bit 32 of the entry set", (1ull << 32) | kPat, kValidPat},
  };
  std::vector<Command> list = qemu::vmx_enable_commands(caps);
  const std::size_t setup = list.size();
  std::vector<qemu::VmEntryRequest> requests;
  std::vector<v::EntryEvaluation> spec_says;
  for (const auto& c : cases) {
    const std::vector<v::MsrLoadEntry<Concrete>> area = {{kPat, kValidPat}, {c.index_and_reserved, c.data}};
    spec_says.push_back(v::evaluate_entry(base, caps, area));
    qemu::VmEntryRequest req = entry_of(base);
    for (unsigned n = 0; n < 2; ++n) {  // the area's 16-byte entries (25.8.2, Table 25-16)
      req.host_before.push_back(qemu::write_command(kArea + 16 * n, area[n].index_and_reserved));
      req.host_before.push_back(qemu::write_command(kArea + 16 * n + 8, area[n].data));
    }
    qemu::append_vm_entry(list, req, caps.revision());
    requests.push_back(std::move(req));
  }
  Batch batch;
  batch.add_list(list);
  const BatchOutcome out = run_batch({}, batch);
  ASSERT_EQ(out.failure, "");
  std::size_t pos = setup;
  for (std::size_t i = 0; i < std::size(cases); ++i) {
    const qemu::VmExitRecord e = qemu::read_vm_exit(out.lists.front(), pos, requests[i]);
    ASSERT_EQ(e.failure, "") << cases[i].why;
    ASSERT_EQ(spec_says[i].allowed.size(), 1u) << cases[i].why;
    const v::EntryOutcome want = spec_says[i].allowed[0];
    const v::EntryOutcome seen = outcome_of(e);
    if (i > 0) {
      EXPECT_EQ(want.number, v::kExitMsrLoading) << cases[i].why << ": the case must fail an MSR-load check";
    }
    // docs/bochs-divergences.md §8: Bochs loads IA32_SMM_MONITOR_CTL outside SMM.
    if (cases[i].index_and_reserved == 0x9b) {
      EXPECT_EQ(seen.kind, v::EntryOutcomeKind::success) << "Bochs now refuses it: update docs/bochs-divergences.md §8";
      continue;
    }
    EXPECT_EQ(v::describe(seen), v::describe(want)) << cases[i].why;
  }
}

// VMXON, VMCLEAR, VMPTRLD, VMREAD, VMWRITE and VMLAUNCH in the error cases of SDM Vol. 3C 31.3
// that do not raise an exception (the L1 has no IDT), in one sequence, on Bochs and on the
// model's processor (model/processor/vmx_instructions.cpp, with Bochs's capability MSRs):
// VMfailInvalid without a current VMCS, VMfailValid with the instruction's error number with
// one (31.2, 31.4), success otherwise.
TEST(BochsVmx, VmxInstructionErrorsAgreeWithTheModel) {
  REQUIRE_BOCHS();
  namespace v = spec::vmx;
  const qemu::VmxProbe probe = probe_vmx();
  ASSERT_TRUE(probe.vmx);
  const auto& caps = probe.caps;
  constexpr std::uint64_t kVmxon = 0x200000, kVmcs = 0x201000, kWrongRevision = 0x202000;
  // The model's processor: CR0/CR4 with the fixed bits, the regions in memory.
  model::MachineState state;
  state.regs.cr0 |= caps.cr0_fixed0;
  state.regs.cr4 |= caps.cr4_fixed0;
  state.memory.write64(kVmxon, caps.revision());
  state.memory.write64(kVmcs, caps.revision());
  state.memory.write64(kWrongRevision, caps.revision() ^ 1);
  model::VmxState vmx;
  vmx.caps = caps;
  model::Processor m(state, vmx);
  auto op = [](const char* name, std::uint64_t address = 0, std::uint32_t field = 0, std::uint64_t value = 0) {
    model::Operation o = model::make_operation(*model::find_operation(name));
    o.address = address;
    o.field = field;
    o.value = value;
    return o;
  };
  struct Case {
    const char* why;
    model::Operation op;
  };
  const Case cases[] = {
      {"VMXON of an unaligned region", op("vmxon", kVmxon + 8)},
      {"VMXON", op("vmxon", kVmxon)},
      {"VMXON in VMX root operation, no current VMCS", op("vmxon", kVmxon)},
      {"VMPTRLD of a region with the wrong revision, no current VMCS", op("vmptrld", kWrongRevision)},
      {"VMREAD without a current VMCS", op("vmread", 0, v::vmcs_field::guest_rip)},
      {"VMPTRLD", op("vmptrld", kVmcs)},
      {"VMXON in VMX root operation", op("vmxon", kVmxon)},
      {"VMPTRLD of a region with the wrong revision", op("vmptrld", kWrongRevision)},
      {"VMPTRLD of the VMXON region", op("vmptrld", kVmxon)},
      {"VMCLEAR of the VMXON region", op("vmclear", kVmxon)},
      {"VMCLEAR of an unaligned address", op("vmclear", kVmcs + 8)},
      {"VMPTRLD of an unaligned address", op("vmptrld", kVmcs + 8)},
      {"VMREAD of an unsupported component", op("vmread", 0, 0x6fff)},
      {"VMWRITE of a guest-state field", op("vmwrite", 0, v::vmcs_field::guest_rip, 0x1234)},
      {"VMREAD of it", op("vmread", 0, v::vmcs_field::guest_rip)},
      {"VMWRITE of a read-only field (IA32_VMX_MISC[29] decides)", op("vmwrite", 0, v::vmcs_field::exit_qualification, 7)},
      {"VMLAUNCH with zero controls", op("vmlaunch")},
      {"VMCLEAR of the current VMCS", op("vmclear", kVmcs)},
      {"VMREAD after it: no current VMCS", op("vmread", 0, v::vmcs_field::guest_rip)},
  };
  // The model first: its outcomes, and whether the processor is in VMX operation after each.
  std::vector<std::vector<model::Event>> allowed;
  std::vector<bool> in_vmx;
  for (const auto& c : cases) {
    m.apply(c.op);
    allowed.push_back(m.last_allowed());
    in_vmx.push_back(m.vmx().in_vmx_operation);
  }
  // On Bochs: the same sequence, each instruction followed - in VMX operation, where VMREAD
  // does not raise #UD - by a VMREAD of the VM-instruction error (meaningful after a
  // VMfailValid).
  std::vector<Command> list = {qemu::set_cr_bits_command(0, caps.cr0_fixed0 & 0xffffffffu),
                               qemu::set_cr_bits_command(4, caps.cr4_fixed0 & 0xffffffffu),
                               qemu::write_command(kVmxon, caps.revision(), 4), qemu::write_command(kVmcs, caps.revision(), 4),
                               qemu::write_command(kWrongRevision, caps.revision() ^ 1, 4)};
  const std::size_t first = list.size();
  for (const auto& c : cases) {
    switch (c.op.kind) {
      case model::OperationKind::vmxon: list.push_back(qemu::vmx_region_command(VT_QC_VMXON, c.op.address)); break;
      case model::OperationKind::vmclear: list.push_back(qemu::vmx_region_command(VT_QC_VMCLEAR, c.op.address)); break;
      case model::OperationKind::vmptrld: list.push_back(qemu::vmx_region_command(VT_QC_VMPTRLD, c.op.address)); break;
      case model::OperationKind::vmread: list.push_back(qemu::vmread_command(static_cast<std::uint32_t>(c.op.field))); break;
      case model::OperationKind::vmwrite:
        list.push_back(qemu::vmwrite_command(static_cast<std::uint32_t>(c.op.field), c.op.value));
        break;
      default: list.push_back(qemu::vmlaunch_command(0, 0)); break;
    }
    if (in_vmx[&c - cases]) list.push_back(qemu::vmread_command(v::vmcs_field::vm_instruction_error));
  }
  Batch batch;
  batch.add_list(list);
  const BatchOutcome out = run_batch({}, batch);
  ASSERT_EQ(out.failure, "");
  const auto& done = out.lists.front();
  std::string differences;
  std::size_t at = first;
  for (std::size_t i = 0; i < std::size(cases); ++i) {
    const Command& c = done[at++];
    const std::uint64_t error = in_vmx[i] ? done[at++].result : 0;
    model::Event seen;
    if (c.vmx_fail == VT_VMX_FAIL_INVALID) seen = model::Event::vm_fail_invalid();
    else if (c.vmx_fail == VT_VMX_FAIL_VALID) seen = model::Event::vm_fail_valid(static_cast<unsigned>(error));
    else seen = model::Event::completed(cases[i].op.kind == model::OperationKind::vmread ? std::optional<std::uint64_t>(c.result)
                                                                                       : std::nullopt);
    // A VMLAUNCH the model fails for its host state too (the L1 writes Bochs's) may be 7 or 8.
    bool ok = false;
    for (const auto& a : allowed[i]) ok = ok || model::difference(a, seen).empty();
    if (!ok)
      differences += fmt::format("{}: Bochs {}, the model {}\n", cases[i].why, model::describe(seen), model::describe(allowed[i].front()));
  }
  EXPECT_EQ(differences, "");
  // The sequence reaches each kind of outcome (the model's, checked against Bochs above).
  std::set<std::string> kinds;
  for (const auto& a : allowed) kinds.insert(model::event_name(a.front()));
  EXPECT_EQ(kinds.size(), 3u) << "completed, VMfailInvalid and VMfailValid";
}

}  // namespace
}  // namespace vtspec::conformance::bochs
