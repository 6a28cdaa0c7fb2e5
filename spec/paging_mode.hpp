// Static shape of a translation regime: how many levels a walk has and the physical-address
// width. These stay concrete in both domains because they bound the walk loops (SDM Vol. 3A
// 4.5: 4-level paging when CR4.LA57=0, 5-level paging when CR4.LA57=1; MAXPHYADDR from
// CPUID.80000008H:EAX[7:0], at most 52).
#pragma once

#include <cstdint>

namespace vtspec::spec {

inline constexpr unsigned kMaxLevels = 5;
inline constexpr unsigned kMaxPhysicalAddressWidth = 52;

// Level numbering follows the SDM: 5 = PML5, 4 = PML4, 3 = PDPT, 2 = PD, 1 = PT.
enum class TableLevel : std::uint8_t { pt = 1, pd = 2, pdpt = 3, pml4 = 4, pml5 = 5 };

struct WalkShape {
  unsigned levels = 4;            // 4 or 5
  unsigned maxphyaddr = 46;       // MAXPHYADDR, 36..52
};

// Bits [maxphyaddr-1 : 12] of an entry hold a 4-KByte aligned physical address.
constexpr std::uint64_t frame_mask(unsigned maxphyaddr) {
  return ((std::uint64_t{1} << maxphyaddr) - 1) & ~std::uint64_t{0xfff};
}
// Bits [51 : maxphyaddr] are reserved in every paging-structure entry (SDM 4.5, Tables 4-14..4-20).
constexpr std::uint64_t above_maxphyaddr_mask(unsigned maxphyaddr) {
  return maxphyaddr >= 52 ? 0 : (((std::uint64_t{1} << 52) - 1) & ~((std::uint64_t{1} << maxphyaddr) - 1));
}
// Bit position of the index field for a level: level 1 indexes bits 20:12 ... level 5 bits 56:48.
constexpr unsigned index_shift(unsigned level) { return 12 + 9 * (level - 1); }
constexpr const char* level_name(unsigned level) {
  switch (level) {
    case 5: return "PML5E";
    case 4: return "PML4E";
    case 3: return "PDPTE";
    case 2: return "PDE";
    case 1: return "PTE";
    default: return "?";
  }
}

}  // namespace vtspec::spec
