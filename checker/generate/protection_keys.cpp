// Protection keys (SDM Vol. 3A 4.6.2): with CR4.PKE = 1, a user-mode page's key selects
// PKRU bits AD (no data access) and WD (no data write; supervisor writes too when CR0.WP = 1).
// Fetches and supervisor-mode pages are not subject to PKRU. A key fault sets PK in the
// error code (4.7).
#include <fmt/format.h>

#include "checker/generate/draft.hpp"

namespace vtspec::generate {

std::vector<CorpusFile> protection_keys() {
  CorpusFile file{"protection-keys.yaml", "Protection keys: PKRU access- and write-disable, with CR0.WP 0 and 1", {}};
  // PKRU: key 1 AD, key 2 WD, key 3 AD and WD (bits 2k and 2k+1).
  const std::uint64_t pkru = (1u << 2) | (1u << 5) | (3u << 6);
  for (int wp : {0, 1}) {
    Draft d;
    d.vector.id = fmt::format("pkeys/wp{}", wp);
    d.vector.description = "User pages with keys 0-3 and a supervisor page with key 1; PKRU disables access to key 1, "
                           "writes to key 2, both to key 3. Read, write and fetch at CPL 0 and 3.";
    d.vector.sdm = {"Vol. 3A 4.6.2", "Vol. 3A 4.7"};
    d.state.cr0 = wp ? std::vector<std::string>{"PE", "PG", "WP"} : std::vector<std::string>{"PE", "PG"};
    d.state.cr4 = {"PAE", "PKE"};
    d.state.pkru = pkru;
    std::uint64_t n = 0;
    for (unsigned i = 0; i < 5; ++i) {
      const bool user = i < 4;
      const unsigned key = user ? i : 1;
      const std::uint64_t va = 0x8000000000ull + i * 0x1000, pa = kDataAt + i * 0x1000;
      d.state.mappings.push_back(fmt::format("{{ va: {:#x}, pa: {:#x}, size: 4K, flags: [P, RW, {}A, D], pkey: {}, upper: [P, RW, US, A] }}",
                                             va, pa, user ? "US, " : "", key));
      d.state.data_page(pa);
      for (unsigned cpl : {0u, 3u}) {
        d.read(va, cpl);
        d.fetch(va, cpl);
        d.write(va, cpl, 0x504b000000000000ull | (++n << 8) | 0xc3);
      }
    }
    file.drafts.push_back(std::move(d));
  }
  return {file};
}

}  // namespace vtspec::generate
