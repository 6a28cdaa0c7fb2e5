// A VT-d remapping unit and edu DMA engines on a QEMU machine, driven through the proxy:
// the register-level programming of Intel VT-d chapter 10 and the register-based
// invalidation of 6.5.1, typed. What the tables say is the caller's (they are in guest RAM,
// Machine::ram()); this file only sequences registers and decodes the fault records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "conformance/qemu_platform/qemu_machine.hpp"

namespace vtspec::conformance::qemu {

// QEMU's DMAR unit on q35 (hw/i386/intel_iommu.c, Q35_HOST_BRIDGE_IOMMU_ADDR).
inline constexpr std::uint64_t kDmarBase = 0xfed90000;

// Register offsets, VT-d 10.4.
namespace dmar {
inline constexpr unsigned kCap = 0x08, kEcap = 0x10, kGcmd = 0x18, kGsts = 0x1c, kRtaddr = 0x20,
                          kCcmd = 0x28, kFsts = 0x34, kIqh = 0x80, kIqt = 0x88, kIqa = 0x90, kIcs = 0x9c;
inline constexpr std::uint32_t kTranslationEnable = 1u << 31;  // GCMD/GSTS.TE (10.4.4)
inline constexpr std::uint32_t kSetRootTablePointer = 1u << 30;  // GCMD.SRTP / GSTS.RTPS
inline constexpr std::uint32_t kQueuedInvalidationEnable = 1u << 26;  // GCMD.QIE / GSTS.QIES
}  // namespace dmar

// Context-cache invalidation granularity (CCMD.CIRG, VT-d 10.4.7) and IOTLB invalidation
// granularity (IOTLB_REG.IIRG, 10.4.8.1).
enum class ContextInvalidation : unsigned { global = 1, domain = 2, device = 3 };
enum class IotlbInvalidation : unsigned { global = 1, domain = 2, page = 3 };

// One primary fault record (FRCD_REG, VT-d 10.4.14).
struct FaultRecord {
  unsigned reason = 0;        // FR, bits 103:96
  std::uint16_t source_id = 0;  // SID, bits 79:64
  std::uint64_t address = 0;  // FI, bits 63:12 (the page of the faulting request)
  bool read = false;          // T, bit 126: 1 = read request
};

// What a DMA did: it completed, or the unit recorded a fault for it (or, with FSTS.PFO, the
// fault was not recorded because the record was full: `overflow`).
struct DmaResult {
  std::optional<FaultRecord> fault;
  bool overflow = false;
};

class VtdUnit {
 public:
  // Finds the DMAR unit and the edu devices at `edu_bdfs`, enables their bus mastering and
  // reads CAP/ECAP. Throws MachineFailure when a device is missing.
  VtdUnit(Machine& machine, std::vector<std::uint16_t> edu_bdfs);

  std::uint64_t cap() const { return cap_; }
  std::uint64_t ecap() const { return ecap_; }

  // RTADDR and GCMD.SRTP, waiting for GSTS.RTPS (10.4.4, 10.4.6).
  void set_root_table(std::uint64_t address);
  void set_translation(bool enable);
  // Register-based invalidation, waiting for completion (VT-d 6.5.1.1, 6.5.1.2).
  void invalidate_context(ContextInvalidation granularity, std::uint16_t domain_id = 0, std::uint16_t source_id = 0);
  void invalidate_iotlb(IotlbInvalidation granularity, std::uint16_t domain_id = 0, std::uint64_t address = 0,
                        unsigned address_mask = 0, bool hint = false);

  // Queued invalidation (VT-d 6.5.2): the invalidation queue at `queue` (a 4 KiB page of guest
  // RAM, 256 128-bit descriptors), GCMD.QIE. While it is on, invalidate_* submit descriptors
  // (cc_inv_dsc 6.5.2.1, iotlb_inv_dsc 6.5.2.3) followed by an inv_wait_dsc (6.5.2.8) that
  // writes `status` and is waited for; register-based invalidation is not used (6.5.2).
  void set_queued_invalidation(bool enable, std::uint64_t queue = 0, std::uint64_t status = 0);
  bool queued() const { return queued_; }

  // A DMA of `size` bytes (1-4095) by the edu device `bdf` between its buffer at `offset`
  // and device address `iova`: `to_memory` = a DMA write (device → RAM). Reads the fault
  // record and clears it (10.4.14: F is RW1C) before it returns.
  DmaResult dma(std::uint16_t bdf, std::uint64_t iova, unsigned size, bool to_memory, unsigned offset = 0);

 private:
  std::uint64_t fault_record_offset() const;  // CAP.FRO * 16 (10.4.2)
  std::uint64_t iotlb_offset() const;         // ECAP.IRO * 16 (10.4.3)
  std::uint64_t bar_of(std::uint16_t bdf) const;
  void submit(std::uint64_t lo, std::uint64_t hi);  // one descriptor, then a wait descriptor
  Machine& machine_;
  std::vector<std::pair<std::uint16_t, std::uint64_t>> edu_bars_;
  std::uint64_t cap_ = 0, ecap_ = 0;
  std::uint32_t persistent_ = 0;  // GCMD bits that stay set: TE, QIE (10.4.4)
  bool queued_ = false;
  std::uint64_t queue_ = 0, status_ = 0, tail_ = 0;
  std::uint32_t wait_token_ = 0;
};

}  // namespace vtspec::conformance::qemu
