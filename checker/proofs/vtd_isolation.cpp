// VT-d DMA-remapping obligations over spec/iommu/second_level_walk.hpp (legacy mode, Intel
// VT-d Architecture Specification 3.4.3, 3.7, 7.1.3, 9.1, 9.3, 9.8), each on the CAP/ECAP of
// the two QEMU 7.2 profiles (model/iommu/remapping_unit.hpp, HAW from the profile): qemu-7.2-aw39 (SAGAW 39-bit:
// 3-level walks, MGAW 39) with HAW 39 and qemu-7.2-aw48 (SAGAW 39+48: 3- and 4-level walks,
// MGAW 48) with HAW 48; CAP.SLLPS of both allows 2 MiB and 1 GiB leaves.
//
// "vtd-device-isolation": a VMM gives device d_i (i = 1, 2; any two distinct source ids,
// possibly on different buses) domain D_i (D_1 != D_2) and the host region R_i (R_1, R_2
// disjoint, page aligned, below 2^HAW), and keeps every remapping table in a region T
// disjoint from both. Hypotheses (the VMM's invariant, on memory):
//   * RTADDR's root table (4 KiB, 10.4.6) lies in T;
//   * the root entry of d_i's bus (RTA + bus * 16, 3.4.2, 9.1), when present, points to a
//     context table in T;
//   * d_i's context entry (CTP + devfn * 16, 9.3), when present, has DID = D_i, TT = 00b or
//     01b (translated through second level; 10b pass-through would put no bound on the
//     output) and SLPTPTR to a table in T_i;
//   * every second-level entry (9.8) a walk of a DMA from d_i reads, when present (R or W
//     set), is either a leaf (level 1, or PS = 1 at level 2/3: a 4 KiB / 2 MiB / 1 GiB page)
//     mapping a page wholly inside R_i, or references a table in T_i.
// T_1 and T_2 are disjoint sub-regions of T: the second-level tables of each domain lie in
// its own T_i. (One shared T would make the per-domain invariant contradictory for a table
// both domains reach - its leaves would have to lie in R_1 and in R_2 - so a memory meeting
// both invariants would be ill-defined; with T_1, T_2 disjoint every memory that meets them
// is a real VMM state.) Context entries of other source ids are not constrained, and a DMA
// from another source id is not claimed about.
// Claims, for every DMA from d_1 or d_2 (IOVA any 64-bit value, read or write) and every
// memory content meeting the hypotheses:
//   * a translated DMA from d_i lands in R_i - hence not in R_j (j != i) and not in T - and
//     carries DID D_i;
//   * every root and context entry the walk reads lies in T, every second-level entry in T_i:
//     no DMA can be translated through, or (landing in R) change, a remapping table.
//
// "vtd-permission" (7.1.3, 9.8): for any memory and any DMA, a write that reads a second-level
// entry with W = 0 is not translated and fails with reason 5; a read through R = 0 with 6.
// (R = W = 0 is the not-present entry: the same permission faults, 7.1.3.)
//
// "vtd-address-width" (3.4.3, 7.1.3, 9.3, 10.4.2): for any memory and any DMA whose IOVA lies
// beyond X = min(MGAW, AGAW) for the context entry's AW (one CAP.SAGAW supports): the walk
// reads no second-level entry; and when the root and context entries are valid for a
// second-level translation (present, no reserved bit, TT 00b or supported 01b, RTADDR below
// HAW) it is not translated and fails with reason 4.
//
// The isolation invariant does not cover either of the last two claims: a write through a
// read-only (R = 1, W = 0) leaf still lands in R_i, and an IOVA beyond the width that aliases
// onto an IOVA below it (the walk indexes with bits X-1:12) still lands in R_i.
#include <fmt/format.h>

#include <map>

#include "checker/mutants/vtd_mutant.hpp"
#include "checker/proofs/guest_obligations.hpp"
#include "checker/proofs/symbolic_memory.hpp"
#include "model/iommu/remapping_unit.hpp"

