// Accessed and dirty flags (SDM Vol. 3A 4.8): the processor sets A in every paging-structure
// entry it uses, and D in the entry that maps the page on a write; a fault on a later level
// or a permission fault leaves room for either (the model says which updates are required
// and which merely permitted). 4K, 2M and 1G leaves; reads, writes, fetches; CPL 0 and 3.
#include <fmt/format.h>

#include "checker/generate/draft.hpp"

namespace vtspec::generate {

namespace {

struct Scenario {
  const char* id;
  const char* description;
  const char* size;      // 4K, 2M, 1G
  const char* leaf;      // leaf flags (without A/D: they start clear)
  const char* upper;     // upper flags
  std::vector<std::pair<char, unsigned>> ops;  // r/w/f + CPL
};

unsigned leaf_level(const std::string& size) { return size == "4K" ? 1 : size == "2M" ? 2 : 3; }

}  // namespace

std::vector<CorpusFile> accessed_dirty() {
  const Scenario scenarios[] = {
      {"ad/4k-read-then-write", "A is set at every level by a read; D only by the later write; a second read changes nothing.",
       "4K", "P, RW, US", "P, RW, US", {{'r', 0}, {'w', 0}, {'r', 3}}},
      {"ad/4k-write-first", "A write sets A at every level and D in the PTE at once.", "4K", "P, RW, US", "P, RW, US",
       {{'w', 3}, {'r', 3}}},
      {"ad/4k-fetch", "A fetch sets A, never D.", "4K", "P, RW, US", "P, RW, US", {{'f', 0}, {'f', 3}}},
      {"ad/4k-write-protection-fault", "A write to a read-only page faults; a read afterwards sets A.", "4K", "P, US",
       "P, RW, US", {{'w', 3}, {'r', 3}}},
      {"ad/4k-user-fault", "A CPL-3 read of a supervisor page faults; a CPL-0 read then sets A.", "4K", "P, RW", "P, RW, US",
       {{'r', 3}, {'r', 0}}},
      {"ad/4k-not-present-pte", "The PTE is not present: the read faults with A already usable above.", "4K", "RW, US",
       "P, RW, US", {{'r', 0}}},
      {"ad/2m-read-then-write", "A 2-MByte page: A and D live in the PDE that maps it.", "2M", "P, RW, US", "P, RW, US",
       {{'r', 0}, {'w', 0}}},
      {"ad/1g-write", "A 1-GByte page: A and D live in the PDPTE that maps it.", "1G", "P, RW, US", "P, RW, US",
       {{'w', 0}, {'r', 3}}},
  };
  CorpusFile file{"accessed-dirty.yaml", "Accessed and dirty flags at every level, for 4K, 2M and 1G pages", {}};
  for (const auto& sc : scenarios) {
    Draft d;
    d.vector.id = sc.id;
    d.vector.description = sc.description;
    d.vector.sdm = {"Vol. 3A 4.8"};
    const unsigned leaf = leaf_level(sc.size);
    // 1G pages map PA 0 (the only 1-GByte-aligned frame below the targets' region).
    const std::uint64_t va = 0x8000000000ull, pa = leaf == 3 ? 0 : leaf == 2 ? 0x1200000 : kDataAt;
    const std::uint64_t data = leaf == 3 ? 0x3000000 : pa;
    d.state.mappings.push_back(fmt::format("{{ va: {:#x}, pa: {:#x}, size: {}, flags: [{}], upper: [{}] }}", va, pa, sc.size,
                                           sc.leaf, sc.upper));
    d.state.data_page(data);
    for (unsigned level = 4; level >= leaf; --level) d.entry(entry_key(level), entry_address(d.state, va, level));
    const std::uint64_t at = va + (data - pa);
    std::uint64_t n = 0;
    for (auto [kind, cpl] : sc.ops) {
      if (kind == 'r') d.read(at, cpl);
      if (kind == 'f') d.fetch(at, cpl);
      if (kind == 'w') d.write(at, cpl, 0x4144000000000000ull | (++n << 8) | 0xc3);
    }
    file.drafts.push_back(std::move(d));
  }
  return {file};
}

}  // namespace vtspec::generate
