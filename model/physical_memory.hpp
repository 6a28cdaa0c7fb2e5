// Sparse physical memory: 4-KByte frames allocated on first write, zero elsewhere.
// Used for host-physical memory and, in native walks, for the guest's physical memory.
// Copies share their frames until one of them writes a frame (copy on write), so copying a
// machine is cheap (checker/proofs' shadow-coherence exploration copies one at every branch).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <vector>

namespace vtspec::model {

class PhysicalMemory {
 public:
  static constexpr std::uint64_t kFrameSize = 4096;

  std::uint64_t read64(std::uint64_t address) const {
    // Fast path, inline because every paging-structure reference of every walk comes here:
    // an aligned read from a recently used frame.
    if ((address & 7) == 0) {
      const std::uint64_t number = address / kFrameSize;
      const CacheSlot& slot = cache_[cache_index(number)];
      if (slot.number == number) {
        std::uint64_t v;
        std::memcpy(&v, slot.frame->data() + (address % kFrameSize), 8);
        return v;
      }
    }
    return read64_uncached(address);
  }
  void write64(std::uint64_t address, std::uint64_t value);
  std::uint8_t read8(std::uint64_t address) const;
  void write8(std::uint64_t address, std::uint8_t value);
  // Reads/writes of 1, 2, 4 or 8 bytes; an access may cross a frame boundary.
  std::uint64_t read(std::uint64_t address, unsigned size) const;
  void write(std::uint64_t address, unsigned size, std::uint64_t value);
  void set_bits64(std::uint64_t address, std::uint64_t bits) { write64(address, read64(address) | bits); }
  // The frame holding `address`, all zero (allocated if it was not).
  void zero_frame(std::uint64_t address);

  bool frame_present(std::uint64_t address) const { return frames_.count(address / kFrameSize) != 0; }
  // The kFrameSize bytes of frame `number`, or nullptr when it was never written (all zero).
  const std::uint8_t* frame_bytes(std::uint64_t number) const {
    const Frame* f = find(number);
    return f ? f->data() : nullptr;
  }
  std::vector<std::uint64_t> frame_numbers() const;
  void clear() {
    frames_.clear();
    forget_cache();
  }

  // The value-domain memory interface used by spec/ walks (see spec/guest_physical_port.hpp).
  std::uint64_t read_host(std::uint64_t address, unsigned /*level*/, bool active) const {
    return active ? read64(address) : 0;
  }

  PhysicalMemory() = default;
  PhysicalMemory(const PhysicalMemory& other);
  PhysicalMemory& operator=(const PhysicalMemory& other);
  // A moved-from memory is empty, and its cache must not point into the frames it gave away.
  PhysicalMemory(PhysicalMemory&& other) noexcept : frames_(std::move(other.frames_)), cache_(other.cache_) {
    other.clear();
  }
  PhysicalMemory& operator=(PhysicalMemory&& other) noexcept {
    if (this == &other) return *this;
    frames_ = std::move(other.frames_);
    cache_ = other.cache_;
    other.clear();
    return *this;
  }

 private:
  using Frame = std::array<std::uint8_t, kFrameSize>;
  const Frame* find(std::uint64_t number) const;
  Frame& frame_for_write(std::uint64_t number);
  std::uint64_t read64_uncached(std::uint64_t address) const;
  void forget_cache() { cache_.fill(CacheSlot{}); }

  std::unordered_map<std::uint64_t, std::shared_ptr<Frame>> frames_;  // shared with copies until written
  // A small direct-mapped cache of present frames: a two-dimensional walk touches up to ten
  // frames (guest and EPT tables) again and again, which a one-entry cache would thrash.
  // Frames leave this memory only by clear() and assignment, which empty the cache, and by
  // frame_for_write replacing a shared frame with its own copy, which updates the frame's
  // cache slot; so a cached pointer is never stale.
  struct CacheSlot {
    std::uint64_t number = ~std::uint64_t{0};
    const Frame* frame = nullptr;
  };
  static constexpr std::uint64_t kCacheSlots = 64;
  // Folding higher bits in keeps tables that sit at the same offset in different regions
  // (guest tables vs EPT tables, say) out of each other's slot.
  static std::size_t cache_index(std::uint64_t number) {
    return static_cast<std::size_t>((number ^ (number >> 6) ^ (number >> 12)) % kCacheSlots);
  }
  mutable std::array<CacheSlot, kCacheSlots> cache_{};
};

}  // namespace vtspec::model
