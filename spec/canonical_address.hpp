// Canonical linear addresses, and what a reference to a non-canonical one raises.
//
// SDM Vol. 1 3.3.7.1 and Vol. 3A 4.5: in 64-bit mode a linear address is canonical when its
// bits 63 through N-1 are all equal, N being the number of linear-address bits the paging
// mode translates: 48 with 4-level paging, 57 with 5-level paging (CR4.LA57).
//
// SDM Vol. 3A 6.15 (Interrupt 12 #SS, Interrupt 13 #GP) and Vol. 1 3.3.7.1: a memory
// reference through a non-canonical address raises #SS(0) when it uses the SS segment (a
// stack reference) and #GP(0) otherwise. The check comes before paging: no paging-structure
// entry is read, no A/D flag set, and CR2 is not written.
#pragma once

#include <cstdint>

namespace vtspec::spec {

constexpr unsigned linear_address_bits(unsigned paging_levels) { return paging_levels == 5 ? 57 : 48; }

constexpr bool is_canonical(std::uint64_t linear, unsigned paging_levels) {
  const unsigned bits = linear_address_bits(paging_levels);
  const std::uint64_t high = linear >> (bits - 1);  // bits 63:N-1
  return high == 0 || high == (~std::uint64_t{0} >> (bits - 1));
}

enum class SegmentUse : std::uint8_t { data, stack };

struct NonCanonicalFault {
  unsigned vector;           // 12 (#SS) or 13 (#GP)
  std::uint64_t error_code;  // always 0
};

constexpr NonCanonicalFault non_canonical_fault(SegmentUse use) {
  return use == SegmentUse::stack ? NonCanonicalFault{12, 0} : NonCanonicalFault{13, 0};
}

}  // namespace vtspec::spec
