// The Bochs platform on the real Bochs 2.7 (label bochs; SKIPPED without it): a batch runs
// through the boot sector and the proxy, results come back from port 0xE9, a hang is timed out
// with the lists before it kept. Expected values come from the commands themselves (bytes
// written and read back) and from Bochs's documented CPU (../shared/notes/targets.md: VMCS
// revision 0x2b; CPUID vendor "GenuineIntel").
#include <gtest/gtest.h>

#include <cstring>

#include "conformance/bochs_platform/bochs_machine.hpp"
#include "conformance/qemu_platform/vmx_unit.hpp"

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

}  // namespace
}  // namespace vtspec::conformance::bochs
