// Sparse physical memory: 4-KByte frames allocated on first write, zero elsewhere.
// Used for host-physical memory and, in native walks, for the guest's physical memory.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

namespace vtspec::model {

class PhysicalMemory {
 public:
  static constexpr std::uint64_t kFrameSize = 4096;

  std::uint64_t read64(std::uint64_t address) const;
  void write64(std::uint64_t address, std::uint64_t value);
  std::uint8_t read8(std::uint64_t address) const;
  void write8(std::uint64_t address, std::uint8_t value);
  // Reads/writes of 1, 2, 4 or 8 bytes; an access may cross a frame boundary.
  std::uint64_t read(std::uint64_t address, unsigned size) const;
  void write(std::uint64_t address, unsigned size, std::uint64_t value);
  void set_bits64(std::uint64_t address, std::uint64_t bits) { write64(address, read64(address) | bits); }

  bool frame_present(std::uint64_t address) const { return frames_.count(address / kFrameSize) != 0; }
  std::vector<std::uint64_t> frame_numbers() const;
  void clear() { frames_.clear(); last_number_ = ~std::uint64_t{0}; last_frame_ = nullptr; }

  // The value-domain memory interface used by spec/ walks (see spec/guest_physical_port.hpp).
  std::uint64_t read_host(std::uint64_t address, unsigned /*level*/, bool active) const {
    return active ? read64(address) : 0;
  }

  PhysicalMemory() = default;
  PhysicalMemory(const PhysicalMemory& other);
  PhysicalMemory& operator=(const PhysicalMemory& other);
  PhysicalMemory(PhysicalMemory&&) noexcept = default;
  PhysicalMemory& operator=(PhysicalMemory&&) noexcept = default;

 private:
  using Frame = std::array<std::uint8_t, kFrameSize>;
  const Frame* find(std::uint64_t number) const;
  Frame& frame_for_write(std::uint64_t number);

  std::unordered_map<std::uint64_t, std::unique_ptr<Frame>> frames_;
  // One-entry lookup cache: walks touch the same few frames again and again.
  mutable std::uint64_t last_number_ = ~std::uint64_t{0};
  mutable const Frame* last_frame_ = nullptr;
};

}  // namespace vtspec::model
