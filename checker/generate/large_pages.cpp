// 2-MByte and 1-GByte pages (SDM Vol. 3A 4.5.4, Tables 4-17 and 4-15): the page frame comes
// from the PDE / PDPTE with PS = 1, and the low 21 / 30 bits of the linear address are the
// offset. Reads, writes and fetches at the first, an inner and the last 4-KByte part of the
// page, and the permission checks on a large leaf; and a CPU without 1-GByte pages, where a
// PDPTE with PS = 1 is a reserved-bit #PF (Table 4-15, 4.7).
#include <fmt/format.h>

#include "checker/generate/draft.hpp"

namespace vtspec::generate {

namespace {

void exercise(Draft& d, std::uint64_t va, std::uint64_t pa, std::initializer_list<std::uint64_t> offsets, std::uint64_t tag) {
  std::uint64_t n = 0;
  for (std::uint64_t off : offsets) {
    d.state.data_page(pa + off);
    for (unsigned cpl : {0u, 3u}) {
      d.read(va + off, cpl);
      d.fetch(va + off, cpl);
      d.write(va + off, cpl, tag | (++n << 8) | 0xc3);
      d.read(va + off, cpl);
    }
  }
}

Draft draft(const char* id, const char* description, std::vector<std::string> sdm) {
  Draft d;
  d.vector.id = id;
  d.vector.description = description;
  d.vector.sdm = std::move(sdm);
  return d;
}

}  // namespace

std::vector<CorpusFile> large_pages() {
  CorpusFile file{"large-pages.yaml", "2-MByte and 1-GByte pages: offsets, permissions", {}};
  {
    Draft d = draft("large/2m",
                    "A user 2-MByte page, a supervisor one, a read-only one and an XD one, each under its own PDE; accesses at "
                    "offsets 0, 0x1000 and 0x1ff000 of the first.",
                    {"Vol. 3A 4.5.4", "Vol. 3A Table 4-17", "Vol. 3A 4.6.1"});
    const std::uint64_t va = 0x8000000000ull;
    d.state.mappings = {
        fmt::format("{{ va: {:#x}, pa: 0x1200000, size: 2M, flags: [P, RW, US, A, D], upper: [P, RW, US, A] }}", va),
        fmt::format("{{ va: {:#x}, pa: 0x1400000, size: 2M, flags: [P, RW, A, D], upper: [P, RW, US, A] }}", va + 0x200000),
        fmt::format("{{ va: {:#x}, pa: 0x1600000, size: 2M, flags: [P, US, A, D], upper: [P, RW, US, A] }}", va + 0x400000),
        fmt::format("{{ va: {:#x}, pa: 0x1800000, size: 2M, flags: [P, RW, US, A, D, XD], upper: [P, RW, US, A] }}", va + 0x600000),
    };
    exercise(d, va, 0x1200000, {0, 0x1000, 0x1ff000}, 0x324d000000000000ull);
    exercise(d, va + 0x200000, 0x1400000, {0x3000}, 0x324e000000000000ull);
    exercise(d, va + 0x400000, 0x1600000, {0x5000}, 0x324f000000000000ull);
    exercise(d, va + 0x600000, 0x1800000, {0x7000}, 0x3250000000000000ull);
    file.drafts.push_back(std::move(d));
  }
  {
    Draft d = draft("large/1g",
                    "A user 1-GByte page and a supervisor read-only one, both mapping guest-physical 0; accesses at two inner "
                    "offsets.",
                    {"Vol. 3A 4.5.4", "Vol. 3A Table 4-15", "Vol. 3A 4.6.1"});
    const std::uint64_t va = 0x8000000000ull;
    d.state.mappings = {
        fmt::format("{{ va: {:#x}, pa: 0x0, size: 1G, flags: [P, RW, US, A, D], upper: [P, RW, US, A] }}", va),
        fmt::format("{{ va: {:#x}, pa: 0x0, size: 1G, flags: [P, A, D], upper: [P, RW, US, A] }}", va + 0x40000000),
    };
    exercise(d, va, 0, {0x3000000, 0x3ffff000}, 0x3147000000000000ull);
    exercise(d, va + 0x40000000, 0, {0x3001000}, 0x3148000000000000ull);
    file.drafts.push_back(std::move(d));
  }
  {
    Draft d = draft("large/1g-unsupported",
                    "A virtual CPU without 1-GByte pages (CPUID 80000001H:EDX[26] = 0): a PDPTE with PS = 1 has a reserved bit "
                    "set, so every access through it is a #PF with RSVD = 1; a 2-MByte page beside it still translates.",
                    {"Vol. 3A 4.5.4", "Vol. 3A Table 4-15", "Vol. 3A 4.7"});
    d.state.features = {"maxphyaddr: 36", "page1gb: false"};
    const std::uint64_t va = 0x8000000000ull;
    d.state.mappings = {
        fmt::format("{{ va: {:#x}, pa: 0x0, size: 1G, flags: [P, RW, US, A, D], upper: [P, RW, US, A] }}", va),
        fmt::format("{{ va: {:#x}, pa: 0x1200000, size: 2M, flags: [P, RW, US, A, D], upper: [P, RW, US, A] }}", va + 0x40000000),
    };
    exercise(d, va, 0, {0x3000000}, 0x3149000000000000ull);
    exercise(d, va + 0x40000000, 0x1200000, {0x1000}, 0x314a000000000000ull);
    file.drafts.push_back(std::move(d));
  }
  return {file};
}

}  // namespace vtspec::generate
