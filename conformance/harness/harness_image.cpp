#include "conformance/harness/harness_image.hpp"

#include <cstring>
#include <stdexcept>

namespace vtspec::conformance::harness {
namespace detail {
extern const std::uint8_t kGuestImage[];
extern const std::size_t kGuestImageSize;
}  // namespace detail

static_assert(sizeof(vt_op) == 40 && sizeof(vt_result) == 48 && sizeof(vt_info) == 104);
static_assert(VT_READBACK_VALUES_OFFSET + VT_MAX_OPS * VT_MAX_READBACK * 8 <= VT_RESULTS_SIZE);
static_assert(sizeof(vt_program_header) + VT_MAX_OPS * sizeof(vt_op) + VT_MAX_READBACK * 8 <= VT_PROGRAM_SIZE);

std::span<const std::uint8_t> guest_image() { return {detail::kGuestImage, detail::kGuestImageSize}; }

const vt_info& guest_info() {
  static const vt_info info = [] {
    vt_info i{};
    if (detail::kGuestImageSize < sizeof i) throw std::runtime_error("harness image: shorter than its info block");
    std::memcpy(&i, detail::kGuestImage, sizeof i);
    if (i.magic != VT_INFO_MAGIC || i.abi_version != VT_ABI_VERSION)
      throw std::runtime_error("harness image: bad info block (magic or ABI version)");
    if (i.image_size > VT_IMAGE_MAX || i.image_size < detail::kGuestImageSize)
      throw std::runtime_error("harness image: size out of the region's image area");
    return i;
  }();
  return info;
}

}  // namespace vtspec::conformance::harness
