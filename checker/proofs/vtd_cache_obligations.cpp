// The VT-d cache obligations.
//
// "vtd-invalidation-completeness" (Z3, over spec/iommu/cache_invalidation.hpp): for each
// change software makes to the translation structures, the invalidation the VT-d
// specification tells it to make removes every cached entry the change can make stale -
// whatever the entry's tags (domain, requester, address range) - so no later DMA uses a
// translation cached before it:
//   * a leaf of 4 KiB / 2 MiB / 1 GiB changes: page-selective IOTLB invalidation of its domain
//     and page with IH = 1 (6.5.1.2) removes every IOTLB entry of the domain that overlaps it;
//   * a non-leaf entry at level 2 or 3 changes: page-selective with IH = 0 and AM covering the
//     region it maps removes every IOTLB and paging-structure-cache entry of the domain that
//     overlaps it; at level 4 and 5 the region exceeds CAP.MAMV (18 on the QEMU profiles), so
//     software invalidates the domain, which removes every such entry;
//   * a context entry changes (a domain move): device-selective context-cache invalidation
//     and domain-selective IOTLB invalidation of the OLD domain (6.5.3) remove the context
//     entry and every IOTLB and paging-structure-cache entry of that domain.
// And with only the weaker invalidation - IH = 1 after a non-leaf change - exactly the
// paging-structure-cache entries of the domain that overlap survive: the stale use the model
// (model/iommu) then allows, and no other.
//
// "vtd-cached-isolation" (bounded, over model/iommu's RemappingUnit): two devices in two
// domains whose tables map only into their own regions. After every sequence of up to three
// operations - DMAs by either device, invalidations - every outcome the model allows for a
// DMA (fresh walk or any cached entry that may serve it) lands in the device's own region
// or faults: the caches never let one domain's translation serve the other's device.
#include <fmt/format.h>

#include <functional>

#include "checker/mutants/vtd_cache_mutant.hpp"
#include "checker/proofs/guest_obligations.hpp"
#include "checker/proofs/guest_unknowns.hpp"
#include "checker/proofs/vtd_cached_isolation.hpp"
#include "model/iommu/remapping_unit.hpp"
#include "model/operation_table.hpp"

