#include "conformance/qemu_platform/command_batch.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace vtspec::conformance::qemu {

namespace {
// A COPY whose source is an offset into the batch's data; serialize() makes it physical.
constexpr std::uint32_t kBatchRelative = 0;
bool batch_relative(const Command& c) { return c.kind == VT_QC_COPY && c.width == kBatchRelative; }
}  // namespace

Command Batch::copy_in(std::uint64_t to, std::span<const std::uint8_t> bytes) {
  Command c = copy_command(to, data_.size(), bytes.size());
  c.width = kBatchRelative;
  data_.insert(data_.end(), bytes.begin(), bytes.end());
  while (data_.size() % 8) data_.push_back(0);
  return c;
}

void Batch::add_list(std::vector<Command> list) { lists_.push_back(std::move(list)); }

std::span<const std::uint8_t> Batch::carried(const Command& c) const {
  if (!batch_relative(c) || c.value + c.mask > data_.size()) return {};
  return {data_.data() + c.value, c.mask};
}

std::vector<std::uint8_t> Batch::serialize() const {
  std::size_t list_bytes = 0;
  for (const auto& l : lists_) list_bytes += sizeof(vt_batch_list) + l.size() * sizeof(Command);
  const std::uint64_t data_at = VT_BATCH_BASE + sizeof(vt_batch_header) + list_bytes;
  std::vector<std::uint8_t> out(sizeof(vt_batch_header) + list_bytes + data_.size());
  vt_batch_header header{VT_BATCH_MAGIC, static_cast<std::uint32_t>(lists_.size()), out.size()};
  std::memcpy(out.data(), &header, sizeof header);
  std::size_t at = sizeof header;
  for (const auto& l : lists_) {
    vt_batch_list h{static_cast<std::uint32_t>(l.size()), 0};
    std::memcpy(out.data() + at, &h, sizeof h);
    at += sizeof h;
    for (Command c : l) {
      if (batch_relative(c)) {
        c.value += data_at;
        c.width = 8;
      }
      std::memcpy(out.data() + at, &c, sizeof c);
      at += sizeof c;
    }
  }
  if (!data_.empty()) std::memcpy(out.data() + at, data_.data(), data_.size());
  return out;
}

BatchOutcome run_on_machine(Machine& machine, const Batch& batch, std::size_t first) {
  const auto t0 = std::chrono::steady_clock::now();
  BatchOutcome out;
  out.lists = batch.lists();
  out.completed = std::min(first, out.lists.size());
  try {
    for (std::size_t l = out.completed; l < out.lists.size(); ++l) {
      auto& list = out.lists[l];
      // The commands between two host copies go through the mailbox together.
      std::size_t from = 0;
      for (std::size_t i = 0; i <= list.size(); ++i) {
        if (i < list.size() && !batch_relative(list[i])) continue;
        if (i > from) machine.run(std::span<Command>(list.data() + from, i - from));
        if (i < list.size()) machine.write_ram(list[i].address, batch.carried(list[i]));
        from = i + 1;
      }
      ++out.completed;
    }
  } catch (const MachineFailure& e) {
    out.failure = e.what();
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace vtspec::conformance::qemu
