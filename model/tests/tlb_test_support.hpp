// Builds small machine states for the TLB tests: 4-level guest paging, optionally under an
// EPT that maps guest-physical [0, 1 MByte) to host-physical kEptOffset + GPA with 4-KByte
// pages. Page-table entries are written with their architectural bits (SDM Vol. 3A 4.5,
// Vol. 3C 29.3.2) so expected values in the tests come from the SDM, not from the model.
#pragma once

#include <cstdint>
#include <set>

#include "model/machine_state.hpp"
#include "model/processor/processor.hpp"

namespace vtspec::model::testing {

inline constexpr std::uint64_t P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;
inline constexpr std::uint64_t kUpper = P | RW | US | A;
inline constexpr std::uint64_t kEptOffset = 0x1000000;
inline constexpr std::uint64_t kEptRwx = 0x7 | (6u << 3) | 0x100;  // R W X, WB, A

struct GuestBuilder {
  MachineState state;
  std::uint64_t root = 0x1000;
  std::uint64_t next_table = 0x2000;

  explicit GuestBuilder(bool with_ept = false, std::uint64_t ept_root = 0x800000) {
    state.regs.cr3 = root;
    if (with_ept) {
      state.ept = EptSettings{ept_root | (3u << 3) | 6u, {}};
      build_ept(ept_root, kEptOffset);
    }
  }
  // AMD nested paging instead of EPT (APM Vol. 2 15.25): the same GPA -> kEptOffset + GPA map,
  // written as ordinary long-mode entries rooted at nCR3; every nested access is a user
  // access (15.25.5), so every level has U/S set.
  static GuestBuilder nested(unsigned asid = 1, std::uint64_t ncr3 = 0x800000) {
    GuestBuilder g;
    g.state.npt = NptSettings{ncr3, true, asid};
    const std::uint64_t pdpt = ncr3 + 0x1000, pd = ncr3 + 0x2000, pt = ncr3 + 0x3000;
    g.state.memory.write64(ncr3, pdpt | kUpper);
    g.state.memory.write64(pdpt, pd | kUpper);
    g.state.memory.write64(pd, pt | kUpper);
    for (std::uint64_t i = 0; i < 256; ++i) g.state.memory.write64(pt + 8 * i, (kEptOffset + i * 0x1000) | kUpper | D);
    return g;
  }
  static std::uint64_t nested_pte_address(std::uint64_t ncr3, std::uint64_t gpa) { return ncr3 + 0x3000 + 8 * (gpa >> 12); }
  // Identity-plus-offset EPT for GPA [0, 1 MByte): PML4[0] -> PDPT[0] -> PD[0] -> PT.
  void build_ept(std::uint64_t ept_root, std::uint64_t offset) {
    const std::uint64_t pdpt = ept_root + 0x1000, pd = ept_root + 0x2000, pt = ept_root + 0x3000;
    state.memory.write64(ept_root, pdpt | 0x107);
    state.memory.write64(pdpt, pd | 0x107);
    state.memory.write64(pd, pt | 0x107);
    for (std::uint64_t i = 0; i < 256; ++i) state.memory.write64(pt + 8 * i, (offset + i * 0x1000) | kEptRwx);
  }
  static std::uint64_t ept_pte_address(std::uint64_t ept_root, std::uint64_t gpa) { return ept_root + 0x3000 + 8 * (gpa >> 12); }

  std::uint64_t host(std::uint64_t gpa) const { return (state.ept || state.npt) ? gpa + kEptOffset : gpa; }
  std::uint64_t read(std::uint64_t gpa) const { return state.memory.read64(host(gpa)); }
  void write(std::uint64_t gpa, std::uint64_t v) { state.memory.write64(host(gpa), v); }

