// Legacy-mode context entry, Intel VT-d 9.3 (Figure 9-3): 128 bits, one per device/function,
// at root.CTP + devfn * 16 (3.4.2).
//   bit 0       P, present
//   bit 1       FPD, fault processing disable (faults are not recorded, 7.1.2)
//   bits 3:2    TT, translation type: 00b untranslated requests translated through second
//               level; 01b as 00b and device-TLB (ATS) allowed (needs ECAP.DT); 10b pass-through
//               (needs ECAP.PT); 11b reserved
//   bits 11:4   reserved
//   bits 63:12  SLPTPTR, second-level page-table pointer (bits 63:HAW reserved)
//   bits 66:64  AW, address width: 001b 39-bit, 010b 48-bit, 011b 57-bit (must be in SAGAW)
//   bits 70:67  ignored
//   bit 71      reserved
//   bits 87:72  DID, domain identifier
//   bits 127:88 reserved
#pragma once

#include "spec/domain.hpp"

namespace vtspec::spec::iommu {

namespace ctx {
inline constexpr unsigned present = 0, fault_processing_disable = 1;
constexpr std::uint64_t slptptr_mask(unsigned haw) { return bit_range(haw - 1, 12); }
constexpr std::uint64_t reserved_lo(unsigned haw) { return bit_range(11, 4) | (haw < 64 ? bit_range(63, haw) : 0); }
inline constexpr std::uint64_t reserved_hi = bit_at(7) | bit_range(63, 24);
enum TranslationType : unsigned { untranslated = 0, device_tlb = 1, pass_through = 2, reserved_tt = 3 };
}  // namespace ctx

template <class D>
struct ContextEntry {
  using W = typename D::Word;
  using B = typename D::Bool;
  W lo, hi;
  B is_present() const { return D::bit(lo, ctx::present); }
  B fault_processing_disabled() const { return D::bit(lo, ctx::fault_processing_disable); }
  W translation_type() const { return D::field(lo, 3, 2); }
  W second_level_table(unsigned haw) const { return lo & D::word(ctx::slptptr_mask(haw)); }
  W address_width() const { return D::field(hi, 2, 0); }
  W domain_id() const { return D::field(hi, 23, 8); }
  B has_reserved(unsigned haw) const { return D::any(lo, ctx::reserved_lo(haw)) || D::any(hi, ctx::reserved_hi); }
};

}  // namespace vtspec::spec::iommu
