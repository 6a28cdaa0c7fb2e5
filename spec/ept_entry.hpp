// Bit layout of EPT paging-structure entries and the EPT-misconfiguration conditions,
// SDM Vol. 3C 29.3.2 (Tables 29-1 to 29-7) and 29.3.3.1.
#pragma once

#include "spec/domain.hpp"
#include "spec/paging_mode.hpp"

namespace vtspec::spec::epte {

inline constexpr unsigned read = 0;
inline constexpr unsigned write = 1;
inline constexpr unsigned execute = 2;            // supervisor-mode execute when MBEC = 1
inline constexpr unsigned memory_type_lo = 3;     // bits 5:3, leaf only
inline constexpr unsigned ignore_pat = 6;         // leaf only
inline constexpr unsigned page_size = 7;          // PDPTE (1 GByte) / PDE (2 MByte)
inline constexpr unsigned accessed = 8;           // when EPTP[6] = 1
inline constexpr unsigned dirty = 9;              // leaf only, when EPTP[6] = 1
inline constexpr unsigned user_execute = 10;      // when mode-based execute control = 1
inline constexpr unsigned suppress_ve = 63;

// Bits that are reserved in a present entry at `level`. SDM 29.3.2: bits 51:N everywhere;
// bits 7:3 in a PML5E/PML4E; bits 6:3 in a non-leaf PDPTE or PDE; bits 29:12 of a 1-GByte
// leaf and 20:12 of a 2-MByte leaf. PS is reserved where the processor lacks that page
// size (IA32_VMX_EPT_VPID_CAP bits 16 and 17).
constexpr std::uint64_t reserved_mask(unsigned level, bool large, unsigned maxphyaddr) {
  std::uint64_t mask = above_maxphyaddr_mask(maxphyaddr);
  if (level >= 4) mask |= bit_range(7, 3);
  else if (level >= 2 && !large) mask |= bit_range(6, 3);
  if (large && level == 3) mask |= bit_range(29, 12);
  if (large && level == 2) mask |= bit_range(20, 12);
  return mask;
}

// Memory types 2, 3 and 7 are reserved in a leaf's bits 5:3 (29.3.3.1, 29.3.7).
constexpr bool memory_type_reserved(unsigned type) { return type == 2 || type == 3 || type == 7; }

}  // namespace vtspec::spec::epte
