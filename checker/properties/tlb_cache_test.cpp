// RapidCheck properties of the TLB model over random operation sequences (SDM Vol. 3A 4.10,
// Vol. 3C 29.4). The flush-completeness property compares the model against a deliberately
// naive second formulation: no cache data structure, only the history of completed accesses
// (what each translated to, in which context) and the flush points after them, with each
// instruction's reach written out again directly from the SDM text.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdio>
#include <set>
#include <vector>

#include "model/tests/tlb_test_support.hpp"

namespace {

using namespace vtspec;
using namespace vtspec::model;
using namespace vtspec::model::testing;

constexpr std::uint64_t kBase = 0x400000;
constexpr unsigned kPages = 4;
constexpr std::uint64_t kFrames[] = {0x20000, 0x21000, 0x22000, 0x23000};
constexpr std::uint64_t kLeafFlags[] = {P | RW | US | A | D, P | US | A | D, P | RW | A | D | G, 0, P | RW | US | A};

struct Setup {
  MachineState state;
  std::uint64_t root;
  std::uint64_t pte[kPages];
};

Setup make_setup(GuestBuilder g = GuestBuilder{}) {
  g.state.regs.cr4 |= cr4::pge | cr4::pcide;
  Setup s{{}, g.root, {}};
  // Pages 2 and 3 start global (supervisor), so global entries are common.
  for (unsigned i = 0; i < kPages; ++i)
    s.pte[i] = g.map4k(kBase + i * 0x1000, kFrames[i], i >= 2 ? (P | RW | A | D | G) : (P | RW | US | A | D));
  s.state = g.state;
  return s;
}

Operation random_operation(const Setup& s) {
  const auto page = *rc::gen::inRange<unsigned>(0, kPages);
  const std::uint64_t va = kBase + page * 0x1000;
  switch (*rc::gen::inRange(0, 12)) {
    case 0: case 1: case 2:
      return access_op(va, *rc::gen::element(spec::AccessKind::read, spec::AccessKind::write), *rc::gen::element(0u, 3u));
    case 3: case 4:
      return store(s.pte[page], kFrames[*rc::gen::inRange<unsigned>(0, kPages)] | kLeafFlags[*rc::gen::inRange(0, 5)]);
    case 5: return invlpg(va);
    case 6:
      return with_value(OperationKind::mov_cr3, s.root | *rc::gen::inRange<std::uint64_t>(0, 3) |
                                                    (*rc::gen::arbitrary<bool>() ? std::uint64_t{1} << 63 : 0));
    case 7: return invpcid(*rc::gen::inRange(0u, 4u), *rc::gen::inRange<std::uint64_t>(0, 3), va);
    case 8: return invvpid(*rc::gen::inRange(0u, 4u), *rc::gen::inRange<std::uint64_t>(0, 3), va);
    case 9: return vm_entry(*rc::gen::inRange<std::uint64_t>(0, 3));
    case 10: return op_of(OperationKind::vm_exit);
    default:
      return with_value(OperationKind::mov_cr4, s.state.regs.cr4 & ~(*rc::gen::arbitrary<bool>() ? cr4::pge : 0));
  }
}

// The case the planted INVLPG-of-global-entries bugs need (4.10.4.1: INVLPG removes global
// entries for the page regardless of PCID): a global page cached under one PCID, its PTE
// changed, the CPU moved to another PCID without flushing, then an invalidation of the
// page, then the page used again. One step in seven is this scenario, so most sequences
// contain one (the property below reports how many with RC_CLASSIFY).
std::vector<Operation> random_steps(const Setup& s) {
  if (*rc::gen::inRange(0, 7) != 0) return {random_operation(s)};
  const auto page = *rc::gen::inRange<unsigned>(2, kPages);  // pages 2 and 3 start global
  const std::uint64_t va = kBase + page * 0x1000;
  const std::uint64_t cached_in = *rc::gen::inRange<std::uint64_t>(0, 3);
  const std::uint64_t other = (cached_in + *rc::gen::inRange<std::uint64_t>(1, 3)) % 3;
  const std::uint64_t no_flush = std::uint64_t{1} << 63;
  const Operation invalidation =
      *rc::gen::arbitrary<bool>() ? invlpg(va) : invpcid(*rc::gen::inRange(0u, 4u), *rc::gen::element(cached_in, other), va);
  return {with_value(OperationKind::mov_cr3, s.root | cached_in | no_flush),
          access_op(va),
          store(s.pte[page], kFrames[*rc::gen::inRange<unsigned>(0, kPages)] | (P | RW | A | D | G)),
          with_value(OperationKind::mov_cr3, s.root | other | no_flush),
          invalidation,
          access_op(va)};
}

// Does `op` invalidate while a global TLB entry it may reach is tagged with another PCID?
bool invalidates_global_of_other_pcid(const Processor& m, const Operation& op) {
  if (op.kind != OperationKind::invlpg && op.kind != OperationKind::invpcid) return false;
  for (const auto& e : m.tlb().entries())
    if (e.kind == CacheKind::tlb && e.tags.global && e.tags.pcid != m.context().pcid &&
        (op.kind == OperationKind::invpcid || e.tags.base == (op.address & ~0xfffull)))
      return true;
  return false;
}

// ---- The naive formulation -------------------------------------------------------------
struct Context {
  std::uint64_t vpid, pcid;
};
struct CompletedAccess {
  std::uint64_t page, frame;
  Context ctx;
  bool global;
  bool alive = true;
};

struct NaiveHistory {
  std::vector<CompletedAccess> accesses;
  bool pge = true, pcide = true;

