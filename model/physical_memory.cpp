#include "model/physical_memory.hpp"

#include <algorithm>
#include <cstring>

namespace vtspec::model {

PhysicalMemory::PhysicalMemory(const PhysicalMemory& other) { *this = other; }

PhysicalMemory& PhysicalMemory::operator=(const PhysicalMemory& other) {
  if (this == &other) return *this;
  frames_ = other.frames_;  // shared until written (frame_for_write)
  forget_cache();
  return *this;
}

const PhysicalMemory::Frame* PhysicalMemory::find(std::uint64_t number) const {
  CacheSlot& slot = cache_[cache_index(number)];
  if (slot.number == number) return slot.frame;
  auto it = frames_.find(number);
  if (it == frames_.end()) return nullptr;
  slot = {number, it->second.get()};
  return slot.frame;
}

PhysicalMemory::Frame& PhysicalMemory::frame_for_write(std::uint64_t number) {
  auto& slot = frames_[number];
  if (!slot) {
    slot = std::make_shared<Frame>();
    slot->fill(0);
  } else if (slot.use_count() > 1) {
    slot = std::make_shared<Frame>(*slot);  // another copy still reads the old one
  } else {
    return *slot;
  }
  CacheSlot& cached = cache_[cache_index(number)];
  if (cached.number == number) cached.frame = slot.get();
  return *slot;
}

std::uint64_t PhysicalMemory::read64_uncached(std::uint64_t address) const {
  if ((address & 7) == 0) {
    const Frame* f = find(address / kFrameSize);
    if (!f) return 0;
    std::uint64_t v;
    std::memcpy(&v, f->data() + (address % kFrameSize), 8);
    return v;
  }
  return read(address, 8);
}

void PhysicalMemory::write64(std::uint64_t address, std::uint64_t value) { write(address, 8, value); }

void PhysicalMemory::zero_frame(std::uint64_t address) { frame_for_write(address / kFrameSize).fill(0); }

std::uint8_t PhysicalMemory::read8(std::uint64_t address) const {
  const Frame* f = find(address / kFrameSize);
  return f ? (*f)[address % kFrameSize] : 0;
}

void PhysicalMemory::write8(std::uint64_t address, std::uint8_t value) {
  frame_for_write(address / kFrameSize)[address % kFrameSize] = value;
}

std::uint64_t PhysicalMemory::read(std::uint64_t address, unsigned size) const {
  std::uint64_t v = 0;
  for (unsigned i = 0; i < size; ++i) v |= std::uint64_t{read8(address + i)} << (8 * i);
  return v;
}

void PhysicalMemory::write(std::uint64_t address, unsigned size, std::uint64_t value) {
  const std::uint64_t offset = address % kFrameSize;
  if (offset + size <= kFrameSize) {  // within one frame: one lookup (little-endian, as x86)
    Frame& f = frame_for_write(address / kFrameSize);
    for (unsigned i = 0; i < size; ++i) f[offset + i] = static_cast<std::uint8_t>(value >> (8 * i));
    return;
  }
  for (unsigned i = 0; i < size; ++i) write8(address + i, static_cast<std::uint8_t>(value >> (8 * i)));
}

std::vector<std::uint64_t> PhysicalMemory::frame_numbers() const {
  std::vector<std::uint64_t> out;
  out.reserve(frames_.size());
  for (const auto& entry : frames_) out.push_back(entry.first);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace vtspec::model
