// Legacy-mode root entry, Intel VT-d 9.1 (Figure 9-1): 128 bits, one per PCI bus, at
// RTADDR_REG.RTA + bus * 16 (3.4.2).
//   bit 0       P, present
//   bits 11:1   reserved
//   bits 63:12  CTP, context-table pointer (bits 63:HAW treated as reserved)
//   bits 127:64 reserved (the upper-half context-table pointer is scalable/extended mode only)
#pragma once

#include "spec/domain.hpp"

namespace vtspec::spec::iommu {

namespace root {
inline constexpr unsigned present = 0;
constexpr std::uint64_t ctp_mask(unsigned haw) { return bit_range(haw - 1, 12); }
constexpr std::uint64_t reserved_lo(unsigned haw) { return bit_range(11, 1) | (haw < 64 ? bit_range(63, haw) : 0); }
inline constexpr std::uint64_t reserved_hi = ~std::uint64_t{0};
}  // namespace root

template <class D>
struct RootEntry {
  typename D::Word lo, hi;
  typename D::Bool is_present() const { return D::bit(lo, root::present); }
  typename D::Bool has_reserved(unsigned haw) const {
    return D::any(lo, root::reserved_lo(haw)) || D::any(hi, root::reserved_hi);
  }
  typename D::Word context_table(unsigned haw) const { return lo & D::word(root::ctp_mask(haw)); }
};

}  // namespace vtspec::spec::iommu
