// One step of the harness pipeline (encoding.hpp): the stores that load a vector's memory with guest writes.
#include "conformance/harness/encoding.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace vtspec::conformance::harness {

namespace {
constexpr std::uint64_t kPage = 4096;
}  // namespace

StageResult stage_memory(const EncodedVector& encoded, std::span<const std::uint64_t> nonzero_frames,
                         std::span<const std::uint8_t> current, std::span<std::uint8_t> staging) {
  StageResult out;
  std::vector<std::uint64_t> frames = encoded.memory.frame_numbers();
  for (std::uint64_t& number : frames) number *= kPage;
  frames.insert(frames.end(), nonzero_frames.begin(), nonzero_frames.end());
  std::sort(frames.begin(), frames.end());
  frames.erase(std::unique(frames.begin(), frames.end()), frames.end());
  static const std::uint8_t zero[kPage] = {};
  const std::uint64_t capacity = std::min<std::uint64_t>(staging.size(), VT_STAGING_SIZE) / 16;
  for (std::uint64_t frame : frames) {
    if (frame + kPage > current.size()) {
      out.error = fmt::format("frame {:#x} is outside the target's memory", frame);
      return out;
    }
    const std::uint8_t* want = encoded.memory.frame_bytes(frame / kPage);
    if (!want) want = zero;
    const std::uint8_t* have = current.data() + frame;
    if (std::memcmp(want, have, kPage) == 0) continue;  // most frames: as the previous vector left them
    for (std::uint64_t offset = 0; offset < kPage; offset += 8) {
      std::uint64_t w, h;
      std::memcpy(&w, want + offset, 8);
      std::memcpy(&h, have + offset, 8);
      if (w == h) continue;
      if (out.stores == capacity) {
        out.error = fmt::format("more than {} stores to load the vector's memory", capacity);
        return out;
      }
      const std::uint64_t pair[2] = {frame + offset, w};
      std::memcpy(staging.data() + out.stores * 16, pair, 16);
      ++out.stores;
    }
  }
  return out;
}

}  // namespace vtspec::conformance::harness
