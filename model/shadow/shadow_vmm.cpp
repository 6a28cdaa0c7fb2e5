#include "model/shadow/shadow_vmm.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "model/instruction_checks.hpp"
#include "model/translation.hpp"
#include "spec/paging_entry.hpp"

namespace vtspec::model::shadow {

namespace {

constexpr std::uint64_t bit(unsigned b) { return spec::bit_at(b); }
constexpr std::uint64_t kFrame4K = 0x000ffffffffff000ull;
constexpr std::uint64_t kKeyBits = 0xfull << spec::pte::protection_key_lo;

TlbConfig guest_tlb() {
  TlbConfig c;
  c.capacity = 1;  // the guest Processor holds registers and memory; the shadows are its TLB
  return c;
}

}  // namespace

ShadowVmm::ShadowVmm(const MachineState& guest, ShadowPolicy policy, ShadowBug bug)
    : policy_(policy), bug_(bug), guest_(guest, {}, guest_tlb()), shadow_(hardware_.memory, kShadowBase) {
  if (guest.ept) throw std::invalid_argument("the shadow VMM runs guests without EPT");
  hardware_.features = guest.features;
  hardware_.features.maxphyaddr = 52;  // the host's: shadow tables live high
  hardware_.features.nx = true;
  sync_hardware_registers();
}

// The processor's registers while the guest runs: the guest's, but for paging on the shadows
// (CR3), CR0.WP = 1 and EFER.NXE = 1 (the VMM emulates WP = 0 and folds NXE into the guest
// walk), 4-level paging without PCIDs or global pages (the VMM drops shadows itself).
void ShadowVmm::sync_hardware_registers() {
  const GuestRegisters& g = guest_.state().regs;
  GuestRegisters& h = hardware_.regs;
  h.cr0 = g.cr0 | cr0::pe | cr0::pg | cr0::wp;
  h.cr3 = shadow_.root();
  h.cr4 = g.cr4 & (cr4::pae | cr4::smep | cr4::smap | cr4::pke);
  h.efer = efer::lme | efer::lma | efer::nxe;
  h.rflags = g.rflags;
  h.pkru = g.pkru;
}

void ShadowVmm::rebuild() {
  shadow_.clear(hardware_.memory);
  ++stats_.rebuilds;
}

// A page the guest's walks read paging-structure entries from is mapped read-only: all of
// them under write_protect, the upper levels (PD and above) under unsync_page_tables.
bool ShadowVmm::write_protected(std::uint64_t frame) const {
  const auto it = table_frames_.find(frame);
  if (it == table_frames_.end()) return false;
  return policy_.sync == SyncPolicy::write_protect || it->second > 1;
}

// The guest's data store: an aligned 8-byte read-modify-write of the bytes written (as the
// model makes it, vectors/format/model_evaluation.cpp), through the guest Processor.
void ShadowVmm::store(std::uint64_t physical, unsigned size, std::uint64_t value) {
  for (unsigned b = 0; b < size; ++b) {
    const std::uint64_t at = physical + b, base = at & ~7ull;
    const unsigned shift = 8 * (at - base);
    Operation op;
    op.kind = OperationKind::store_entry;
    op.address = base;
    op.value = (guest_.state().memory.read64(base) & ~(0xffull << shift)) | (((value >> (8 * b)) & 0xff) << shift);
    guest_.apply(op);
  }
}

Event ShadowVmm::complete(const Operation& op, std::uint64_t physical) {
  Event e = Event::completed();
  if (op.access.kind == spec::AccessKind::read) e.value = guest_.state().memory.read(physical, op.size);
  // A write the hardware let through never lands on a write-protected page; one into an
  // unsynced page table leaves its shadows stale until the guest invalidates.
  if (op.access.kind == spec::AccessKind::write) store(physical, op.size, op.value);
  return e;
}

Event ShadowVmm::access(const Operation& op) {
  const AccessRequest& r = op.access;
  for (unsigned attempt = 0; attempt < 3; ++attempt) {
    sync_hardware_registers();
    const Translation hardware = translate(hardware_, r);
    const Outcome& h = hardware.allowed.front();
    if (h.kind == OutcomeKind::translated) return complete(op, h.physical);  // memslot: identity

    // A #PF exit: the guest's own walk decides.
    ++stats_.page_fault_exits;
    const Translation walk = translate(guest_.state(), r);
    const Outcome& g = walk.allowed.front();
    const std::vector<AllowedOutcome> allowed = guest_.allowed(r);
    if (allowed.empty() || allowed.front().source != SourceKind::fresh_walk)
      throw std::logic_error("shadow VMM: the guest Processor gave no fresh walk");
    if (g.kind != OutcomeKind::translated) {
      ++stats_.injected;
      guest_.apply(op, &allowed.front());  // a walk that faults may have set A flags (4.8)
      if (bug_ != ShadowBug::page_fault_keeps_shadow) shadow_.unmap(hardware_.memory, r.linear);  // 4.10.4.1: a #PF invalidates its address's entries
      return event_of(g, r.linear);
    }
    const spec::PagingWalk<spec::Concrete>& gw = walk.guest_walk;
    guest_.apply(op, &allowed.front());  // A/D emulation: what the translation sets (4.8)

    // Every page the walk read an entry from holds a guest paging structure.
    bool new_table = false;
    const unsigned leaf_level = static_cast<unsigned>(gw.leaf_level);
    for (unsigned level = guest_.state().paging_levels(); level >= leaf_level && level >= 1; --level) {
      if (!gw.read[level]) continue;
      const std::uint64_t frame = gw.entry_address[level] & kFrame4K;
      auto [it, inserted] = table_frames_.try_emplace(frame, level);
      if (!inserted && it->second >= level) continue;
      it->second = std::max(it->second, level);
      new_table = true;
    }
    // Shadows made before a page became a paging structure may map it writable: drop them.
    if (new_table) rebuild();

    const std::uint64_t frame = g.physical & kFrame4K;
    const bool supervisor = r.cpl < 3 || r.implicit_supervisor;
    const GuestRegisters& regs = guest_.state().regs;
    const bool wp0_write = r.kind == spec::AccessKind::write && supervisor && !(regs.cr0 & cr0::wp);
    const std::uint64_t guest_leaf = guest_.state().memory.read64(gw.entry_address[leaf_level]);
    if (wp0_write && !write_protected(frame) && policy_.wp0 == Wp0Policy::supervisor_writable_shadow &&
        !(gw.rights.user && (regs.cr4 & (cr4::smap | cr4::pke)))) {
      // The write runs on a writable supervisor-only shadow (4.6.1: with CR0.WP = 0 a
      // supervisor write ignores R/W). U/S = 0 would also let supervisor fetches from a user
      // page past SMEP: XD keeps them coming back to the VMM, whose walk of the guest decides.
      std::uint64_t leaf = frame | bit(spec::pte::present) | bit(spec::pte::writable) | bit(spec::pte::accessed) |
                           bit(spec::pte::dirty);
      const bool smep_guard = gw.rights.user && (regs.cr4 & cr4::smep) && bug_ != ShadowBug::wp0_ignores_smep;
      if (gw.rights.exec_disabled || smep_guard) leaf |= bit(spec::pte::execute_disable);
      shadow_.map(hardware_.memory, r.linear, leaf);
      ++stats_.shadow_fills;
      continue;
    }
    if (r.kind == spec::AccessKind::write && (write_protected(frame) || wp0_write)) {
      // The VMM makes the write itself: a store to a guest paging structure (then the
      // shadows follow the new entry), or a supervisor write under the guest's CR0.WP = 0,
      // which the hardware's CR0.WP = 1 may refuse where the guest allows it: a read-only
      // page (4.6) or a protection key's WD (4.6.2: WD stops supervisor writes only with WP).
      ++stats_.emulated_writes;
      store(g.physical, op.size, op.value);
      if (write_protected(frame)) rebuild();
      return Event::completed();
    }
    std::uint64_t leaf = frame | bit(spec::pte::present) | bit(spec::pte::accessed) | bit(spec::pte::dirty) |
                         (guest_leaf & kKeyBits);
    const bool user = bug_ == ShadowBug::leaf_rights_only ? (guest_leaf & bit(spec::pte::user)) != 0 : bool(gw.rights.user);
    const bool writable =
        bug_ == ShadowBug::leaf_rights_only ? (guest_leaf & bit(spec::pte::writable)) != 0 : bool(gw.rights.writable);
    if (user) leaf |= bit(spec::pte::user);
    if (writable && (guest_leaf & bit(spec::pte::dirty)) && !write_protected(frame)) leaf |= bit(spec::pte::writable);
    if (gw.rights.exec_disabled) leaf |= bit(spec::pte::execute_disable);
    shadow_.map(hardware_.memory, r.linear, leaf);
    ++stats_.shadow_fills;
  }
  throw std::logic_error(fmt::format("shadow VMM: {} still faults on its shadow after it was filled", describe(op)));
}

Event ShadowVmm::run(const Operation& op) {
  if (op.kind == OperationKind::access) return access(op);
  if (const auto exception = spec::exception_for(instruction_check(guest_.state(), op)))
    return Event::exception(exception->vector, exception->error_code);
  switch (op.kind) {
    case OperationKind::store_entry: {
      // A store to a write-protected guest paging structure traps: the VMM writes it and
      // rebuilds; one to an unsynced page table goes through, its shadows now stale.
      const bool trapped = write_protected(op.address & kFrame4K);
      guest_.apply(op);
      if (trapped) {
        ++stats_.emulated_writes;
        rebuild();
      }
      break;
    }
    case OperationKind::wrpkru:
      guest_.apply(op);  // PKRU applies to the hardware's walk directly
      break;
    case OperationKind::invlpg:
    case OperationKind::invpcid:
    case OperationKind::mov_cr3:
    case OperationKind::mov_cr0:
    case OperationKind::mov_cr4:
    case OperationKind::wrmsr_efer:
      // Intercepted: the guest's registers change and every shadow is dropped (each of these
      // invalidates at least what the shadows of an address hold, 4.10.4.1; dropping more is
      // always allowed, 4.10.4.4), which also resyncs unsynced page tables.
      guest_.apply(op);
      if (!(op.kind == OperationKind::invlpg && bug_ == ShadowBug::invlpg_keeps_shadows)) rebuild();
      break;
    default:
      throw std::invalid_argument(fmt::format("the shadow VMM does not run {} (no VMX in its guests)", describe(op)));
  }
  return Event{};
}

}  // namespace vtspec::model::shadow
