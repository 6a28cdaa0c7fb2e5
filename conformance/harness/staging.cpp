// One step of the harness pipeline (encoding.hpp): the stores that load a vector's memory with guest writes.
#include "conformance/harness/encoding.hpp"

#include <cstring>
#include <set>

#include <fmt/format.h>

namespace vtspec::conformance::harness {

namespace {
constexpr std::uint64_t kPage = 4096;
template <typename T>
void put(std::vector<std::uint8_t>& bytes, std::uint64_t offset, const T& value) {
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}
}  // namespace

StageResult stage_memory(EncodedVector& encoded, std::span<const std::uint64_t> nonzero_frames,
                         const std::function<std::uint64_t(std::uint64_t)>& current, std::span<std::uint8_t> staging) {
  StageResult out;
  std::set<std::uint64_t> frames;
  for (std::uint64_t number : encoded.memory.frame_numbers()) frames.insert(number * kPage);
  frames.insert(nonzero_frames.begin(), nonzero_frames.end());
  std::uint64_t capacity = std::min<std::uint64_t>(staging.size(), VT_STAGING_SIZE) / 16;
  for (std::uint64_t frame : frames)
    for (std::uint64_t address = frame; address < frame + kPage; address += 8) {
      std::uint64_t want = encoded.memory.read64(address);
      if (current(address) == want) continue;
      if (out.stores == capacity) {
        out.error = fmt::format("more than {} stores to load the vector's memory", capacity);
        return out;
      }
      std::uint64_t pair[2] = {address, want};
      std::memcpy(staging.data() + out.stores * 16, pair, 16);
      ++out.stores;
    }
  vt_program_header header;
  std::memcpy(&header, encoded.program.data(), sizeof header);
  header.store_count = static_cast<std::uint32_t>(out.stores);
  put(encoded.program, 0, header);
  return out;
}

}  // namespace vtspec::conformance::harness
