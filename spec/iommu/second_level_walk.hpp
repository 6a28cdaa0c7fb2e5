// Legacy-mode DMA address translation of an untranslated request, Intel VT-d 3.4.3
// (legacy-mode address translation), 3.7 (second-level translation) and 7.1.3 (fault
// conditions): root entry (9.1) -> context entry (9.3) -> 3, 4 or 5 levels of second-level
// paging entries (9.8).
//
// Why not spec/ept_walk.hpp through a port: the EPT walk's rules differ in exactly the places a
// port would have to override - presence (EPT: any of R/W/X; VT-d: R or W), write-only entries
// (an EPT misconfiguration, legal in VT-d), the leaf memory-type misconfiguration (none in
// legacy VT-d), the reserved masks (9.8 vs SDM 29.3.2) and the result (violation /
// misconfiguration vs a per-level permission failure, checked level by level). Parameterizing
// all of that would rewrite the EPT walk that the EPT proofs rest on, so this walk is separate,
// small and table-driven (sle::reserved_mask, sle::ps_allowed); it reads memory through the
// same port shape, `read_host(address, level, active)` (level 0 for root and context entries).
//
// Check order per level follows 7.1.3 and QEMU's vtd_iova_to_slpte: a missing permission for
// the access (R for a read, W for a write, so R = W = 0 is a permission fault) first, then
// reserved bits of the present entry, then leaf or next level.
//
// The result is WHAT failed (VtdWalkFailure); dma_fault_reason.hpp maps it to a reason code.
// Reasons 8, 9, 3 and 7 for a table read that errors come from the shape: an address beyond
// HAW, or in the platform's unbacked range (VtdShape::unbacked_*). Reason 0xD concerns ATS
// translation and translated requests, which are not modelled.
#pragma once

#include "spec/iommu/context_entry.hpp"
#include "spec/iommu/dma_fault_reason.hpp"
#include "spec/iommu/iommu_capability.hpp"
#include "spec/iommu/root_entry.hpp"
#include "spec/iommu/second_level_entry.hpp"
#include <algorithm>

#include "spec/per_level.hpp"

