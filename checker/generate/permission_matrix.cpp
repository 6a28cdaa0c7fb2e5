// The guest permission matrix (SDM Vol. 3A 4.6 "Access Rights", 4.7 "Page-Fault Exceptions"):
// P/RW/US/XD at each level x CR0.WP x CR4.SMEP x CR4.SMAP with RFLAGS.AC x EFER.NXE x
// read/write/fetch x CPL 0/3.
//
// Compact by construction: the access rights of a translation depend on the entries only
// through the combined R/W, U/S and XD of all levels (4.6.1), so instead of 16^4 entry
// combinations each vector maps one page per *distinct placement*: every bit restricted at
// each single level, every combination of restrictions at the leaf, restrictions split
// across levels (so a target must combine levels), and not-present at each level. Each page
// sits under its own PML4 entry so the levels are independent. One vector per control
// combination; SMAP off makes AC irrelevant, so (SMAP, AC) takes 3 values: 2x2x3x2 = 24 vectors.
#include <fmt/format.h>

#include "checker/generate/draft.hpp"

namespace vtspec::generate {

namespace {

struct Placement {
  const char* name;
  unsigned rw = 0, us = 0, xd = 0;  // level (4 PML4 .. 1 PT) that restricts the bit, 0 = none
  unsigned not_present = 0;         // level whose entry is not present, 0 = none
};

const Placement kPlacements[] = {
    {"all-allowed"},
    {"ro-pml4", 4}, {"ro-pdpt", 3}, {"ro-pd", 2}, {"ro-pt", 1},
    {"sup-pml4", 0, 4}, {"sup-pdpt", 0, 3}, {"sup-pd", 0, 2}, {"sup-pt", 0, 1},
    {"xd-pml4", 0, 0, 4}, {"xd-pdpt", 0, 0, 3}, {"xd-pd", 0, 0, 2}, {"xd-pt", 0, 0, 1},
    {"ro-sup-pt", 1, 1}, {"ro-xd-pt", 1, 0, 1}, {"sup-xd-pt", 0, 1, 1}, {"ro-sup-xd-pt", 1, 1, 1},
    {"ro-pml4-sup-pt", 4, 1}, {"sup-pdpt-xd-pd", 0, 3, 2}, {"xd-pml4-ro-pd", 2, 0, 4},
    {"np-pml4", 0, 0, 0, 4}, {"np-pdpt", 0, 0, 0, 3}, {"np-pd", 0, 0, 0, 2}, {"np-pt", 0, 0, 0, 1},
};

std::string flags_at(const Placement& p, unsigned level) {
  std::vector<std::string> f;
  if (p.not_present != level) f.push_back("P");
  if (p.rw != level) f.push_back("RW");
  if (p.us != level) f.push_back("US");
  f.push_back("A");
  if (level == 1) f.push_back("D");
  if (p.xd == level) f.push_back("XD");
  return fmt::format("[{}]", fmt::join(f, ", "));
}

}  // namespace

std::vector<CorpusFile> permission_matrix() {
  std::vector<CorpusFile> files;
  for (int wp : {0, 1}) {
    for (int nxe : {0, 1}) {
      CorpusFile file{fmt::format("permissions/wp{}-nxe{}.yaml", wp, nxe),
                      fmt::format("Guest permission matrix with CR0.WP={} and EFER.NXE={}: every placement of "
                                  "P/RW/US/XD x SMEP x SMAP/AC x read/write/fetch x CPL 0/3",
                                  wp, nxe),
                      {}};
      for (int smep : {0, 1}) {
        for (auto [smap, ac] : {std::pair{0, 0}, std::pair{1, 0}, std::pair{1, 1}}) {
          Draft d;
          auto& v = d.vector;
          v.id = fmt::format("perm/wp{}-smep{}-smap{}-ac{}-nxe{}", wp, smep, smap, ac, nxe);
          v.description = fmt::format(
              "{} pages, one per placement of the P/RW/US/XD restrictions across the 4 levels; read, write and "
              "fetch each at CPL 0 and 3. All A and D flags are preset, so no access changes an entry.",
              std::size(kPlacements));
          v.sdm = {"Vol. 3A 4.6.1", "Vol. 3A 4.6.2", "Vol. 3A 4.7", "Vol. 3A 4.5.4 (XD reserved when EFER.NXE = 0)"};
          auto& s = d.state;
          s.cr0 = wp ? std::vector<std::string>{"PE", "PG", "WP"} : std::vector<std::string>{"PE", "PG"};
          s.cr4 = {"PAE"};
          if (smep) s.cr4.push_back("SMEP");
          if (smap) s.cr4.push_back("SMAP");
          s.efer = nxe ? std::vector<std::string>{"LME", "LMA", "NXE"} : std::vector<std::string>{"LME", "LMA"};
          s.ac = ac;
          std::uint64_t counter = 0;
          for (std::size_t i = 0; i < std::size(kPlacements); ++i) {
            const Placement& p = kPlacements[i];
            const std::uint64_t va = (i + 1) << 39, pa = kDataAt + i * 0x1000;
            s.mappings.push_back(fmt::format("{{ va: {:#x}, pa: {:#x}, size: 4K, flags: {}, pml4: {}, pdpt: {}, pd: {} }}  # {}",
                                             va, pa, flags_at(p, 1), flags_at(p, 4), flags_at(p, 3), flags_at(p, 2), p.name));
            s.data_page(pa);
            for (unsigned cpl : {0u, 3u}) {
              d.read(va, cpl);
              d.fetch(va, cpl);
              d.write(va, cpl, 0x5752000000000000ull | (++counter << 8) | 0xc3);
            }
          }
          file.drafts.push_back(std::move(d));
        }
      }
      files.push_back(std::move(file));
    }
  }
  return files;
}

}  // namespace vtspec::generate
