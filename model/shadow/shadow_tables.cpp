#include "model/shadow/shadow_tables.hpp"

#include "spec/paging_entry.hpp"

namespace vtspec::model::shadow {

namespace {
constexpr std::uint64_t kTable = spec::bit_at(spec::pte::present) | spec::bit_at(spec::pte::writable) |
                                 spec::bit_at(spec::pte::user) | spec::bit_at(spec::pte::accessed);
constexpr std::uint64_t kFrame = 0x000ffffffffff000ull;  // bits 51:12 (the hardware's MAXPHYADDR is 52)
}  // namespace

ShadowTables::ShadowTables(HostPhysicalMemory& memory, std::uint64_t base)
    : base_(base), next_(base), root_(allocate(memory)) {}

std::uint64_t ShadowTables::allocate(HostPhysicalMemory& memory) {
  const std::uint64_t page = next_;
  next_ += PhysicalMemory::kFrameSize;
  memory.zero_frame(page);
  return page;
}

std::uint64_t ShadowTables::leaf_slot(HostPhysicalMemory& memory, std::uint64_t linear, bool make) {
  std::uint64_t table = root_;
  for (unsigned level = 4; level > 1; --level) {
    const std::uint64_t slot = table + ((linear >> (12 + 9 * (level - 1))) & 511) * 8;
    std::uint64_t entry = memory.read64(slot);
    if (!(entry & 1)) {
      if (!make) return 0;
      entry = allocate(memory) | kTable;
      memory.write64(slot, entry);
    }
    table = entry & kFrame;
  }
  return table + ((linear >> 12) & 511) * 8;
}

void ShadowTables::map(HostPhysicalMemory& memory, std::uint64_t linear, std::uint64_t leaf) {
  const std::uint64_t slot = leaf_slot(memory, linear, true);
  if (!(memory.read64(slot) & 1)) ++leaves_;
  memory.write64(slot, leaf);
}

void ShadowTables::unmap(HostPhysicalMemory& memory, std::uint64_t linear) {
  const std::uint64_t slot = leaf_slot(memory, linear, false);
  if (!slot || !(memory.read64(slot) & 1)) return;
  memory.write64(slot, 0);
  --leaves_;
}

void ShadowTables::clear(HostPhysicalMemory& memory) {
  memory = HostPhysicalMemory{};
  next_ = base_;
  root_ = allocate(memory);
  leaves_ = 0;
}

}  // namespace vtspec::model::shadow