  // Mark dead every earlier access whose translation the SDM says this operation removes.
  // (4.10.4.1, 29.4.3.1, and the INVPCID/INVVPID pages, read again independently.)
  void flush_point(const Operation& op, const Context& now, std::uint64_t cr4_before, std::uint64_t guest_vpid) {
    for (auto& a : accesses) {
      const bool same_vpid = a.ctx.vpid == now.vpid;
      const bool on_page = a.page == (op.address >> 12);
      bool gone = false;
      switch (op.kind) {
        case OperationKind::invlpg: gone = same_vpid && on_page && (a.ctx.pcid == now.pcid || a.global); break;
        case OperationKind::mov_cr3:
          if (!(pcide && (op.value >> 63))) gone = same_vpid && !a.global && a.ctx.pcid == (pcide ? (op.value & 0xfff) : 0);
          break;
        case OperationKind::mov_cr4:
          if (((cr4_before ^ op.value) & cr4::pge) || ((cr4_before & cr4::pcide) && !(op.value & cr4::pcide))) gone = same_vpid;
          break;
        case OperationKind::invpcid:
          if (op.type == 0) gone = same_vpid && on_page && a.ctx.pcid == op.pcid && !a.global;
          if (op.type == 1) gone = same_vpid && a.ctx.pcid == op.pcid && !a.global;
          if (op.type == 2) gone = same_vpid;
          if (op.type == 3) gone = same_vpid && !a.global;
          break;
        case OperationKind::invvpid:
          if (op.type == 0) gone = op.vpid != 0 && a.ctx.vpid == op.vpid && on_page;
          if (op.type == 1) gone = op.vpid != 0 && a.ctx.vpid == op.vpid;
          if (op.type == 2) gone = a.ctx.vpid != 0;
          if (op.type == 3) gone = op.vpid != 0 && a.ctx.vpid == op.vpid && !a.global;
          break;
        case OperationKind::vm_entry: gone = op.vpid == 0 && a.ctx.vpid == 0; break;
        case OperationKind::vm_exit: gone = guest_vpid == 0 && a.ctx.vpid == 0; break;
        default: break;
      }
      if (gone) a.alive = false;
    }
  }
  void page_fault(std::uint64_t linear, const Context& now) {
    for (auto& a : accesses)
      if (a.page == (linear >> 12) && a.ctx.vpid == now.vpid && a.ctx.pcid == now.pcid) a.alive = false;
  }
  // May a translation of `linear` to `frame` in context `now` come from a cached entry?
  bool may_still_serve(std::uint64_t linear, std::uint64_t frame, const Context& now) const {
    for (const auto& a : accesses)
      if (a.alive && a.page == (linear >> 12) && a.frame == frame && a.ctx.vpid == now.vpid &&
          (a.ctx.pcid == now.pcid || a.global))
        return true;
    return false;
  }
};

Context context_of(const Processor& m) {
  const auto c = m.context();
  return {c.vpid, c.pcid};
}

bool contains_result(const std::vector<AllowedOutcome>& set, const Outcome& o) {
  for (const auto& a : set)
    if (a.outcome.same_result(o)) return true;
  return false;
}
bool contains_result(const std::vector<Outcome>& set, const Outcome& o) {
  for (const auto& a : set)
    if (a.same_result(o)) return true;
  return false;
}

// The allowed set of `probe` is exactly its fresh walk's: nothing cached is left to use.
void assert_only_the_fresh_walk(const Processor& m, const AccessRequest& probe) {
  const auto set = m.allowed(probe);
  const auto fresh = translate(m.state(), probe).allowed;
  for (const auto& a : set) RC_ASSERT(contains_result(fresh, a.outcome));
  for (const auto& o : fresh) RC_ASSERT(contains_result(set, o));
}

// Advance `m` by `op`; an access takes any one of its allowed outcomes, chosen by RapidCheck.
// `check` sees each access's allowed set before the choice.
template <class Check>
void apply_any_allowed(Processor& m, const Operation& op, Check check) {
  if (op.kind != OperationKind::access) {
    m.apply(op);
    return;
  }
  const auto set = m.allowed(op.access);
  check(set);
  m.apply(op, &set[*rc::gen::inRange<std::size_t>(0, set.size())]);
}
void apply_any_allowed(Processor& m, const Operation& op) {
  apply_any_allowed(m, op, [](const auto&) {});
}

}  // namespace