namespace vtspec::spec::iommu {

struct VtdShape {
  IommuCapability cap;
  IommuExtendedCapability ecap;
  unsigned haw = 39;  // host address width of the platform
  // Host-physical addresses where the platform has nothing, so a table read there errors
  // (7.1.3 reasons 8, 9, 3 and 7): [unbacked_begin, unbacked_end), empty by default.
  std::uint64_t unbacked_begin = 0, unbacked_end = 0;
};

// A table read at `address` errors: beyond the host address width, or in unbacked memory.
template <class D>
typename D::Bool access_errors(const VtdShape& shape, const typename D::Word& address) {
  typename D::Bool beyond = D::any(address, shape.haw < 64 ? bit_range(63, shape.haw) : 0);
  if (shape.unbacked_end > shape.unbacked_begin)
    beyond = beyond || (!D::ult(address, D::word(shape.unbacked_begin)) && D::ult(address, D::word(shape.unbacked_end)));
  return beyond;
}

template <class D>
struct DmaAccess {
  typename D::Word source_id;  // bus << 8 | device << 3 | function
  typename D::Word iova;
  typename D::Bool write;      // else read
};

template <class D>
struct VtdWalk {
  using W = typename D::Word;
  using B = typename D::Bool;
  B translated = D::truth(false);
  W failure = D::word(static_cast<std::uint64_t>(VtdWalkFailure::none));  // a VtdWalkFailure
  W physical = D::word(0);
  W domain_id = D::word(0);
  B fault_processing_disabled = D::truth(false);  // context FPD: the fault is not recorded (7.1.2)
  W leaf_level = D::word(0);
  W root_address = D::word(0), context_address = D::word(0);
  PerLevel<W> entry_address{D::word(0)};
  PerLevel<W> entry{D::word(0)};
  PerLevel<B> read{D::truth(false)};
};

// Records `f` as the failure when the walk is still `active` and `cond` holds; the walk stops.
template <class D>
void fail_if(VtdWalk<D>& w, typename D::Bool& active, const typename D::Bool& cond, VtdWalkFailure f) {
  const typename D::Bool now = active && cond;
  w.failure = D::ite(now, D::word(static_cast<std::uint64_t>(f)), w.failure);
  active = active && !cond;
}

template <class D, class HostMemory>
VtdWalk<D> walk_vtd(const VtdShape& shape, const typename D::Word& rtaddr, const DmaAccess<D>& req,
                    HostMemory& memory) {
  using W = typename D::Word;
  using B = typename D::Bool;
  VtdWalk<D> w;
  const unsigned haw = shape.haw;
  B active = D::truth(true);

  // 10.4.6 RTADDR_REG: RTA bits 63:12; a root table beyond HAW or in unbacked memory cannot
  // be accessed (reason 8).
  fail_if(w, active, D::any(rtaddr, haw < 64 ? bit_range(63, haw) : 0), VtdWalkFailure::root_table_access);
  // 3.4.2: the bus number indexes the root table, devfn the context table (16-byte entries).
  const W bus = D::field(req.source_id, 15, 8);
  const W devfn = D::field(req.source_id, 7, 0);
  w.root_address = (rtaddr & D::word(bit_range(haw - 1, 12))) | D::shift_left(bus, 4);
  fail_if(w, active, access_errors<D>(shape, w.root_address), VtdWalkFailure::root_table_access);
  const RootEntry<D> re{memory.read_host(w.root_address, 0, active), memory.read_host(w.root_address | D::word(8), 0, active)};
  fail_if(w, active, !re.is_present(), VtdWalkFailure::root_not_present);
  fail_if(w, active, re.has_reserved(haw), VtdWalkFailure::root_reserved);

  w.context_address = re.context_table(haw) | D::shift_left(devfn, 4);
  fail_if(w, active, access_errors<D>(shape, w.context_address), VtdWalkFailure::context_table_access);
  const ContextEntry<D> ce{memory.read_host(w.context_address, 0, active), memory.read_host(w.context_address | D::word(8), 0, active)};
  fail_if(w, active, !ce.is_present(), VtdWalkFailure::context_not_present);
  w.fault_processing_disabled = D::ite(active, ce.fault_processing_disabled(), D::truth(false));
  fail_if(w, active, ce.has_reserved(haw), VtdWalkFailure::context_reserved);
  // TT: 11b reserved; 10b needs ECAP.PT; 01b needs ECAP.DT (9.3) - invalid programming, reason 3.
  const W tt = ce.translation_type();
  const B tt_bad = tt == D::word(ctx::reserved_tt) || (shape.ecap.pt() ? D::truth(false) : tt == D::word(ctx::pass_through)) ||
                   (shape.ecap.dt() ? D::truth(false) : tt == D::word(ctx::device_tlb));
  fail_if(w, active, tt_bad, VtdWalkFailure::context_tt_reserved);
  w.domain_id = ce.domain_id();

  // 10.5.2.2 / 9.3: pass-through - the output address is the input address.
  const B pass = tt == D::word(ctx::pass_through);
  w.physical = D::ite(active && pass, req.iova, w.physical);
  w.translated = active && pass;
  active = active && !pass;

  // AW must be one of CAP.SAGAW's widths (reason 3); the IOVA must fit in min(MGAW, AGAW) (reason 4).
  const W aw = ce.address_width();
  B aw_ok = D::truth(false);
  for (unsigned a = 1; a <= 3; ++a)
    if (shape.cap.supports_aw(a)) aw_ok = aw_ok || aw == D::word(a);
  fail_if(w, active, !aw_ok, VtdWalkFailure::context_aw_unsupported);
  B beyond = D::truth(false);
  for (unsigned a = 1; a <= 3; ++a) {
    const unsigned width = std::min(agaw_bits(a), shape.cap.mgaw());
    beyond = beyond || (aw == D::word(a) && D::any(req.iova, width < 64 ? bit_range(63, width) : 0));
  }
  fail_if(w, active, beyond, VtdWalkFailure::input_beyond_width);

  // 3.7: walk from the level AW selects; a level is entered only when the walk's AW reaches it.
  W table = ce.second_level_table(haw);
  for (unsigned level = 5; level >= 1; --level) {
    // Level `level` is the top level for AW = level - 2, and is walked for every AW >= level - 2.
    B here = active;
    if (level >= 3) {
      B reach = D::truth(false);
      for (unsigned a = level - 2; a <= 3; ++a) reach = reach || aw == D::word(a);
      here = here && reach;
    }
    const W address = table | D::shift_left(D::field(req.iova, index_shift(level) + 8, index_shift(level)), 3);
    // The top level's table is SLPTPTR's (reason 3 when it errors), the others an ADDR's (7).
    const B top = level >= 3 ? aw == D::word(level - 2) : D::truth(false);
    const B unreadable = here && access_errors<D>(shape, address);
    fail_if(w, active, unreadable && top, VtdWalkFailure::top_table_access);
    fail_if(w, active, unreadable && !top, VtdWalkFailure::table_access);
    here = here && !unreadable;
    const W e = memory.read_host(address, level, here);
    w.entry_address[level] = address;
    w.entry[level] = e;
    w.read[level] = here;
    B still = here;
    fail_if(w, still, !req.write && !D::bit(e, sle::read), VtdWalkFailure::read_denied);
    fail_if(w, still, req.write && !D::bit(e, sle::write), VtdWalkFailure::write_denied);
    const bool ps_ok = sle::ps_allowed(level, shape.cap.sllps());
    const B large = ps_ok ? D::bit(e, sle::page_size) : D::truth(false);
    const B leaf = level == 1 ? D::truth(true) : large;
    const W reserved = D::ite(large, D::word(sle::reserved_mask(level, true, ps_ok, haw)),
                              D::word(sle::reserved_mask(level, false, ps_ok, haw)));
    fail_if(w, still, D::any(e & reserved, ~std::uint64_t{0}), VtdWalkFailure::entry_reserved);
    const B is_leaf = still && leaf;
    const std::uint64_t offset = (std::uint64_t{1} << index_shift(level)) - 1;
    w.physical = D::ite(is_leaf, (e & D::word(sle::address_mask(haw) & ~offset)) | (req.iova & D::word(offset)), w.physical);
    w.leaf_level = D::ite(is_leaf, D::word(level), w.leaf_level);
    w.translated = w.translated || is_leaf;
    // A level skipped because AW is below it passes the walk on unchanged.
    table = D::ite(here, e & D::word(sle::address_mask(haw)), table);
    active = D::ite(here, still && !leaf, active);
    if (level == 1) break;
  }
  return w;
}

template <class D>
DmaFaultReason fault_reason_of(const VtdWalk<D>& w) {
  return fault_reason(static_cast<VtdWalkFailure>(w.failure));
}

}  // namespace vtspec::spec::iommu
