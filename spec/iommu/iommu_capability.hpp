// Capability and extended-capability registers, Intel VT-d 10.4.2 (CAP_REG) and 10.4.3
// (ECAP_REG): the fields the legacy-mode model depends on.
#pragma once

#include <cstdint>

#include "spec/domain.hpp"

namespace vtspec::spec::iommu {

struct IommuCapability {
  std::uint64_t raw = 0;
  // 10.4.2: ND bits 2:0 (domains supported = 2^(4 + 2*ND)), SAGAW 12:8, MGAW 21:16
  // (value + 1 bits), FRO 33:24 (fault-recording offset, in 16-byte units), SLLPS 37:34
  // (bit 34: 2 MiB, bit 35: 1 GiB), NFR 47:40 (records = NFR + 1).
  unsigned nd() const { return static_cast<unsigned>(raw & 7); }
  std::uint64_t domains() const { return std::uint64_t{1} << (4 + 2 * nd()); }
  unsigned sagaw() const { return static_cast<unsigned>((raw >> 8) & 0x1f); }
  unsigned mgaw() const { return static_cast<unsigned>((raw >> 16) & 0x3f) + 1; }
  unsigned fro() const { return static_cast<unsigned>((raw >> 24) & 0x3ff); }
  unsigned sllps() const { return static_cast<unsigned>((raw >> 34) & 0xf); }
  unsigned nfr() const { return static_cast<unsigned>((raw >> 40) & 0xff); }
  unsigned fault_records() const { return nfr() + 1; }
  bool large_2m() const { return sllps() & 1u; }
  bool large_1g() const { return sllps() & 2u; }
  // SAGAW bit 1: 39-bit (3 levels), bit 2: 48-bit (4 levels), bit 3: 57-bit (5 levels).
  bool supports_aw(unsigned aw) const { return aw <= 4 && ((sagaw() >> aw) & 1u); }
};

struct IommuExtendedCapability {
  std::uint64_t raw = 0;
  // 10.4.3: QI bit 1, DT bit 2 (device-TLB), IR bit 3, SC bit 7 (snoop control),
  // EIM bit 4, PT bit 6 (pass-through), IRO 17:8 (IOTLB register offset, 16-byte units).
  bool qi() const { return (raw >> 1) & 1u; }
  bool dt() const { return (raw >> 2) & 1u; }
  bool pt() const { return (raw >> 6) & 1u; }
  bool sc() const { return (raw >> 7) & 1u; }
  unsigned iro() const { return static_cast<unsigned>((raw >> 8) & 0x3ff); }
};

// 9.3, AW field: 001b = 39-bit AGAW (3 levels), 010b = 48-bit (4), 011b = 57-bit (5).
constexpr unsigned agaw_bits(unsigned aw) { return 30 + 9 * aw; }
constexpr unsigned agaw_levels(unsigned aw) { return aw + 2; }

}  // namespace vtspec::spec::iommu