const Setup& setup_once() {
  static const Setup setup = make_setup();
  return setup;
}

RC_GTEST_PROP(TlbCache, FreshWalkOutcomesAreAlwaysAllowed, ()) {
  const Setup& setup = setup_once();
  {
    Processor m(setup.state, {}, {.capacity = 0});
    const auto n = *rc::gen::inRange(1, 40);
    for (int i = 0; i < n; ++i) {
      const Operation op = random_operation(setup);
      apply_any_allowed(m, op, [&](const auto& set) {
        for (const auto& o : translate(m.state(), op.access).allowed) RC_ASSERT(contains_result(set, o));
      });
    }
  }
}

RC_GTEST_PROP(TlbCache, AfterInvpcidAllContextsAllowedIsExactlyTheFreshWalk, ()) {
  const Setup& setup = setup_once();
  {
    Processor m(setup.state, {}, {.capacity = 0});
    const auto n = *rc::gen::inRange(1, 40);
    for (int i = 0; i < n; ++i) {
      apply_any_allowed(m, random_operation(setup));
    }
    m.apply(invpcid(2, 0));
    assert_only_the_fresh_walk(m, request(kBase + *rc::gen::inRange<unsigned>(0, kPages) * 0x1000));
  }
}

// Entries serve only their own VPID and PCID (globals: any PCID), and a TLB entry serves only
// what the naive history (accesses + flush points) says may still be cached.
RC_GTEST_PROP(TlbCache, EntriesServeOnlyTheirContextAndSurviveOnlyWhatTheNaiveHistoryAllows, ()) {
  const Setup& setup = setup_once();
  {
    Processor m(setup.state, {}, {.capacity = 0});
    NaiveHistory naive;
    bool global_other_pcid_invalidated = false;
    std::vector<Operation> ops;
    const auto n = *rc::gen::inRange(1, 60);
    for (int i = 0; i < n; ++i)
      for (const Operation& op : random_steps(setup)) ops.push_back(op);
    for (const Operation& op : ops) {
      const Context now = context_of(m);
      global_other_pcid_invalidated = global_other_pcid_invalidated || invalidates_global_of_other_pcid(m, op);
      if (op.kind == OperationKind::access) {
        const auto set = m.allowed(op.access);
        for (const auto& a : set) {
          if (a.source == SourceKind::fresh_walk) continue;
          const CachedEntry& e = m.tlb().entries()[a.entry];
          RC_ASSERT(e.tags.vpid == now.vpid);
          RC_ASSERT(e.tags.pcid == now.pcid || (e.tags.global && e.kind == CacheKind::tlb));
          if (a.source == SourceKind::tlb_entry && a.outcome.kind == OutcomeKind::translated)
            RC_ASSERT(naive.may_still_serve(op.access.linear, a.outcome.physical >> 12, now));
        }
        const AllowedOutcome& chosen = set[*rc::gen::inRange<std::size_t>(0, set.size())];
        if (chosen.outcome.kind == OutcomeKind::page_fault) naive.page_fault(op.access.linear, now);
        if (chosen.outcome.kind == OutcomeKind::translated && chosen.source != SourceKind::tlb_entry) {
          const std::uint64_t pte = m.state().memory.read64(setup.pte[(op.access.linear - kBase) >> 12]);
          naive.accesses.push_back({op.access.linear >> 12, chosen.outcome.physical >> 12, now,
                                    (m.state().regs.cr4 & cr4::pge) && (pte & G)});
        }
        m.apply(op, &chosen);
      } else {
        naive.flush_point(op, now, m.state().regs.cr4, m.vmx().vpid);
        m.apply(op);
      }
    }
    RC_CLASSIFY(global_other_pcid_invalidated, "a global entry of another PCID was in an invalidation's reach");
  }
}

