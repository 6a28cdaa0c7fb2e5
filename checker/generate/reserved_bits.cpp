// Reserved-bit faults (SDM Vol. 3A 4.5.4 Tables 4-14..4-20, 4.7): a present entry with a
// reserved bit set makes the access fault with P = 1 and RSVD = 1, whatever the access
// rights. Physical-address bits M..51 are reserved where M is MAXPHYADDR, so that family
// comes once per MAXPHYADDR the corpus covers (36, 39, 46, 48, 52: laptops to large servers),
// each host running the ones its target can build: bit M at each level and bit 51 in the PTE
// (at 52 there are none; bit 52 is then an ignored bit, and the accesses complete). Also
// covered, at MAXPHYADDR 36: PS = 1 in a PML4E, the reserved low bits of 2-MByte and 1-GByte
// frames, and XD while EFER.NXE = 0.
#include <fmt/format.h>

#include "checker/generate/draft.hpp"

namespace vtspec::generate {

namespace {

struct Case {
  std::string name;
  std::string size;
  unsigned level;       // the entry that gets the reserved bit
  std::uint64_t bits;   // ORed into it
};

struct Group {
  std::string id;
  std::string description;
  unsigned maxphyaddr;
  bool nxe;
  std::vector<Case> cases;
};

constexpr unsigned kMaxPhyAddrs[] = {36, 39, 46, 48, 52};

std::vector<Group> groups() {
  std::vector<Group> out;
  for (unsigned m : kMaxPhyAddrs) {
    Group g{fmt::format("reserved/maxphyaddr-{}", m), "", m, true, {}};
    const unsigned bit = m < 52 ? m : 52;  // at 52: the lowest ignored bit (SDM Table 4-20)
    const char* kind = m < 52 ? "reserved" : "ignored";
    g.description = fmt::format(
        "MAXPHYADDR {}: bit {} ({}) in the PML4E, PDPTE, PDE and PTE{}, each under its own PML4 entry; read, write and "
        "fetch at CPL 0 and 3, then the same on a clean page.",
        m, bit, kind, m < 52 ? ", and bit 51 in the PTE" : "");
    for (unsigned level = 4; level >= 1; --level)
      g.cases.push_back({fmt::format("bit-{}-level-{}", bit, level), "4K", level, std::uint64_t{1} << bit});
    if (m < 52) g.cases.push_back({"bit-51-pte", "4K", 1, std::uint64_t{1} << 51});
    out.push_back(std::move(g));
  }
  out.push_back({"reserved/structure-bits",
                 "PS = 1 in a PML4E and a reserved low bit of a 2-MByte frame; read, write and fetch at CPL 0 and 3, "
                 "then the same on a clean page.",
                 kMaxPhyAddr,
                 true,
                 {{"ps-in-pml4e", "4K", 4, std::uint64_t{1} << 7}, {"2m-frame-bit-13", "2M", 2, std::uint64_t{1} << 13}}});
  out.push_back({"reserved/1g-frame-bits",
                 "Reserved low bits 13 and 29 of 1-GByte frames; read, write and fetch at CPL 0 and 3, then the same on a "
                 "clean page.",
                 kMaxPhyAddr,
                 true,
                 {{"1g-frame-bit-13", "1G", 3, std::uint64_t{1} << 13}, {"1g-frame-bit-29", "1G", 3, std::uint64_t{1} << 29}}});
  Group xd{"reserved/xd-without-nxe", "XD set in an entry at each level while EFER.NXE = 0: bit 63 is reserved.",
           kMaxPhyAddr, false, {}};
  for (unsigned level = 4; level >= 1; --level) xd.cases.push_back({"xd", "4K", level, std::uint64_t{1} << 63});
  out.push_back(std::move(xd));
  return out;
}

Draft draft(const Group& g) {
  Draft d;
  d.vector.id = g.id;
  d.vector.description = g.description;
  d.vector.sdm = {"Vol. 3A 4.5.4", "Vol. 3A 4.7"};
  d.state.features = {fmt::format("maxphyaddr: {}", g.maxphyaddr)};
  if (!g.nxe) d.state.efer = {"LME", "LMA"};
  std::vector<std::uint64_t> pages;
  std::uint64_t slot = 1;
  bool one_gb = false;
  auto add = [&](const std::string& size, unsigned level, std::uint64_t bits, const std::string& name) {
    const std::uint64_t va = slot << 39;
    const std::uint64_t pa = size == "1G" ? 0 : size == "2M" ? 0x1200000 + slot * 0x200000 : kDataAt + slot * 0x1000;
    ++slot;
    // The reserved bits go into the entry by name (vectors/SCHEMA.md, Entry edits).
    std::vector<unsigned> numbers;
    for (unsigned b = 0; b < 64; ++b)
      if ((bits >> b) & 1) numbers.push_back(b);
    const std::string set = bits ? fmt::format(", set: {{ {}: [{}] }}", entry_key(level), fmt::join(numbers, ", ")) : "";
    d.state.mappings.push_back(fmt::format(
        "{{ va: {:#x}, pa: {:#x}, size: {}, flags: [P, RW, US, A, D], upper: [P, RW, US, A]{} }}  # {}", va, pa, size, set, name));
    if (size != "1G") d.state.data_page(pa);
    one_gb = one_gb || size == "1G";
    pages.push_back(size == "1G" ? va + 0x3000000 : va);
  };
  for (const auto& c : g.cases) add(c.size, c.level, c.bits, c.name);
  add("4K", 1, 0, "clean");
  if (one_gb) d.state.data_page(0x3000000);
  std::uint64_t n = 0;
  for (std::uint64_t at : pages)
    for (unsigned cpl : {0u, 3u}) {
      d.read(at, cpl);
      d.fetch(at, cpl);
      d.write(at, cpl, 0x5253000000000000ull | (++n << 8) | 0xc3);
    }
  return d;
}

}  // namespace

std::vector<CorpusFile> reserved_bits() {
  CorpusFile file{"reserved-bits.yaml", "Reserved-bit page faults at every level, at several MAXPHYADDR values", {}};
  for (const auto& g : groups()) file.drafts.push_back(draft(g));
  return {file};
}

}  // namespace vtspec::generate
