// The guest harness kernel as the host sees it: the flat image built from guest/ and its
// info block (harness_abi.h), embedded into the host program at build time.
#pragma once

#include <cstdint>
#include <span>

#include "conformance/harness/harness_abi.h"

namespace vtspec::conformance::harness {

std::span<const std::uint8_t> guest_image();
// The image's info block; validated (magic, ABI version, size) on first use.
const vt_info& guest_info();

}  // namespace vtspec::conformance::harness