// ---- EPT-active sequences ------------------------------------------------------------------
// A guest under two EPTs (A with accessed/dirty flags, B without) that map the same guest
// memory; the VMM randomly re-points EPT leaves (of data pages and of the guest page table)
// to other host pages or changes their rights, and switches EPTPs, all without the
// invalidations a correct VMM would do - the stale-EPT cases of Vol. 3C 29.4.
namespace {

constexpr std::uint64_t kEptA = 0x800000, kEptB = 0x900000;
constexpr std::uint64_t kMovedOffset = 0x100000;  // host copy of guest memory at kEptOffset + 1 MByte

struct EptSetup {
  MachineState state;
  std::uint64_t eptp_a, eptp_b;
  std::uint64_t pt_gpa;
};

EptSetup make_ept_setup() {
  GuestBuilder g(true, kEptA);
  for (unsigned i = 0; i < kPages; ++i) g.map4k(kBase + i * 0x1000, kFrames[i]);
  g.build_ept(kEptB, kEptOffset);
  EptSetup s{{}, (g.state.ept->eptp | (1u << 6)), kEptB | (3u << 3) | 6u, g.read(g.entry_address(kBase, 2)) & ~0xfffull};
  // The moved copy of the page table maps every page to the next frame.
  for (unsigned i = 0; i < kPages; ++i)
    g.state.memory.write64(kEptOffset + kMovedOffset + s.pt_gpa + 8 * i, kFrames[(i + 1) % kPages] | P | RW | US | A | D);
  g.state.ept->eptp = s.eptp_a;
  s.state = g.state;
  return s;
}

const EptSetup& ept_setup_once() {
  static const EptSetup setup = make_ept_setup();
  return setup;
}

// One random step; an EPT edit is a VM exit, a host store and a VM entry.
std::vector<Operation> random_ept_steps(const EptSetup& s, std::uint64_t& eptp) {
  const auto page = *rc::gen::inRange<unsigned>(0, kPages);
  const std::uint64_t va = kBase + page * 0x1000;
  switch (*rc::gen::inRange(0, 9)) {
    case 0: case 1: case 2:
      return {access_op(va, *rc::gen::element(spec::AccessKind::read, spec::AccessKind::write), *rc::gen::element(0u, 3u))};
    case 3: case 4: {
      const std::uint64_t root = *rc::gen::element(kEptA, kEptB);
      const std::uint64_t gpa = *rc::gen::arbitrary<bool>() ? s.pt_gpa : kFrames[page];
      const std::uint64_t host = kEptOffset + gpa + (*rc::gen::arbitrary<bool>() ? kMovedOffset : 0);
      const std::uint64_t rights = *rc::gen::element<std::uint64_t>(0x7, 0x1, 0x5, 0x0);
      return {op_of(OperationKind::vm_exit),
              store(GuestBuilder::ept_pte_address(root, gpa), rights ? (host | rights | (6u << 3) | 0x100) : 0),
              vm_entry(1, eptp)};
    }
    case 5:
      eptp = *rc::gen::element(s.eptp_a, s.eptp_b);
      return {op_of(OperationKind::vm_exit), vm_entry(1, eptp)};
    case 6: return {invept(*rc::gen::inRange(1u, 3u), *rc::gen::element(s.eptp_a, s.eptp_b))};
    case 7: return {invvpid(*rc::gen::inRange(0u, 4u), 1, va)};
    default: return {invlpg(va)};
  }
}

std::uint64_t ep4ta_of(std::uint64_t eptp) { return eptp & spec::bit_range(51, 12); }

}  // namespace