namespace vtspec::checker {

namespace {

namespace io = spec::iommu;
using Tags = io::CachedEntryTags<S>;
using Request = io::CacheInvalidationRequest<S>;

// An entry of `kind` covering 2^size_log2 bytes at an aligned base, with 16-bit tags.
struct SymbolicEntry {
  Tags tags;
  z3::expr well_formed = S::truth(true);
};
SymbolicEntry symbolic_entry(io::CacheKind kind, unsigned size_log2) {
  SymbolicEntry e;
  e.tags.kind = kind;
  e.tags.domain_id = S::unknown_word("entry.did");
  e.tags.source_id = S::unknown_word("entry.source");
  e.tags.base = S::unknown_word("entry.base");
  e.tags.size = S::word(std::uint64_t{1} << size_log2);
  e.well_formed = z3::ult(e.tags.domain_id, S::word(0x10000)) && z3::ult(e.tags.source_id, S::word(0x10000)) &&
                  (e.tags.base & S::word((std::uint64_t{1} << size_log2) - 1)) == S::word(0) &&
                  z3::ult(e.tags.base, S::word(std::uint64_t{1} << 57));
  return e;
}

z3::expr overlaps(const Tags& t, const z3::expr& base, std::uint64_t size) {
  return z3::ult(t.base, base + S::word(size)) && z3::ult(base, t.base + t.size);
}

// The entry survives every request of the sequence (each applied to what is left).
z3::expr survives(const ProveOptions& o, const std::vector<Request>& requests, const Tags& t) {
  z3::expr kept = S::truth(true);
  for (const auto& r : requests) kept = kept && !io::removes<S>(mutants::required_cache_invalidation<S>(o.mutation, r), t);
  return kept;
}

io::CacheInvalidationRequest<spec::Concrete> concrete(const z3::model& m, const Request& r) {
  io::CacheInvalidationRequest<spec::Concrete> c;
  c.cache = r.cache;
  c.granularity = r.granularity;
  c.domain_id = eval_u64(m, r.domain_id);
  c.source_id = eval_u64(m, r.source_id);
  c.address = eval_u64(m, r.address);
  c.address_mask = r.address_mask;
  c.hint = eval_bool(m, r.hint);
  return c;
}

const char* kind_name(io::CacheKind k) {
  return k == io::CacheKind::context ? "context-cache" : k == io::CacheKind::paging_structure ? "paging-structure-cache" : "IOTLB";
}

// One case: `hypotheses` => (`stale` => the sequence removes the entry), or with `exact`,
// (the entry survives <=> `survivor`).
bool run_case(ObligationResult& r, const ProveOptions& o, const std::string& case_name, const SymbolicEntry& e,
              const z3::expr& hypotheses, const std::vector<Request>& requests, const z3::expr& stale,
              const std::optional<z3::expr>& survivor = std::nullopt) {
  const z3::expr kept = survives(o, requests, e.tags);
  const z3::expr claim = survivor ? (kept == *survivor) : z3::implies(stale, !kept);
  std::optional<z3::model> m;
  std::string reason;
  const Verdict v = discharge(e.well_formed && hypotheses, claim, o.timeout_ms, m, reason);
  if (v == Verdict::counterexample) {
    Counterexample c;
    c.obligation = "vtd-invalidation-completeness";
    c.case_name = case_name;
    VtdCacheCounterexample x;
    x.change = case_name;
    io::CachedEntryTags<spec::Concrete> t;
    t.kind = e.tags.kind;
    t.domain_id = eval_u64(*m, e.tags.domain_id);
    t.source_id = eval_u64(*m, e.tags.source_id);
    t.base = eval_u64(*m, e.tags.base);
    t.size = eval_u64(*m, e.tags.size);
    x.entry = t;
    for (const auto& q : requests) x.requests.push_back(concrete(*m, q));
    c.explanation = fmt::format("{}: a {} entry (DID {:#x}, source {:#06x}, [{:#x}, +{:#x})) {}", case_name, kind_name(t.kind),
                                t.domain_id, t.source_id, t.base, t.size,
                                survivor ? "survives where it should not, or is removed where it may stay"
                                         : "is stale after the change and survives the required invalidation");
    c.document = "vtd-invalidation-completeness counterexample\n" + c.explanation + "\n";
    for (const auto& q : x.requests)
      c.document += fmt::format("  invalidation: cache {} granularity {} DID {:#x} SID {:#06x} ADDR {:#x} AM {} IH {}\n",
                                q.cache == io::InvalidatedCache::context ? "context" : "iotlb", static_cast<unsigned>(q.granularity),
                                q.domain_id, q.source_id, q.address, q.address_mask, q.hint ? 1 : 0);
    c.vtd_cache = x;
    r.counterexample = c;
  }
  return record_case(r, v, case_name, reason);
}

Request iotlb(io::InvalidationGranularity g, const z3::expr& did, const z3::expr& address, unsigned am, bool hint) {
  Request q;
  q.cache = io::InvalidatedCache::iotlb;
  q.granularity = g;
  q.domain_id = did;
  q.address = address;
  q.address_mask = am;
  q.hint = S::truth(hint);
  return q;
}

}  // namespace

ObligationResult prove_vtd_invalidation_completeness(const ProveOptions& o) {
  ObligationResult r;
  const z3::expr did = S::unknown_word("change.did");
  const z3::expr source = S::unknown_word("change.source");
  const z3::expr at = S::unknown_word("change.base");
  const z3::expr tags_ok = z3::ult(did, S::word(0x10000)) && z3::ult(source, S::word(0x10000));
  const auto iotlb_sizes = {12u, 21u, 30u};
  // A leaf mapping 2^leaf bytes at `at` changes; page-selective, IH = 1, AM = leaf - 12.
  for (unsigned leaf : iotlb_sizes)
    for (unsigned entry_size : iotlb_sizes) {
      const SymbolicEntry e = symbolic_entry(io::CacheKind::iotlb, entry_size);
      const std::uint64_t size = std::uint64_t{1} << leaf;
      const z3::expr h = tags_ok && (at & S::word(size - 1)) == S::word(0) && z3::ult(at, S::word(std::uint64_t{1} << 57));
      const z3::expr stale = e.tags.domain_id == did && overlaps(e.tags, at, size);
      if (!run_case(r, o, fmt::format("leaf of 2^{} bytes changed, page-selective IH = 1; IOTLB entry of 2^{}", leaf, entry_size), e,
                    h, {iotlb(io::InvalidationGranularity::device_or_page, did, at, leaf - 12, true)}, stale))
        return r;
    }
  // A non-leaf entry at `level` changes: the region it maps is 2^index_shift(level) bytes.
  for (unsigned level = 2; level <= 5; ++level) {
    const unsigned region_log2 = spec::index_shift(level);
    const std::uint64_t size = std::uint64_t{1} << region_log2;
    const bool page_selective = region_log2 - 12 <= 18;  // CAP.MAMV of the QEMU profiles
    const Request required = page_selective ? iotlb(io::InvalidationGranularity::device_or_page, did, at, region_log2 - 12, false)
                                            : iotlb(io::InvalidationGranularity::domain, did, S::word(0), 0, false);
    const z3::expr h = tags_ok && (at & S::word(size - 1)) == S::word(0) && z3::ult(at, S::word(std::uint64_t{1} << 57));
    for (unsigned entry_level = 1; entry_level <= 5; ++entry_level)
      for (const io::CacheKind kind : {io::CacheKind::iotlb, io::CacheKind::paging_structure}) {
        if (kind == io::CacheKind::iotlb && entry_level > 3) continue;      // leaves: 4 KiB, 2 MiB, 1 GiB
        if (kind == io::CacheKind::paging_structure && entry_level < 2) continue;  // non-leaf entries
        const SymbolicEntry e = symbolic_entry(kind, spec::index_shift(entry_level));
        const z3::expr stale = e.tags.domain_id == did && overlaps(e.tags, at, size);
        const std::string what = fmt::format("level-{} entry changed, {}; {} entry of level {}", level,
                                             page_selective ? "page-selective IH = 0" : "domain-selective", kind_name(kind), entry_level);
        if (!run_case(r, o, what, e, h, {required}, stale)) return r;
        if (page_selective) {
          // Only IH = 1: exactly the domain's overlapping paging-structure-cache entries survive.
          const Request weaker = iotlb(io::InvalidationGranularity::device_or_page, did, at, region_log2 - 12, true);
          const z3::expr survivor = kind == io::CacheKind::paging_structure ? stale || !(e.tags.domain_id == did && overlaps(e.tags, at, size))
                                                                           : !stale;
          if (!run_case(r, o, fmt::format("level-{} entry changed, page-selective IH = 1 only; {} entry of level {}", level,
                                          kind_name(kind), entry_level),
                        e, h, {weaker}, S::truth(true), survivor))
            return r;
        }
      }
  }
  // A domain move: the context entry of `source` (old DID `did`) changes.
  for (const io::CacheKind kind : {io::CacheKind::context, io::CacheKind::iotlb, io::CacheKind::paging_structure}) {
    const SymbolicEntry e = symbolic_entry(kind, kind == io::CacheKind::context ? 12 : 21);
    Request context;
    context.cache = io::InvalidatedCache::context;
    context.granularity = io::InvalidationGranularity::device_or_page;
    context.domain_id = did;
    context.source_id = source;
    const Request domain = iotlb(io::InvalidationGranularity::domain, did, S::word(0), 0, false);
    const z3::expr stale = kind == io::CacheKind::context ? e.tags.source_id == source && e.tags.domain_id == did : e.tags.domain_id == did;
    if (!run_case(r, o, fmt::format("context entry changed (domain move), device-selective + old-domain IOTLB; {} entry", kind_name(kind)),
                  e, tags_ok, {context, domain}, stale))
      return r;
  }
  return r;
}

namespace {

model::Operation op_of(const char* row, std::uint16_t sid, std::uint64_t iova, unsigned granularity = 0, std::uint64_t did = 0) {
  model::Operation op = model::make_operation(*model::find_operation(row));
  op.source_id = sid;
  op.address = iova;
  op.type = granularity;
  op.domain_id = did;
  return op;
}

}  // namespace

CachedIsolationMachine::CachedIsolationMachine(bool planted) : unit(model::iommu::profile("qemu-7.2-aw39")) {
  constexpr std::uint16_t kDeviceA = CachedIsolationMachine::kDeviceA, kDeviceB = CachedIsolationMachine::kDeviceB;
  memory.write64(0x100000, 0x101001);
  auto context = [&](std::uint16_t sid, std::uint64_t did, std::uint64_t top) {
    memory.write64(0x101000 + sid * 16, top | 1);
    memory.write64(0x101000 + sid * 16 + 8, 1 | (did << 8));
    memory.write64(top, (top + 0x1000) | 3);
    memory.write64(top + 0x1000, (top + 0x2000) | 3);
  };
  context(kDeviceA, 1, 0x110000);
  context(kDeviceB, 2, 0x120000);
  memory.write64(0x112000 + 5 * 8, 0x200000 | 3);
  memory.write64(0x112000 + 6 * 8, 0x201000 | 3);
  memory.write64(0x122000 + 5 * 8, 0x400000 | 3);
  unit.set_root_table(0x100000);
  unit.enable_translation(true);
  if (planted) unit.plant(model::iommu::CacheBug::domain_not_tagged);
}

std::vector<model::iommu::DmaOutcome> CachedIsolationMachine::apply(const model::Operation& op) {
  if (op.kind == model::OperationKind::dma_read || op.kind == model::OperationKind::dma_write) {
    const model::iommu::DmaRequest req{op.source_id, op.address, 8, op.kind == model::OperationKind::dma_write, 0x99};
    auto allowed = unit.dma_outcomes(memory, req);
    unit.commit(memory, req, allowed[0]);
    return allowed;
  }
  io::CacheInvalidationRequest<spec::Concrete> q;
  q.cache = op.kind == model::OperationKind::invalidate_iotlb ? io::InvalidatedCache::iotlb : io::InvalidatedCache::context;
  q.granularity = static_cast<io::InvalidationGranularity>(op.type);
  q.domain_id = op.domain_id;
  unit.invalidate(q);
  return {};
}

ObligationResult prove_vtd_cached_isolation(const ProveOptions& o) {
  constexpr std::uint16_t kDeviceA = CachedIsolationMachine::kDeviceA, kDeviceB = CachedIsolationMachine::kDeviceB;
  ObligationResult r;
  const std::vector<model::Operation> menu = {
      op_of("dma_read", kDeviceA, 0x5000), op_of("dma_read", kDeviceA, 0x6000), op_of("dma_read", kDeviceB, 0x5000),
      op_of("dma_read", kDeviceB, 0x6000), op_of("dma_write", kDeviceB, 0x6000),  op_of("invalidate_iotlb", 0, 0, 1),
      op_of("invalidate_iotlb", 0, 0, 2, 1), op_of("invalidate_context_cache", 0, 0, 1),
  };
  std::size_t sequences = 0, outcomes = 0;
  std::optional<std::string> violation;
  std::vector<model::Operation> path, found;
  std::function<void(const CachedIsolationMachine&, unsigned)> explore = [&](const CachedIsolationMachine& at, unsigned depth) {
    if (violation || depth == 3) return;
    for (const auto& op : menu) {
      if (violation) return;
      path.push_back(op);
      ++sequences;
      CachedIsolationMachine next = at;
      const auto [lo, hi] = CachedIsolationMachine::region(op.source_id);
      for (const auto& a : next.apply(op)) {
        ++outcomes;
        if (a.physical && (*a.physical < lo || *a.physical >= hi)) {
          violation = fmt::format("{} may land at {:#x}, outside its domain's region [{:#x}, {:#x}){}", model::describe(op),
                                  *a.physical, lo, hi, a.flags.empty() ? "" : fmt::format(" (through a {})", fmt::join(a.flags, ", ")));
          found = path;
          return;
        }
      }
      explore(next, depth + 1);
      path.pop_back();
    }
  };
  explore(CachedIsolationMachine(o.mutation == Mutation::vtd_domain_not_tagged), 0);
  const std::string case_name = fmt::format("two devices, two domains, sequences of up to 3 of {} operations", menu.size());
  if (violation) {
    Counterexample c;
    c.obligation = "vtd-cached-isolation";
    c.case_name = case_name;
    c.explanation = *violation;
    VtdCacheCounterexample x;
    x.change = *violation;
    x.sequence = found;
    c.document = "vtd-cached-isolation counterexample: after\n";
    for (const auto& op : found) c.document += "  " + model::describe(op) + "\n";
    c.document += *violation + "\n";
    c.vtd_cache = x;
    r.counterexample = c;
    record_case(r, Verdict::counterexample, case_name, "");
    return r;
  }
  record_case(r, Verdict::proved, fmt::format("{} ({} sequences, {} allowed outcomes)", case_name, sequences, outcomes), "");
  return r;
}

}  // namespace vtspec::checker
