// A command batch through a QEMU machine's mailbox (the executor of the kvm-vmx target, here
// on TCG): the host places a copy_in's bytes itself, in order with the commands around it;
// lists before `first` are reported done without running. Expected values are the bytes the
// commands write.
#include <gtest/gtest.h>

#include "conformance/qemu_platform/command_batch.hpp"

namespace vtspec::conformance::qemu {
namespace {

TEST(CommandBatch, RunsThroughTheMailboxWithTheHostPlacingTheCopies) {
  if (std::string why = qemu_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
  MachineConfig config;
  config.proxy = MachineConfig::Proxy::long_mode;
  Machine machine(config);
  Batch batch;
  batch.add_list({write_command(0x200000, 0x55)});  // list 0: not run (first = 1)
  const std::vector<std::uint8_t> bytes = {1, 2, 3, 4, 5, 6, 7, 8};
  batch.add_list({write_command(0x300000, 0x1111), batch.copy_in(0x300000, bytes), read_command(0x300000),
                  fill_zero_command(0x300000, 4), read_command(0x300000)});
  const BatchOutcome out = run_on_machine(machine, batch, 1);
  ASSERT_EQ(out.failure, "");
  EXPECT_EQ(out.completed, 2u);
  EXPECT_EQ(machine.read_ram64(0x200000), 0u) << "list 0 ran";
  ASSERT_EQ(out.lists[1].size(), 5u);
  EXPECT_EQ(out.lists[1][2].result, 0x0807060504030201u);  // the copy came after the write
  EXPECT_EQ(out.lists[1][4].result, 0x0807060500000000u);
}

}  // namespace
}  // namespace vtspec::conformance::qemu
