// DMA-remapping vectors (Intel VT-d, legacy mode) for the qemu-vtd target and the model:
//   - every fault reason legacy mode reaches for untranslated requests (7.1.3, Appendix A:
//     1-9, 0AH, 0BH, 0CH; 7-9 and the SLPTPTR case of 3 with tables in the platform's unbacked
//     memory; 0DH concerns translated requests, not modelled);
//   - read/write permission at every level, with 3- and 4-level tables (9.8, 3.7);
//   - 2 MiB and 1 GiB pages, and their reserved address bits (CAP.SLLPS, 9.8);
//   - reserved bits of root, context and second-level entries at every level;
//   - every invalidation granularity (6.5.1.1, 6.5.1.2) after a table change, with the
//     stale outcome acceptable until the invalidation that reaches it;
//   - two devices in two domains that reach only their own pages.
// The tables are written bit by bit from the VT-d figures; the expectations are the model's.
// Everything lies in [1 MiB, 1 GiB): where the QEMU platform places a vector.
#include <fmt/format.h>

#include "checker/generate/draft.hpp"

namespace vtspec::generate {

namespace {

constexpr std::uint64_t kVtdRoot = 0x100000, kContextTable = 0x101000;
constexpr std::uint16_t kDeviceA = 0x0018, kDeviceB = 0x0020;  // 00:03.0, 00:04.0
constexpr std::uint64_t kDidA = 1, kDidB = 2;
// Each domain's tables (top level first, one page per level) and its data region.
constexpr std::uint64_t kTablesA = 0x110000, kTablesB = 0x120000;
constexpr std::uint64_t kRegionA = 0x200000, kRegionB = 0x400000;
constexpr std::uint64_t kIova = 0x5000;  // maps to the region's page 0
constexpr unsigned kR = 1, kW = 2, kRW = 3;

struct Layout {
  const char* profile = "qemu-7.2-aw39";
  unsigned aw = 1;  // context AW: 1 = 39-bit (3 levels), 2 = 48-bit (4 levels)
  bool queued = false;  // invalidation through the queue (6.5.2) instead of registers (6.5.1)
  unsigned levels() const { return aw + 2; }
};

Draft make(std::string id, std::string description, std::vector<std::string> sdm, const Layout& layout = {},
           std::vector<std::uint16_t> devices = {kDeviceA}) {
  Draft d;
  d.vector.id = std::move(id);
  d.vector.description = std::move(description);
  d.vector.sdm = std::move(sdm);
  d.state.cpu = false;
  std::vector<std::string> ids;
  for (auto s : devices) ids.push_back(fmt::format("{:#06x}", s));
  d.state.iommu = fmt::format("{{ profile: {}, root_table: {:#x}, {}devices: [{}] }}", layout.profile, kVtdRoot,
                              layout.queued ? "invalidation: queued, " : "", fmt::join(ids, ", "));
  return d;
}

void root_entry(Draft& d, std::uint64_t lo_extra = 0, std::uint64_t hi = 0) {
  d.state.writes.emplace_back(kVtdRoot, kContextTable | 1 | lo_extra);  // 9.1: P, CTP (bus 0)
  if (hi) d.state.writes.emplace_back(kVtdRoot + 8, hi);
}
// 9.3: P, TT in bits 3:2, SLPTPTR; AW bits 66:64, DID bits 87:72.
void context_entry(Draft& d, std::uint16_t source, std::uint64_t did, std::uint64_t table, unsigned aw,
                   std::uint64_t lo_extra = 0, std::uint64_t hi_extra = 0) {
  const std::uint64_t at = kContextTable + (source & 0xff) * 16;
  d.state.writes.emplace_back(at, table | 1 | lo_extra);
  d.state.writes.emplace_back(at + 8, aw | (did << 8) | hi_extra);
}
// The path from the top table at `tables` to the 4 KiB page `page` for `iova`: one table page
// per level, level L at tables + (levels - L) * 4 KiB; `rights[L]` are the R/W bits of the
// entry at level L (9.8), `extra[L]` more bits.
struct Path {
  std::array<unsigned, 6> rights{kRW, kRW, kRW, kRW, kRW, kRW};
  std::array<std::uint64_t, 6> extra{};
};
std::uint64_t table_at(std::uint64_t tables, unsigned levels, unsigned level) { return tables + (levels - level) * 0x1000; }
std::uint64_t entry_at(std::uint64_t tables, unsigned levels, unsigned level, std::uint64_t iova) {
  return table_at(tables, levels, level) + ((iova >> spec::index_shift(level)) & 511) * 8;
}
void map(Draft& d, std::uint64_t tables, unsigned levels, std::uint64_t iova, std::uint64_t page, const Path& p = {}) {
  for (unsigned level = levels; level >= 1; --level) {
    const std::uint64_t next = level == 1 ? page : table_at(tables, levels, level - 1);
    d.state.writes.emplace_back(entry_at(tables, levels, level, iova), next | p.rights[level] | p.extra[level]);
  }
}
// Device A in domain A with `iova` -> region A's page 0, which holds data_value.
Draft domain_a(std::string id, std::string description, std::vector<std::string> sdm, const Layout& layout = {},
               const Path& path = {}) {
  Draft d = make(std::move(id), std::move(description), std::move(sdm), layout);
  root_entry(d);
  context_entry(d, kDeviceA, kDidA, kTablesA, layout.aw);
  map(d, kTablesA, layout.levels(), kIova, kRegionA, path);
  d.state.data_page(kRegionA);
  return d;
}

std::string level_word(unsigned level) {
  return level == 4 ? "sl-pml4e" : level == 3 ? "sl-pdpte" : level == 2 ? "sl-pde" : "sl-pte";
}

CorpusFile vtd_fault_reasons() {
  CorpusFile f{"vtd/fault-reasons.yaml",
               "VT-d legacy-mode DMA remapping: each fault reason with its condition (VT-d 7.1.3, Appendix A)", {}};
  auto& out = f.drafts;
  {
    Draft d = make("vtd/reason-1-root-not-present", "The root entry of bus 0 is not present: reason 1.", {"VT-d 7.1.3", "VT-d 9.1"});
    d.dma_read(kDeviceA, kIova);
    out.push_back(d);
  }
  {
    Draft d = make("vtd/reason-2-context-not-present", "The device's context entry is not present: reason 2.",
                   {"VT-d 7.1.3", "VT-d 9.3"});
    root_entry(d);
    d.dma_read(kDeviceA, kIova);
    d.dma_write(kDeviceA, kIova, 0x1);
    out.push_back(d);
  }
  {
    Draft d = make("vtd/reason-3-aw-not-in-sagaw", "The context entry's AW (48-bit) is not in CAP.SAGAW (39-bit only): reason 3.",
                   {"VT-d 7.1.3", "VT-d 9.3", "VT-d 10.4.2"});
    root_entry(d);
    context_entry(d, kDeviceA, kDidA, kTablesA, 2);
    d.dma_read(kDeviceA, kIova);
    out.push_back(d);
  }
  for (auto [tt, why] : {std::pair{3u, "TT = 11b is reserved"}, std::pair{1u, "TT = 01b needs ECAP.DT, which the unit lacks"}}) {
    Draft d = make(fmt::format("vtd/reason-3-tt-{}", tt), fmt::format("{}: reason 3.", why), {"VT-d 7.1.3", "VT-d 9.3"});
    root_entry(d);
    context_entry(d, kDeviceA, kDidA, kTablesA, 1, std::uint64_t{tt} << 2);
    map(d, kTablesA, 3, kIova, kRegionA);
    d.state.data_page(kRegionA);
    d.dma_read(kDeviceA, kIova);
    out.push_back(d);
  }
  {
    Draft d = domain_a("vtd/reason-4-beyond-agaw", "An IOVA at 2^39 is beyond the 39-bit AGAW: reason 4; just below translates.",
                       {"VT-d 7.1.3", "VT-d 3.7"});
    d.dma_read(kDeviceA, std::uint64_t{1} << 39 | kIova);
    d.dma_read(kDeviceA, kIova);
    out.push_back(d);
  }
  {
    Path p;
    p.rights[1] = kR;
    Draft d = domain_a("vtd/reason-5-write-denied", "A write through a read-only SL-PTE: reason 5; a read completes.",
                       {"VT-d 7.1.3", "VT-d 9.8"}, {}, p);
    d.dma_write(kDeviceA, kIova + 8, 0x1122);
    d.dma_read(kDeviceA, kIova);
    out.push_back(d);
  }
  {
    Path p;
    p.rights[1] = kW;
    Draft d = domain_a("vtd/reason-6-read-denied", "A read through a write-only SL-PTE: reason 6; a write completes.",
                       {"VT-d 7.1.3", "VT-d 9.8"}, {}, p);
    d.dma_read(kDeviceA, kIova);
    d.dma_write(kDeviceA, kIova + 8, 0x3344);
    out.push_back(d);
  }
  // 7.1.3 reasons 8, 9, 3 and 7: a table read that errors - the table in unbacked memory
  // ([0x40400000, 0x80000000) on the QEMU platform, model/iommu/remapping_unit.cpp).
  constexpr std::uint64_t kUnbacked = 0x7ff00000;
  {
    Draft d = make("vtd/reason-8-root-table-unreadable", "RTADDR points at memory that is not there: reason 8.",
                   {"VT-d 7.1.3", "VT-d 10.4.6"});
    d.state.iommu = fmt::format("{{ profile: qemu-7.2-aw39, root_table: {:#x}, devices: [0x0018] }}", kUnbacked);
    d.dma_read(kDeviceA, kIova);
    out.push_back(d);
  }
  {
    Draft d = make("vtd/reason-9-context-table-unreadable", "The root entry's CTP points at memory that is not there: reason 9.",
                   {"VT-d 7.1.3", "VT-d 9.1"});
    d.state.writes.emplace_back(kVtdRoot, kUnbacked | 1);
    d.dma_read(kDeviceA, kIova);
    out.push_back(d);
  }
  {
    Draft d = make("vtd/reason-3-slptptr-unreadable",
                   "The context entry's SLPTPTR points at memory that is not there: reason 3 (7.1.3 lists it with the "
                   "invalid programming of a context entry).",
                   {"VT-d 7.1.3", "VT-d 9.3"});
    root_entry(d);
    context_entry(d, kDeviceA, kDidA, kUnbacked, 1);
    d.dma_read(kDeviceA, kIova);
    out.push_back(d);
  }
  for (unsigned level : {2u, 1u}) {
    Path p;
    Draft d = domain_a(fmt::format("vtd/reason-7-{}-unreadable", level_word(level)),
                       fmt::format("The entry above points the {} at memory that is not there: reason 7.", level_word(level)),
                       {"VT-d 7.1.3", "VT-d 9.8"}, {}, p);
    d.state.writes.emplace_back(entry_at(kTablesA, 3, level + 1, kIova), kUnbacked | kRW);
    d.dma_read(kDeviceA, kIova);
    out.push_back(d);
  }
  {
    Draft d = domain_a("vtd/pass-through", "TT = 10b with ECAP.PT: the output address is the input address.",
                       {"VT-d 9.3", "VT-d 3.9"});
    context_entry(d, kDeviceA, kDidA, 0, 1, 2u << 2);
    d.dma_read(kDeviceA, kRegionA);
    d.dma_write(kDeviceA, kRegionA + 8, 0x55);
    d.dma_read(kDeviceA, kRegionA + 8);
    out.push_back(d);
  }
  return f;
}

CorpusFile vtd_reserved_bits() {
  CorpusFile f{"vtd/reserved-bits.yaml",
               "VT-d reserved fields of present root, context and second-level entries, at every level (9.1, 9.3, 9.8)", {}};
  auto& out = f.drafts;
  for (auto [bit, hi] : {std::pair{5u, false}, std::pair{11u, false}, std::pair{0u, true}, std::pair{63u, true}}) {
    Draft d = domain_a(fmt::format("vtd/root-reserved-bit-{}", bit + (hi ? 64 : 0)),
                       fmt::format("Root entry bit {} is reserved: reason 0AH.", bit + (hi ? 64 : 0)), {"VT-d 9.1", "VT-d 7.1.3"});
    d.state.writes.erase(d.state.writes.begin());  // the plain root entry
    root_entry(d, hi ? 0 : std::uint64_t{1} << bit, hi ? std::uint64_t{1} << bit : 0);
    d.dma_read(kDeviceA, kIova);
    out.push_back(d);
  }
  // Context entry: low bits 11:4 and 63:HAW, high bit 71 and 127:88 (AVAIL 70:67 are ignored).
  for (auto [bit, hi] : {std::pair{4u, false}, std::pair{39u, false}, std::pair{7u, true}, std::pair{24u, true},
                         std::pair{4u, true}}) {
    const unsigned number = bit + (hi ? 64 : 0);
    const bool ignored = hi && bit == 4;  // bit 68: AVAIL
    Draft d = domain_a(fmt::format("vtd/context-{}-bit-{}", ignored ? "ignored" : "reserved", number),
                       ignored ? "Context entry bit 68 is AVAIL (ignored): the DMA translates."
                               : fmt::format("Context entry bit {} is reserved: reason 0BH.", number),
                       {"VT-d 9.3", "VT-d 7.1.3"});
    context_entry(d, kDeviceA, kDidA, kTablesA, 1, hi ? 0 : std::uint64_t{1} << bit, hi ? std::uint64_t{1} << bit : 0);
    d.dma_read(kDeviceA, kIova);
    out.push_back(d);
  }
  // Second-level entries: bits 51:HAW at every level, for both layouts.
  for (const Layout layout : {Layout{}, Layout{"qemu-7.2-aw48", 2}}) {
    const unsigned haw = layout.aw == 1 ? 39 : 48;
    for (unsigned level = layout.levels(); level >= 1; --level) {
      Path p;
      p.extra[level] = std::uint64_t{1} << haw;
      Draft d = domain_a(fmt::format("vtd/sl-reserved-{}-bit-{}-aw{}", level_word(level), haw, haw),
                         fmt::format("Bit {} (51:HAW, HAW {}) of the {} is reserved: reason 0CH, for reads and writes.", haw, haw,
                                     level_word(level)),
                         {"VT-d 9.8", "VT-d 7.1.3"}, layout, p);
      d.dma_read(kDeviceA, kIova);
      d.dma_write(kDeviceA, kIova, 0x1);
      out.push_back(d);
    }
  }
  {
    Path p;
    p.extra[4] = 1u << 7;  // PS at level 4
    Draft d = domain_a("vtd/sl-pml4e-ps-reserved", "PS (bit 7) of an SL-PML4E is reserved: reason 0CH.",
                       {"VT-d 9.8", "VT-d 7.1.3"}, Layout{"qemu-7.2-aw48", 2}, p);
    d.dma_read(kDeviceA, kIova);
    out.push_back(d);
  }
  {
    Path p;
    p.rights[1] = 0;
    p.extra[1] = std::uint64_t{1} << 45;
    Draft d = domain_a("vtd/sl-pte-not-present-reserved-unchecked",
                       "An SL-PTE with R = W = 0 is not present: its reserved bits are not checked (reason 6, not 0CH).",
                       {"VT-d 9.8", "VT-d 7.1.3"}, {}, p);
    d.dma_read(kDeviceA, kIova);
    out.push_back(d);
  }
  return f;
}

CorpusFile vtd_permissions() {
  CorpusFile f{"vtd/permissions.yaml", "VT-d read and write permission at every second-level (9.8, 3.7)", {}};
  for (const Layout layout : {Layout{}, Layout{"qemu-7.2-aw48", 2}})
    for (unsigned level = layout.levels(); level >= 1; --level)
      for (unsigned rights : {0u, kR, kW, kRW}) {
        Path p;
        p.rights[level] = rights;
        const char* name = rights == 0 ? "none" : rights == kR ? "r" : rights == kW ? "w" : "rw";
        Draft d = domain_a(fmt::format("vtd/perm-{}-{}-aw{}", level_word(level), name, layout.aw == 1 ? 39 : 48),
                           fmt::format("The {} has {} (every other level RW): a read and a write of the page.", level_word(level),
                                       rights == 0 ? "neither R nor W" : rights == kR ? "R only" : rights == kW ? "W only" : "R and W"),
                           {"VT-d 9.8", "VT-d 3.7", "VT-d 7.1.3"}, layout, p);
        d.dma_read(kDeviceA, kIova);
        d.dma_write(kDeviceA, kIova + 0x10, 0xabcdef);
        d.dma_read(kDeviceA, kIova + 0x10);
        f.drafts.push_back(d);
      }
  return f;
}

CorpusFile vtd_large_pages() {
  CorpusFile f{"vtd/large-pages.yaml", "VT-d 2 MiB and 1 GiB second-level pages (CAP.SLLPS, 9.8)", {}};
  constexpr std::uint64_t kBig = 0x600000;          // a 2 MiB page
  constexpr std::uint64_t kIova2m = 0x40000000;     // PDPTE[1] -> PD, PDE[0] 2 MiB
  constexpr std::uint64_t kIova1g = 0x80000000;     // PDPTE[2]: 1 GiB at 0
  for (bool reserved : {false, true}) {
    Draft d = make(reserved ? "vtd/large-2m-reserved-bit-12" : "vtd/large-2m",
                   reserved ? "A 2 MiB SL-PDE with bit 12 set (20:12 are reserved in a large leaf): reason 0CH."
                            : "A 2 MiB SL-PDE (PS = 1): the offset's low 21 bits pass through.",
                   {"VT-d 9.8", "VT-d 3.7"});
    root_entry(d);
    context_entry(d, kDeviceA, kDidA, kTablesA, 1);
    d.state.writes.emplace_back(kTablesA + 8, (kTablesA + 0x1000) | kRW);
    d.state.writes.emplace_back(kTablesA + 0x1000, kBig | kRW | (1u << 7) | (reserved ? 0x1000 : 0));
    d.state.data_page(kBig + 0x1000);
    d.dma_read(kDeviceA, kIova2m + 0x1000);
    d.dma_write(kDeviceA, kIova2m + 0x1008, 0x77);
    d.dma_read(kDeviceA, kIova2m + 0x1008);
    f.drafts.push_back(d);
  }
  for (bool reserved : {false, true}) {
    Draft d = make(reserved ? "vtd/large-1g-reserved-bit-21" : "vtd/large-1g",
                   reserved ? "A 1 GiB SL-PDPTE with bit 21 set (29:12 are reserved in a large leaf): reason 0CH."
                            : "A 1 GiB SL-PDPTE (PS = 1) mapping physical 0: the offset's low 30 bits pass through.",
                   {"VT-d 9.8", "VT-d 3.7"});
    root_entry(d);
    context_entry(d, kDeviceA, kDidA, kTablesA, 1);
    d.state.writes.emplace_back(kTablesA + 16, 0 | kRW | (1u << 7) | (reserved ? 0x200000 : 0));
    d.state.data_page(kRegionA);
    d.dma_read(kDeviceA, kIova1g + kRegionA);
    f.drafts.push_back(d);
  }
  return f;
}

// A read caches the translation of kIova; the leaf then maps another page; `invalidate`
// runs; a second read may still see the old page exactly when the invalidation does not
// reach the IOTLB entry (6.5.1.2).
CorpusFile vtd_invalidation() {
  CorpusFile f{"vtd/invalidation.yaml",
               "VT-d register-based invalidation after a table change: which stale translations remain allowed (6.5.1)", {}};
  constexpr std::uint64_t kNewPage = kRegionA + 0x1000;
  struct Case {
    const char* id;
    const char* description;
    void (*invalidate)(Draft&);
  };
  const Case leaf_cases[] = {
      {"none", "no invalidation: the stale page stays acceptable", [](Draft&) {}},
      {"iotlb-global", "a global IOTLB invalidation: only the new page", [](Draft& d) { d.invalidate_iotlb(1); }},
      {"iotlb-domain", "a domain-selective IOTLB invalidation of the domain: only the new page",
       [](Draft& d) { d.invalidate_iotlb(2, kDidA); }},
      {"iotlb-other-domain", "a domain-selective IOTLB invalidation of another domain: the stale page stays acceptable",
       [](Draft& d) { d.invalidate_iotlb(2, kDidB); }},
      {"iotlb-page", "a page-selective invalidation of the page: only the new page",
       [](Draft& d) { d.invalidate_iotlb(3, kDidA, kIova); }},
      {"iotlb-page-hint", "a page-selective invalidation with IH = 1 (only a leaf changed): only the new page",
       [](Draft& d) { d.invalidate_iotlb(3, kDidA, kIova, 0, true); }},
      {"iotlb-other-page", "a page-selective invalidation of another page: the stale page stays acceptable",
       [](Draft& d) { d.invalidate_iotlb(3, kDidA, kIova + 0x1000); }},
      {"iotlb-page-mask", "a page-selective invalidation of 4 pages (AM = 2) that cover the page: only the new page",
       [](Draft& d) { d.invalidate_iotlb(3, kDidA, kIova & ~std::uint64_t{0x3fff}, 2); }},
      {"context-global", "a global context-cache invalidation (the IOTLB is another cache): the stale page stays acceptable",
       [](Draft& d) { d.invalidate_context_cache(1); }},
  };
  for (const bool queued : {false, true})
  for (const auto& c : leaf_cases) {
    if (queued && std::string(c.id) == "none") continue;
    Layout layout;
    layout.queued = queued;
    Draft d = domain_a(fmt::format("vtd/inval-{}leaf-{}", queued ? "queued-" : "", c.id),
                       fmt::format("The SL-PTE is changed to map another page; {}{}.", c.description,
                                   queued ? " (through the invalidation queue)" : ""),
                       queued ? std::vector<std::string>{"VT-d 6.5.2.3", "VT-d 6.5.2.1", "VT-d 6.2.3"}
                              : std::vector<std::string>{"VT-d 6.5.1.2", "VT-d 6.2.3"},
                       layout);
    d.state.data_page(kNewPage);
    d.dma_read(kDeviceA, kIova);
    d.store_entry(entry_at(kTablesA, 3, 1, kIova), kNewPage | kRW);
    c.invalidate(d);
    d.dma_read(kDeviceA, kIova);
    f.drafts.push_back(d);
  }
  // A non-leaf change: the SL-PDE now points at a new page table (whose PTE maps the new
  // page). Page-selective with IH = 1 may keep the paging-structure-cache entry (6.5.1.2).
  constexpr std::uint64_t kNewTable = kTablesA + 0x8000;
  const Case structure_cases[] = {
      {"page-hint", "a page-selective invalidation with IH = 1: the old table stays acceptable",
       [](Draft& d) { d.invalidate_iotlb(3, kDidA, kIova, 0, true); }},
      {"page", "a page-selective invalidation with IH = 0: only the new table", [](Draft& d) { d.invalidate_iotlb(3, kDidA, kIova); }},
      {"domain", "a domain-selective invalidation: only the new table", [](Draft& d) { d.invalidate_iotlb(2, kDidA); }},
  };
  for (const auto& c : structure_cases) {
    Draft d = domain_a(fmt::format("vtd/inval-structure-{}", c.id),
                       fmt::format("The SL-PDE is changed to point at another page table; {}.", c.description),
                       {"VT-d 6.5.1.2", "VT-d 6.2.4"});
    d.state.data_page(kNewPage);
    d.state.writes.emplace_back(kNewTable + ((kIova >> 12) & 511) * 8, kNewPage | kRW);
    d.dma_read(kDeviceA, kIova);
    d.store_entry(entry_at(kTablesA, 3, 2, kIova), kNewTable | kRW);
    c.invalidate(d);
    d.dma_read(kDeviceA, kIova);
    f.drafts.push_back(d);
  }
  // A domain move: the device's context entry changes to domain B with B's tables. The
  // context cache may keep the old entry until a context-cache invalidation that reaches it
  // (6.5.1.1), and domain A's IOTLB entries filled for this device may serve it until an IOTLB
  // invalidation of domain A (6.5.3: software invalidates the OLD domain after the change).
  const Case context_cases[] = {
      {"none", "no invalidation: the old domain's page stays acceptable", [](Draft&) {}},
      {"device", "a device-selective context invalidation for the old domain, then a domain IOTLB invalidation: only the new domain",
       [](Draft& d) {
         d.invalidate_context_cache(3, kDidA, kDeviceA);
         d.invalidate_iotlb(2, kDidA);
       }},
      {"device-only", "a device-selective context invalidation alone: the old domain's IOTLB entry (filled for this requester) stays acceptable (6.5.3)",
       [](Draft& d) { d.invalidate_context_cache(3, kDidA, kDeviceA); }},
      {"domain-other", "a domain-selective context invalidation of the NEW domain: the old entry stays acceptable",
       [](Draft& d) { d.invalidate_context_cache(2, kDidB); }},
      {"global", "a global context-cache invalidation without an IOTLB invalidation: the old domain's IOTLB entry stays acceptable",
       [](Draft& d) { d.invalidate_context_cache(1); }},
      {"global-iotlb-new-domain", "a global context-cache invalidation and the NEW domain's IOTLB invalidation: the old entry stays acceptable",
       [](Draft& d) {
         d.invalidate_context_cache(1);
         d.invalidate_iotlb(2, kDidB);
       }},
      {"global-iotlb-old-domain", "a global context-cache invalidation and the OLD domain's IOTLB invalidation: only the new domain",
       [](Draft& d) {
         d.invalidate_context_cache(1);
         d.invalidate_iotlb(2, kDidA);
       }},
  };
  for (const bool queued : {false, true})
  for (const auto& c : context_cases) {
    if (queued && std::string(c.id) == "none") continue;
    Layout layout;
    layout.queued = queued;
    Draft d = domain_a(fmt::format("vtd/inval-{}context-{}", queued ? "queued-" : "", c.id),
                       fmt::format("The device moves to domain B; {}{}.", c.description, queued ? " (through the invalidation queue)" : ""),
                       queued ? std::vector<std::string>{"VT-d 6.5.2.1", "VT-d 6.5.2.3", "VT-d 6.2.1", "VT-d 6.5.3"}
                              : std::vector<std::string>{"VT-d 6.5.1.1", "VT-d 6.2.1", "VT-d 6.5.3"},
                       layout);
    map(d, kTablesB, 3, kIova, kRegionB);
    d.state.data_page(kRegionB);
    d.dma_read(kDeviceA, kIova);
    const std::uint64_t at = kContextTable + (kDeviceA & 0xff) * 16;
    d.store_entry(at + 8, 1 | (kDidB << 8));  // the high half first: DID, AW
    d.store_entry(at, kTablesB | 1);
    c.invalidate(d);
    d.dma_read(kDeviceA, kIova);
    f.drafts.push_back(d);
  }
  return f;
}

CorpusFile vtd_isolation() {
  CorpusFile f{"vtd/isolation.yaml", "VT-d device isolation: two devices in two domains reach only their own pages (3.4.3)", {}};
  Draft d = make("vtd/two-domains", "Device A (DID 1) and device B (DID 2) map the same IOVA to their own regions; "
                 "an IOVA only A maps faults for B.",
                 {"VT-d 3.4.3", "VT-d 9.3"}, {}, {kDeviceA, kDeviceB});
  root_entry(d);
  context_entry(d, kDeviceA, kDidA, kTablesA, 1);
  context_entry(d, kDeviceB, kDidB, kTablesB, 1);
  map(d, kTablesA, 3, kIova, kRegionA);
  map(d, kTablesA, 3, kIova + 0x1000, kRegionA + 0x1000);
  map(d, kTablesB, 3, kIova, kRegionB);
  d.state.data_page(kRegionA);
  d.state.data_page(kRegionA + 0x1000);
  d.state.data_page(kRegionB);
  d.dma_read(kDeviceA, kIova);
  d.dma_read(kDeviceB, kIova);
  d.dma_write(kDeviceB, kIova + 8, 0xb0b);
  d.dma_read(kDeviceA, kIova + 8);
  d.dma_read(kDeviceA, kIova + 0x1000);
  d.dma_read(kDeviceB, kIova + 0x1000);
  d.dma_write(kDeviceB, kIova + 0x1000, 0xbad);
  d.dma_read(kDeviceA, kIova + 0x1000);
  f.drafts.push_back(d);
  return f;
}

}  // namespace

std::vector<CorpusFile> dma_remapping() {
  return {vtd_fault_reasons(), vtd_reserved_bits(), vtd_permissions(), vtd_large_pages(), vtd_invalidation(), vtd_isolation()};
}

}  // namespace vtspec::generate
