// A batch of command lists for the platform proxy (mailbox_abi.h, "Batch mode"), and what a
// machine reports back for it. The same batch runs where the proxy reads it whole from a disk
// and answers on port 0xE9 (Bochs, conformance/bochs_platform) and through a QEMU machine's
// mailbox, one list at a time (run_on_machine below); either way the first lists that
// completed keep their results when a later one hangs.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "conformance/qemu_platform/qemu_machine.hpp"

namespace vtspec::conformance::qemu {

// Command lists and the bytes their COPY commands read, laid out as the proxy reads them.
class Batch {
 public:
  // A COPY of `bytes` (carried in the batch) to physical `to`.
  Command copy_in(std::uint64_t to, std::span<const std::uint8_t> bytes);
  void add_list(std::vector<Command> list);
  const std::vector<std::vector<Command>>& lists() const { return lists_; }
  // Header, lists, data (mailbox_abi.h), loaded at VT_BATCH_BASE.
  std::vector<std::uint8_t> serialize() const;
  // The bytes a copy_in command carries, or empty for any other command.
  std::span<const std::uint8_t> carried(const Command& command) const;

 private:
  std::vector<std::vector<Command>> lists_;
  std::vector<std::uint8_t> data_;
};

struct BatchOutcome {
  std::vector<std::vector<Command>> lists;  // the batch's lists with what the proxy reported
  std::size_t completed = 0;                // lists before the first one that did not finish
  // Empty when every list completed; otherwise what went wrong (hung and killed, the machine
  // exited or panicked), with the end of its log.
  std::string failure;
  double seconds = 0;
};

// The batch through a running machine's mailbox, list by list; the bytes of a copy_in are
// written into guest RAM by the host at their place in the list. The lists before `first`
// are reported completed without running (a machine that already ran them: its L1's setup).
// Never throws for a machine that hangs: the outcome says how far it got (and the machine is
// gone then).
BatchOutcome run_on_machine(Machine& machine, const Batch& batch, std::size_t first = 0);

}  // namespace vtspec::conformance::qemu