namespace vtspec::checker {

namespace {

namespace io = spec::iommu;

// 7.1.3 / Appendix A fault-reason encodings the claims rest on (not taken from the walk).
static_assert(static_cast<unsigned>(io::fault_reason(io::VtdWalkFailure::input_beyond_width)) == 0x4);
static_assert(static_cast<unsigned>(io::fault_reason(io::VtdWalkFailure::write_denied)) == 0x5);
static_assert(static_cast<unsigned>(io::fault_reason(io::VtdWalkFailure::read_denied)) == 0x6);

struct Region {
  z3::expr lo, hi;
  explicit Region(const std::string& name)
      : lo(S::unknown_word((name + ".lo").c_str())), hi(S::unknown_word((name + ".hi").c_str())) {}
  z3::expr well_formed(unsigned haw) const {
    return (lo & S::word(0xfff)) == S::word(0) && (hi & S::word(0xfff)) == S::word(0) && z3::ult(lo, hi) &&
           z3::ule(hi, S::word(std::uint64_t{1} << haw));
  }
  z3::expr contains(const z3::expr& a) const { return z3::uge(a, lo) && z3::ult(a, hi); }
  // [base, base + size) lies in the region (base < 2^HAW <= 2^48 in every use: no wrap-around).
  z3::expr holds(const z3::expr& base, std::uint64_t size) const {
    return z3::uge(base, lo) && z3::ule(base + S::word(size), hi);
  }
  z3::expr disjoint(const Region& o) const { return z3::ule(hi, o.lo) || z3::ule(o.hi, lo); }
  z3::expr within(const Region& o) const { return z3::uge(lo, o.lo) && z3::ule(hi, o.hi); }
};

struct VtdCase {
  const char* profile;  // CAP, ECAP and HAW from model::iommu::profile
  const char* walks;    // the context AWs CAP.SAGAW supports (the context entry's AW is symbolic)
};
constexpr VtdCase kCases[] = {{"qemu-7.2-aw39", "AW 39-bit: 3-level walks"},
                              {"qemu-7.2-aw48", "AW 39- or 48-bit: 3- and 4-level walks"}};

io::VtdShape shape_of(const VtdCase& c) {
  const model::iommu::IommuProfile p = model::iommu::profile(c.profile);
  io::VtdShape s;
  s.cap.raw = p.cap;
  s.ecap.raw = p.ecap;
  s.haw = p.haw;
  return s;
}

// The DMA request: source id (16 bits, 3.4.1), IOVA (any 64-bit value), read or write.
struct DmaUnknowns {
  z3::expr rtaddr = S::unknown_word("vtd.rtaddr");
  z3::expr source = S::unknown_word("vtd.source_id");
  z3::expr iova = S::unknown_word("vtd.iova");
  z3::expr write = S::unknown_bool("vtd.write");
  io::DmaAccess<S> access() const { return {source, iova, write}; }
};

// 9.8: R = bit 0, W = bit 1, PS = bit 7; an entry is present when R or W is set.
z3::expr sl_present(const z3::expr& e) { return (e & S::word(3)) != S::word(0); }

// The VMM's invariant on a second-level entry read at `level` for a domain with region
// `region` and tables `tables`.
z3::expr sl_invariant(const SymbolicMemory::Read& read, unsigned haw, const Region& region, const Region& tables) {
  const z3::expr& e = read.value;
  const std::uint64_t frame = spec::bit_range(haw - 1, 12);  // 9.8 ADDR, bits HAW-1:12
  const z3::expr leaf = read.level == 1 ? S::truth(true) : read.level <= 3 ? S::bit(e, 7) : S::truth(false);
  const std::uint64_t page = std::uint64_t{1} << (12 + 9 * (read.level - 1));
  return z3::implies(sl_present(e), z3::ite(leaf, region.holds(e & S::word(frame & ~(page - 1)), page),
                                            tables.holds(e & S::word(frame), 0x1000)));
}

std::string hex(std::uint64_t v) { return fmt::format("{:#x}", v); }

// The counterexample as a document (written as the obligation's file) and as a replayable
// VtdDmaCounterexample: the request and every memory word a walk read.
Counterexample dma_counterexample(const std::string& obligation, const std::string& case_name, const VtdCase& vc,
                                  const z3::model& m, const DmaUnknowns& u, const SymbolicMemory& memory,
                                  const io::VtdWalk<S>& w, const std::string& explanation) {
  Counterexample c;
  c.case_name = case_name;
  VtdDmaCounterexample d;
  d.profile = vc.profile;
  d.haw = model::iommu::profile(vc.profile).haw;
  d.rtaddr = eval_u64(m, u.rtaddr);
  d.source_id = eval_u64(m, u.source);
  d.iova = eval_u64(m, u.iova);
  d.write = eval_bool(m, u.write);
  std::map<std::uint64_t, std::uint64_t> words;
  for (const auto& read : memory.reads) words[eval_u64(m, read.address)] = eval_u64(m, read.value);
  d.memory.assign(words.begin(), words.end());
  const bool translated = eval_bool(m, w.translated);
  c.explanation = fmt::format("{}; DMA {} from source {:#06x} at IOVA {:#x}: {}", explanation, d.write ? "write" : "read",
                              d.source_id, d.iova,
                              translated ? "translated to " + hex(eval_u64(m, w.physical))
                                         : fmt::format("fault reason {:#x}", eval_u64(m, w.failure) == 0 ? 0u
                                                       : static_cast<unsigned>(io::fault_reason(static_cast<io::VtdWalkFailure>(eval_u64(m, w.failure))))));
  std::string doc = fmt::format(
      "# Counterexample to proof obligation '{}', case: {}\n# {}\n# Replay: spec::iommu::walk_vtd over this memory "
      "(checker/proofs/tests/mutation_test.cpp)\nprofile: {}\nhaw: {}\nrtaddr: {:#x}\ndma: {{source_id: {:#06x}, iova: "
      "{:#x}, write: {}}}\nmemory:\n",
      obligation, case_name, c.explanation, d.profile, d.haw, d.rtaddr, d.source_id, d.iova, d.write);
  for (const auto& [a, v] : d.memory) doc += fmt::format("  {:#x}: {:#018x}\n", a, v);
  c.document = doc;
  c.vtd_dma = d;
  return c;
}

}  // namespace

ObligationResult prove_vtd_device_isolation(const ProveOptions& o) {
  ObligationResult r;
  for (const VtdCase& vc : kCases) {
    const io::VtdShape shape = shape_of(vc);
    const std::string case_name = fmt::format("{}, HAW {}, {}", vc.profile, shape.haw, vc.walks);
    const unsigned haw = shape.haw;
    const std::uint64_t frame = spec::bit_range(haw - 1, 12);
    DmaUnknowns u;
    const z3::expr d1 = S::unknown_word("vtd.d1"), d2 = S::unknown_word("vtd.d2");
    const z3::expr did1 = S::unknown_word("vtd.D1"), did2 = S::unknown_word("vtd.D2");
    const z3::expr from_d2 = S::unknown_bool("vtd.from_d2");
    Region r1("R1"), r2("R2"), t("T"), t1("T1"), t2("T2");
    const z3::expr u16 = S::word(0x10000);
    z3::expr hypotheses = z3::ult(d1, u16) && z3::ult(d2, u16) && d1 != d2 && z3::ult(did1, u16) && z3::ult(did2, u16) &&
                          did1 != did2 && u.source == z3::ite(from_d2, d2, d1) && r1.well_formed(haw) &&
                          r2.well_formed(haw) && t.well_formed(haw) && t1.well_formed(haw) && t2.well_formed(haw) &&
                          r1.disjoint(r2) && t.disjoint(r1) && t.disjoint(r2) && t1.within(t) && t2.within(t) &&
                          t1.disjoint(t2) && t.holds(u.rtaddr & S::word(frame), 0x1000);
    SymbolicMemory memory("vtd");
    // The VMM's root and context entries for d_1 and d_2 (3.4.2 addressing), read from memory
    // directly rather than from the walk.
    const auto device_invariant = [&](const z3::expr& d, const z3::expr& did, const Region& tables) {
      const z3::expr root_lo = memory.value_at((u.rtaddr & S::word(frame)) | S::shift_left(S::field(d, 15, 8), 4));
      const z3::expr ctp = root_lo & S::word(frame);
      const z3::expr ctx = ctp | S::shift_left(S::field(d, 7, 0), 4);
      const z3::expr ctx_lo = memory.value_at(ctx), ctx_hi = memory.value_at(ctx | S::word(8));
      const z3::expr tt = S::field(ctx_lo, 3, 2);
      return z3::implies(S::bit(root_lo, 0), t.holds(ctp, 0x1000)) &&
             z3::implies(S::bit(root_lo, 0) && S::bit(ctx_lo, 0),
                         S::field(ctx_hi, 23, 8) == did && (tt == S::word(0) || tt == S::word(1)) &&
                             tables.holds(ctx_lo & S::word(frame), 0x1000));
    };
    hypotheses = hypotheses && device_invariant(d1, did1, t1) && device_invariant(d2, did2, t2);

    const io::VtdWalk<S> w = mutants::walk_vtd_mutant<S>(o.mutation, shape, u.rtaddr, u.access(), memory);
    const z3::expr& p = w.physical;
    z3::expr claim = z3::implies(w.translated, z3::ite(from_d2, r2.contains(p) && !r1.contains(p) && w.domain_id == did2,
                                                       r1.contains(p) && !r2.contains(p) && w.domain_id == did1) &&
                                                   !t.contains(p));
    for (const auto& read : memory.reads) {
      if (read.level == 0) {  // root and context entries
        claim = claim && z3::implies(read.active, t.contains(read.address));
        continue;
      }
      hypotheses = hypotheses && z3::implies(read.active, z3::ite(from_d2, sl_invariant(read, haw, r2, t2),
                                                                  sl_invariant(read, haw, r1, t1)));
      claim = claim && z3::implies(read.active, z3::ite(from_d2, t2.contains(read.address), t1.contains(read.address)));
    }
    std::optional<z3::model> m;
    std::string reason;
    const Verdict v = discharge(hypotheses, claim, o.timeout_ms, m, reason);
    if (v == Verdict::counterexample) {
      const auto region = [&](const Region& g) { return fmt::format("[{:#x}, {:#x})", eval_u64(*m, g.lo), eval_u64(*m, g.hi)); };
      // The first entry read outside its region, if that is what broke the claim.
      std::string outside;
      const bool second = eval_bool(*m, from_d2);
      for (const auto& read : memory.reads) {
        if (!eval_bool(*m, read.active) || !outside.empty()) continue;
        const Region& where = read.level == 0 ? t : second ? t2 : t1;
        if (!eval_bool(*m, where.contains(read.address)))
          outside = fmt::format("; the walk reads a level-{} entry at {:#x}, outside {}", read.level,
                                eval_u64(*m, read.address), read.level == 0 ? "T" : second ? "T2" : "T1");
      }
      r.counterexample = dma_counterexample(
          "vtd-device-isolation", case_name, vc, *m, u, memory, w,
          fmt::format("d1 {:#06x} -> DID {:#x}, R1 {}, T1 {}; d2 {:#06x} -> DID {:#x}, R2 {}, T2 {}; T {}{}", eval_u64(*m, d1),
                      eval_u64(*m, did1), region(r1), region(t1), eval_u64(*m, d2), eval_u64(*m, did2), region(r2),
                      region(t2), region(t), outside));
    }
    if (!record_case(r, v, case_name, reason)) return r;
  }
  return r;
}

ObligationResult prove_vtd_permission(const ProveOptions& o) {
  ObligationResult r;
  for (const VtdCase& vc : kCases) {
    const io::VtdShape shape = shape_of(vc);
    const std::string case_name = fmt::format("{}, HAW {}, {}", vc.profile, shape.haw, vc.walks);
    DmaUnknowns u;
    const z3::expr hypotheses = z3::ult(u.source, S::word(0x10000));
    SymbolicMemory memory("vtd");
    const io::VtdWalk<S> w = mutants::walk_vtd_mutant<S>(o.mutation, shape, u.rtaddr, u.access(), memory);
    const auto failed_with = [&](io::VtdWalkFailure f) {
      return !w.translated && w.failure == S::word(static_cast<std::uint64_t>(f));
    };
    z3::expr claim = S::truth(true);
    for (const auto& read : memory.reads) {
      if (read.level == 0) continue;
      // 7.1.3: the access's permission bit clear in an entry the walk reads (R bit 0, W bit 1).
      claim = claim && z3::implies(read.active && u.write && !S::bit(read.value, 1), failed_with(io::VtdWalkFailure::write_denied)) &&
              z3::implies(read.active && !u.write && !S::bit(read.value, 0), failed_with(io::VtdWalkFailure::read_denied));
    }
    std::optional<z3::model> m;
    std::string reason;
    const Verdict v = discharge(hypotheses, claim, o.timeout_ms, m, reason);
    if (v == Verdict::counterexample)
      r.counterexample = dma_counterexample("vtd-permission", case_name, vc, *m, u, memory, w,
                                            "a second-level entry lacks the access's permission bit");
    if (!record_case(r, v, case_name, reason)) return r;
  }
  return r;
}

ObligationResult prove_vtd_address_width(const ProveOptions& o) {
  ObligationResult r;
  for (const VtdCase& vc : kCases) {
    const io::VtdShape shape = shape_of(vc);
    const std::string case_name = fmt::format("{}, HAW {}, {}", vc.profile, shape.haw, vc.walks);
    const unsigned haw = shape.haw;
    const std::uint64_t frame = spec::bit_range(haw - 1, 12);
    DmaUnknowns u;
    const z3::expr hypotheses = z3::ult(u.source, S::word(0x10000));
    SymbolicMemory memory("vtd");
    // The root and context entries of the source (3.4.2: RTA + bus * 16, CTP + devfn * 16),
    // decoded with the 9.1 / 9.3 layouts straight from memory.
    const z3::expr root = (u.rtaddr & S::word(frame)) | S::shift_left(S::field(u.source, 15, 8), 4);
    const io::RootEntry<S> re{memory.value_at(root), memory.value_at(root | S::word(8))};
    const z3::expr ctx = re.context_table(haw) | S::shift_left(S::field(u.source, 7, 0), 4);
    const io::ContextEntry<S> ce{memory.value_at(ctx), memory.value_at(ctx | S::word(8))};
    // 9.3 AW: 001b 39-bit, 010b 48-bit, 011b 57-bit AGAW; 10.4.2 MGAW; X = min(MGAW, AGAW).
    z3::expr beyond = S::truth(false);
    for (unsigned a = 1; a <= 3; ++a) {
      if (!shape.cap.supports_aw(a)) continue;
      const unsigned x = std::min(30 + 9 * a, shape.cap.mgaw());
      beyond = beyond || (ce.address_width() == S::word(a) && z3::uge(u.iova, S::word(std::uint64_t{1} << x)));
    }
    const z3::expr tt = ce.translation_type();
    const z3::expr valid = !S::any(u.rtaddr, spec::bit_range(63, haw)) && re.is_present() && !re.has_reserved(haw) &&
                           ce.is_present() && !ce.has_reserved(haw) &&
                           (tt == S::word(0) || (shape.ecap.dt() ? tt == S::word(1) : S::truth(false)));

    const io::VtdWalk<S> w = mutants::walk_vtd_mutant<S>(o.mutation, shape, u.rtaddr, u.access(), memory);
    z3::expr no_second_level = S::truth(true);
    for (const auto& read : memory.reads)
      if (read.level != 0) no_second_level = no_second_level && !read.active;
    const z3::expr claim =
        z3::implies(beyond, no_second_level) &&
        z3::implies(beyond && valid,
                    !w.translated && w.failure == S::word(static_cast<std::uint64_t>(io::VtdWalkFailure::input_beyond_width)));
    std::optional<z3::model> m;
    std::string reason;
    const Verdict v = discharge(hypotheses, claim, o.timeout_ms, m, reason);
    if (v == Verdict::counterexample)
      r.counterexample = dma_counterexample("vtd-address-width", case_name, vc, *m, u, memory, w,
                                            fmt::format("context AW {}, the IOVA beyond min(MGAW {}, AGAW)",
                                                        eval_u64(*m, ce.address_width()), shape.cap.mgaw()));
    if (!record_case(r, v, case_name, reason)) return r;
  }
  return r;
}

}  // namespace vtspec::checker
