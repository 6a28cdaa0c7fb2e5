// VT-d non-recoverable fault reasons for legacy-mode DMA remapping, Intel VT-d Architecture
// Specification 7.1.3 (fault conditions and remapping hardware behavior) and Appendix A
// (non-recoverable fault reason encodings). The numbers agree with QEMU's
// hw/i386/intel_iommu_internal.h (VTD_FR_*).
//
// The walk (second_level_walk.hpp) says only WHAT failed (a tagged VtdWalkFailure); this file
// is the one separate rule that maps a failure to its reason code, like sail-riscv maps walk
// errors to exceptions.
#pragma once

#include <cstdint>

namespace vtspec::spec::iommu {

enum class DmaFaultReason : std::uint8_t {
  none = 0x0,
  root_not_present = 0x1,          // 7.1.3: root-entry P = 0
  context_not_present = 0x2,       // context-entry P = 0
  context_invalid = 0x3,           // invalid programming of a context entry (AW not in SAGAW, TT reserved/unsupported, SLPTPTR's entry unreadable)
  address_beyond_mgaw = 0x4,       // input address above 2^X - 1, X = min(MGAW, AGAW)
  write_denied = 0x5,              // write request, W = 0 in a second-level entry
  read_denied = 0x6,               // read request, R = 0 in a second-level entry
  paging_entry_access = 0x7,       // access to a second-level entry through ADDR (e.g. above HAW) failed
  root_table_access = 0x8,         // access to the root entry through RTADDR_REG failed
  context_table_access = 0x9,      // access to the context entry through the root's CTP failed
  root_reserved = 0xA,             // non-zero reserved field in a present root entry
  context_reserved = 0xB,          // non-zero reserved field in a present context entry
  paging_entry_reserved = 0xC,     // non-zero reserved field in a second-level entry with R or W set
  translation_type_blocked = 0xD,  // request blocked by the programming of TT in a present context entry
};

// What a legacy-mode translation (3.4.3 / 3.7) found wrong, in the order hardware checks:
// exactly one tag per failed walk.
enum class VtdWalkFailure : std::uint8_t {
  none,
  root_table_access,           // the root entry could not be read: RTADDR above HAW, or unbacked memory
  root_not_present,
  root_reserved,
  context_table_access,        // the context entry could not be read (CTP in unbacked memory)
  context_not_present,
  context_reserved,
  context_aw_unsupported,      // AW not set in CAP.SAGAW
  context_tt_reserved,         // TT = 11b, or 10b without ECAP.PT, or 01b without ECAP.DT
  input_beyond_width,          // IOVA beyond min(MGAW, AGAW)
  top_table_access,            // the entry SLPTPTR references could not be read (reason 3, 7.1.3)
  table_access,                // an entry a second-level entry's ADDR references could not be read
  entry_reserved,
  read_denied,                 // R = 0 (including a not-present entry, R = W = 0) on a read
  write_denied,                // W = 0 on a write
};

// The one table from walk failures to fault reasons (7.1.3, Appendix A).
constexpr DmaFaultReason fault_reason(VtdWalkFailure f) {
  switch (f) {
    case VtdWalkFailure::none: return DmaFaultReason::none;
    case VtdWalkFailure::root_table_access: return DmaFaultReason::root_table_access;
    case VtdWalkFailure::root_not_present: return DmaFaultReason::root_not_present;
    case VtdWalkFailure::root_reserved: return DmaFaultReason::root_reserved;
    case VtdWalkFailure::context_table_access: return DmaFaultReason::context_table_access;
    case VtdWalkFailure::context_not_present: return DmaFaultReason::context_not_present;
    case VtdWalkFailure::context_reserved: return DmaFaultReason::context_reserved;
    case VtdWalkFailure::context_aw_unsupported: return DmaFaultReason::context_invalid;
    case VtdWalkFailure::context_tt_reserved: return DmaFaultReason::context_invalid;
    case VtdWalkFailure::input_beyond_width: return DmaFaultReason::address_beyond_mgaw;
    // 7.1.3 reason 3 names "hardware attempt to access the second-level paging entry
    // referenced through the SLPTPTR field resulted in an error" among the invalid
    // programming of a context entry; reason 7 the entries referenced through ADDR.
    case VtdWalkFailure::top_table_access: return DmaFaultReason::context_invalid;
    case VtdWalkFailure::table_access: return DmaFaultReason::paging_entry_access;
    case VtdWalkFailure::entry_reserved: return DmaFaultReason::paging_entry_reserved;
    case VtdWalkFailure::read_denied: return DmaFaultReason::read_denied;
    case VtdWalkFailure::write_denied: return DmaFaultReason::write_denied;
  }
  return DmaFaultReason::none;
}

}  // namespace vtspec::spec::iommu
