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
#include "vectors/format/vmx_yaml.hpp"
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
  // The model's profile bochs-2.7 holds what this CPU reports (model/vmx/vmx_profiles.cpp);
  // the VMX vectors of the corpus are generated on it.
  const auto* profile = model::vmx::find_vmx_profile("bochs-2.7");
  ASSERT_NE(profile, nullptr);
  EXPECT_EQ(vectors::vmx_capabilities_difference(probe.caps, profile->caps), "")
      << "Bochs reports other VMX capability MSRs (probed / profile): update the profile and regenerate the corpus";
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

// The VM-entry checks (27.2-27.4) and the VMX instructions' errors (31.3, 31.4) run on Bochs
// as corpus vectors: vectors/corpus/vmx (ctest corpus.vmx_on_bochs; the divergences in
// docs/bochs-divergences.md §4-§9).

}  // namespace
}  // namespace vtspec::conformance::bochs