// The fresh two-dimensional walk is always allowed; every cached entry an outcome uses is
// tagged with the current EP4TA (combined and guest-physical mappings, 29.4.2) and VPID;
// after INVEPT global (29.4.3.1) nothing cached is left to use and the allowed set is
// exactly the fresh walk's.
RC_GTEST_PROP(TlbCache, EptSequencesFreshWalkAllowedTagsMatchAndInveptGlobalLeavesFreshOnly, ()) {
  const EptSetup& setup = ept_setup_once();
  Processor m(setup.state, VmxState{.non_root = true, .vpid = 1}, {.capacity = 0});
  std::uint64_t eptp = setup.eptp_a;
  bool saw_guest_physical = false;
  const auto n = *rc::gen::inRange(1, 30);
  for (int i = 0; i < n; ++i) {
    for (const Operation& op : random_ept_steps(setup, eptp)) {
      apply_any_allowed(m, op, [&](const auto& set) {
        for (const auto& o : translate(m.state(), op.access).allowed) RC_ASSERT(contains_result(set, o));
        for (const auto& a : set) {
          if (a.source == SourceKind::fresh_walk) continue;
          saw_guest_physical = saw_guest_physical || !a.guest_physical_entries.empty();
          std::vector<std::size_t> used = a.guest_physical_entries;
          if (a.source != SourceKind::guest_physical_entry) used.push_back(a.entry);
          for (const std::size_t e : used) {
            RC_ASSERT(m.tlb().entries()[e].tags.ept_tagged);
            RC_ASSERT(m.tlb().entries()[e].tags.ep4ta == ep4ta_of(eptp));
            RC_ASSERT(!m.tlb().entries()[e].tags.linear_tagged || m.tlb().entries()[e].tags.vpid == 1u);
          }
        }
      });
    }
  }
  RC_CLASSIFY(saw_guest_physical, "some outcome used a cached guest-physical mapping");
  m.apply(invept(2, 0));
  RC_ASSERT(m.tlb().exact());
  assert_only_the_fresh_walk(m, request(kBase + *rc::gen::inRange<unsigned>(0, kPages) * 0x1000,
                                        *rc::gen::element(spec::AccessKind::read, spec::AccessKind::write)));
}

// AMD-V: an ASID-tagged TLB under nested paging (APM Vol. 2 15.16). Random accesses, guest PTE
// stores, the guest's INVLPG, INVLPGA for ASIDs 1-3 and VMRUNs into ASIDs 1-3 with every
// TLB_CONTROL and with or without the ASID clean bit (15.15.3). The naive side keeps only the
// set of ASIDs the guest may be running in: the VMRUN's ASID, plus - with the clean bit - every
// ASID it may have been running in before. Then: the fresh walk is always allowed; an outcome
// from a TLB entry uses an entry tagged with one of those ASIDs; the model never becomes
// unsound; and after VMRUN with TLB_CONTROL 1 and no clean bit the allowed set is exactly
// the fresh walk's.
namespace {
std::vector<Operation> random_svm_steps(const Setup& s, std::set<std::uint64_t>& running) {
  const auto page = *rc::gen::inRange<unsigned>(0, kPages);
  const std::uint64_t va = kBase + page * 0x1000;
  switch (*rc::gen::inRange(0, 8)) {
    case 0: case 1: case 2:
      return {access_op(va, *rc::gen::element(spec::AccessKind::read, spec::AccessKind::write), *rc::gen::element(0u, 3u))};
    case 3: return {store(s.pte[page], kFrames[*rc::gen::inRange<unsigned>(0, kPages)] | kLeafFlags[*rc::gen::inRange(0, 5)])};
    case 4: return {invlpg(va)};
    case 5: return {invlpga(va, *rc::gen::inRange<std::uint64_t>(1, 4))};
    default: {
      const std::uint64_t asid = *rc::gen::inRange<std::uint64_t>(1, 4);
      const bool clean = *rc::gen::arbitrary<bool>();
      if (!clean) running.clear();
      running.insert(asid);
      return {vmrun(asid, *rc::gen::element(0u, 1u, 3u, 7u), clean ? 4 : 0)};
    }
  }
}
}  // namespace

RC_GTEST_PROP(TlbCache, AsidSequencesFreshWalkAllowedEntriesOfRunningAsidsAndFlushAllLeavesFreshOnly, ()) {
  static const Setup setup = make_setup(GuestBuilder::nested(1));
  Processor m(setup.state, {}, {.capacity = 0});
  std::set<std::uint64_t> running = {1};
  bool saw_cached = false;
  const auto n = *rc::gen::inRange(1, 40);
  for (int i = 0; i < n; ++i) {
    for (const Operation& op : random_svm_steps(setup, running)) {
      apply_any_allowed(m, op, [&](const auto& set) {
        for (const auto& o : translate(m.state(), op.access).allowed) RC_ASSERT(contains_result(set, o));
        for (const auto& a : set) {
          if (a.source != SourceKind::tlb_entry) continue;
          saw_cached = true;
          RC_ASSERT(a.entry < m.tlb().entries().size());
          RC_ASSERT(running.count(m.tlb().entries()[a.entry].tags.asid) == 1u);
        }
      });
      RC_ASSERT(m.tlb().sound());
    }
  }
  RC_CLASSIFY(saw_cached, "some outcome used a TLB entry");
  m.apply(vmrun(*rc::gen::inRange<std::uint64_t>(1, 4), 1));
  assert_only_the_fresh_walk(m, request(kBase + *rc::gen::inRange<unsigned>(0, kPages) * 0x1000,
                                        *rc::gen::element(spec::AccessKind::read, spec::AccessKind::write)));
}
