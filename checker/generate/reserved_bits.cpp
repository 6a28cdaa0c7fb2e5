// Reserved-bit faults (SDM Vol. 3A 4.5.4 Tables 4-14..4-20, 4.7): a present entry with a
// reserved bit set makes the access fault with P = 1 and RSVD = 1, whatever the access
// rights. Covered: physical-address bits at or above MAXPHYADDR at each level, PS = 1 in a
// PML4E, the reserved low bits of 2-MByte and 1-GByte frames, and XD while EFER.NXE = 0.
#include <fmt/format.h>

#include "checker/generate/draft.hpp"

namespace vtspec::generate {

namespace {

struct Case {
  const char* name;
  const char* size;
  unsigned level;       // the entry that gets the reserved bit
  std::uint64_t bits;   // ORed into it
};

}  // namespace

std::vector<CorpusFile> reserved_bits() {
  const std::uint64_t above_maxphyaddr = std::uint64_t{1} << kMaxPhyAddr;
  const Case cases[] = {
      {"maxphyaddr-pml4e", "4K", 4, above_maxphyaddr},
      {"maxphyaddr-pdpte", "4K", 3, above_maxphyaddr},
      {"maxphyaddr-pde", "4K", 2, above_maxphyaddr},
      {"maxphyaddr-pte", "4K", 1, std::uint64_t{1} << 51},
      {"ps-in-pml4e", "4K", 4, std::uint64_t{1} << 7},
      {"2m-frame-bit-13", "2M", 2, std::uint64_t{1} << 13},
      {"1g-frame-bit-13", "1G", 3, std::uint64_t{1} << 13},
      {"1g-frame-bit-29", "1G", 3, std::uint64_t{1} << 29},
  };
  CorpusFile file{"reserved-bits.yaml", "Reserved-bit page faults at every level", {}};
  // Three groups, so a target without 1-GByte pages still runs the other two.
  enum Group { small_pages, one_gb_pages, xd_without_nxe };
  for (Group group : {small_pages, one_gb_pages, xd_without_nxe}) {
    const bool nxe = group != xd_without_nxe;
    Draft d;
    d.vector.id = group == small_pages ? "reserved/bits" : group == one_gb_pages ? "reserved/1g-frame-bits" : "reserved/xd-without-nxe";
    d.vector.description = nxe ? "One page per reserved-bit case, each under its own PML4 entry; read, write and fetch "
                                 "at CPL 0 and 3, then the same on a clean page."
                               : "XD set in an entry at each level while EFER.NXE = 0: bit 63 is reserved.";
    d.vector.sdm = {"Vol. 3A 4.5.4", "Vol. 3A 4.7"};
    if (group == one_gb_pages) d.vector.requires_features.push_back("page1gb");
    if (nxe) d.vector.requires_features.push_back("nx");
    else d.state.efer = {"LME", "LMA"};
    std::vector<std::pair<std::uint64_t, std::pair<unsigned, std::uint64_t>>> poison;  // va -> (level, bits)
    std::vector<std::uint64_t> pages;
    std::uint64_t slot = 1;
    auto add = [&](const char* size, unsigned level, std::uint64_t bits, const char* name) {
      const std::uint64_t va = slot << 39, pa = std::string(size) == "1G" ? 0 : std::string(size) == "2M" ? 0x1200000 + slot * 0x200000 : kDataAt + slot * 0x1000;
      ++slot;
      d.state.mappings.push_back(fmt::format("{{ va: {:#x}, pa: {:#x}, size: {}, flags: [P, RW, US, A, D], upper: [P, RW, US, A] }}  # {}",
                                             va, pa, size, name));
      if (std::string(size) != "1G") d.state.data_page(pa);
      poison.push_back({va, {level, bits}});
      pages.push_back(std::string(size) == "1G" ? va + 0x3000000 : va);
    };
    if (nxe) {
      for (const auto& c : cases)
        if ((std::string(c.size) == "1G") == (group == one_gb_pages)) add(c.size, c.level, c.bits, c.name);
    } else {
      for (unsigned level = 4; level >= 1; --level) add("4K", level, std::uint64_t{1} << 63, "xd");
    }
    add("4K", 1, 0, "clean");
    if (group == one_gb_pages) d.state.data_page(0x3000000);
    // Raw writes: each entry as the loader built it, plus the reserved bits.
    const StateSketch clean = d.state;
    const model::MachineState built = load_sketch(clean);
    for (const auto& [va, lb] : poison) {
      if (!lb.second) continue;
      const std::uint64_t gpa = entry_address(clean, va, lb.first);
      d.state.writes.emplace_back(gpa, built.memory.read64(gpa) | lb.second);
    }
    std::uint64_t n = 0;
    for (std::uint64_t at : pages) {
      for (unsigned cpl : {0u, 3u}) {
        d.read(at, cpl);
        d.fetch(at, cpl);
        d.write(at, cpl, 0x5253000000000000ull | (++n << 8) | 0xc3);
      }
    }
    file.drafts.push_back(std::move(d));
  }
  return {file};
}

}  // namespace vtspec::generate