  // Guest-physical address of the entry at `level` for `va`, allocating upper tables.
  std::uint64_t entry_address(std::uint64_t va, unsigned level) {
    std::uint64_t table = root;
    for (unsigned l = 4; l > level; --l) {
      const std::uint64_t slot = table + ((va >> (12 + 9 * (l - 1))) & 511) * 8;
      std::uint64_t e = read(slot);
      if (!(e & P)) {
        e = next_table | kUpper;
        next_table += 0x1000;
        write(slot, e);
      }
      table = e & 0x000ffffffffff000ull;
    }
    return table + ((va >> (12 + 9 * (level - 1))) & 511) * 8;
  }
  std::uint64_t map4k(std::uint64_t va, std::uint64_t pa, std::uint64_t flags = P | RW | US | A | D) {
    const std::uint64_t slot = entry_address(va, 1);
    write(slot, pa | flags);
    return slot;
  }
};

// The physical addresses of every allowed translated outcome, and the error codes of every
// allowed #PF.
inline std::set<std::uint64_t> translations(const Processor& m, const AccessRequest& r) {
  std::set<std::uint64_t> out;
  for (const auto& a : m.allowed(r))
    if (a.outcome.kind == OutcomeKind::translated) out.insert(a.outcome.physical);
  return out;
}
inline std::set<std::uint64_t> page_faults(const Processor& m, const AccessRequest& r) {
  std::set<std::uint64_t> out;
  for (const auto& a : m.allowed(r))
    if (a.outcome.kind == OutcomeKind::page_fault) out.insert(a.outcome.error_code);
  return out;
}
using Set = std::set<std::uint64_t>;

inline AccessRequest request(std::uint64_t va, spec::AccessKind kind = spec::AccessKind::read, unsigned cpl = 0) {
  AccessRequest r;
  r.linear = va;
  r.kind = kind;
  r.cpl = cpl;
  return r;
}

inline Operation access_op(std::uint64_t va, spec::AccessKind kind = spec::AccessKind::read, unsigned cpl = 0) {
  Operation op;
  op.kind = OperationKind::access;
  op.access = request(va, kind, cpl);
  return op;
}
inline Operation op_of(OperationKind kind) {
  Operation op;
  op.kind = kind;
  return op;
}
inline Operation store(std::uint64_t gpa, std::uint64_t value) {
  Operation op = op_of(OperationKind::store_entry);
  op.address = gpa;
  op.value = value;
  return op;
}
inline Operation invlpg(std::uint64_t va) {
  Operation op = op_of(OperationKind::invlpg);
  op.address = va;
  return op;
}
inline Operation with_value(OperationKind kind, std::uint64_t value) {
  Operation op = op_of(kind);
  op.value = value;
  return op;
}
inline Operation invpcid(unsigned type, std::uint64_t pcid, std::uint64_t va = 0) {
  Operation op = op_of(OperationKind::invpcid);
  op.type = type;
  op.pcid = pcid;
  op.address = va;
  return op;
}
inline Operation invvpid(unsigned type, std::uint64_t vpid, std::uint64_t va = 0) {
  Operation op = op_of(OperationKind::invvpid);
  op.type = type;
  op.vpid = vpid;
  op.address = va;
  return op;
}
inline Operation invept(unsigned type, std::uint64_t eptp) {
  Operation op = op_of(OperationKind::invept);
  op.type = type;
  op.eptp = eptp;
  return op;
}
inline Operation vmrun(std::uint64_t asid, unsigned tlb_control, std::uint64_t clean_bits = 0) {
  Operation op = op_of(OperationKind::vmrun);
  op.asid = asid;
  op.type = tlb_control;
  op.clean_bits = clean_bits;
  return op;
}
inline Operation invlpga(std::uint64_t va, std::uint64_t asid) {
  Operation op = op_of(OperationKind::invlpga);
  op.address = va;
  op.asid = asid;
  return op;
}
inline Operation vm_entry(std::uint64_t vpid, std::uint64_t eptp = 0) {
  Operation op = op_of(OperationKind::vm_entry);
  op.vpid = vpid;
  op.eptp = eptp;
  return op;
}

}  // namespace vtspec::model::testing
