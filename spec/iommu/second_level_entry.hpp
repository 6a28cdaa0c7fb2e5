// Second-level paging entries, Intel VT-d 9.8 (Figures 9-7 .. 9-13; SL-PML5E .. SL-PTE).
//   bit 0        R, read
//   bit 1        W, write
//   bit 2        X (execute; ignored for the untranslated DMA requests modelled here)
//   bits 6:3     EMT/IPAT (leaf only; ignored in legacy mode without ECAP.MTS)
//   bit 7        PS: leaf at level 2 (2 MiB) or 3 (1 GiB) when CAP.SLLPS allows it;
//                reserved at levels 4 and 5, and at 2/3 without the SLLPS bit
//   bit 11       SNP (leaf; treated as ignored here)
//   bits HAW-1:12 ADDR; for a large leaf bits 20:12 (2 MiB) / 29:12 (1 GiB) are reserved
//   bits 51:HAW  reserved
//   bits 61:52, 63 ignored; bit 62 TM (leaf)
// An entry with R = W = 0 is not present (9.8); its other bits are not checked.
#pragma once

#include "spec/domain.hpp"
#include "spec/paging_mode.hpp"

namespace vtspec::spec::iommu {

namespace sle {
inline constexpr unsigned read = 0, write = 1, page_size = 7;

constexpr std::uint64_t address_mask(unsigned haw) { return bit_range(haw - 1, 12); }

// Reserved bits of a present entry at `level`, as leaf (`large` for levels 2/3) or not.
constexpr std::uint64_t reserved_mask(unsigned level, bool large, bool ps_allowed, unsigned haw) {
  std::uint64_t m = haw < 52 ? bit_range(51, haw) : 0;
  if (level >= 2 && !ps_allowed) m |= bit_at(page_size);
  if (large && level == 2) m |= bit_range(20, 12);
  if (large && level == 3) m |= bit_range(29, 12);
  return m;
}

// CAP.SLLPS (10.4.2): bit 0 of the field 2 MiB at level 2, bit 1 1 GiB at level 3.
constexpr bool ps_allowed(unsigned level, unsigned sllps) {
  return (level == 2 && (sllps & 1u)) || (level == 3 && (sllps & 2u));
}
}  // namespace sle

}  // namespace vtspec::spec::iommu
