// TLB scenarios (SDM Vol. 3A 4.10): a paging-structure entry is changed by a guest store, and
// until the required invalidation the processor may still use what it cached (4.10.4.3), so
// the expectation lists the stale outcome as acceptable next to the fresh walk. After the
// invalidation only the fresh walk remains. Covered: INVLPG (global pages too, in the current PCID and
// another), MOV CR3 with and without PCIDs and the no-flush bit (4.10.4.1), global pages across MOV CR3 and CR4.PGE toggles, MOV to CR4 setting SMEP, the four
// INVPCID types, unmapping, and permission downgrades and upgrades.
#include <fmt/format.h>

#include "checker/generate/draft.hpp"
#include "spec/control_registers.hpp"
#include "spec/paging_entry.hpp"

namespace vtspec::generate {

namespace {

constexpr std::uint64_t kPageA = 0x8000000000ull;  // PML4 slot 1
constexpr std::uint64_t kPageB = 0x8000001000ull;
constexpr std::uint64_t kOld = kDataAt, kNew = kDataAt + 0x1000, kOldB = kDataAt + 0x2000, kNewB = kDataAt + 0x3000;
constexpr std::uint64_t kLeaf = 0x67;        // P, RW, US, A, D
constexpr std::uint64_t kGlobal = spec::bit_at(spec::pte::global);
constexpr std::uint64_t kPcidCr4 = spec::cr4::pae | spec::cr4::pcide;

struct Setup {
  bool global_a = false;   // page A is global (G = 1, CR4.PGE = 1)
  bool pcid = false;       // CR4.PCIDE = 1, CR3 starts with PCID 1
};

Draft make(const char* id, const char* description, std::vector<std::string> sdm, Setup setup) {
  Draft d;
  d.vector.id = id;
  d.vector.description = description;
  d.vector.sdm = std::move(sdm);
  if (setup.global_a) d.state.cr4 = {"PAE", "PGE"};
  if (setup.pcid) {
    d.state.cr4.push_back("PCIDE");
    d.state.cr3 = kRoot | 1;
  }
  d.state.mappings = {
      fmt::format("{{ va: {:#x}, pa: {:#x}, size: 4K, flags: [P, RW, US, A, D{}], upper: [P, RW, US, A] }}", kPageA, kOld,
                  setup.global_a ? ", G" : ""),
      fmt::format("{{ va: {:#x}, pa: {:#x}, size: 4K, flags: [P, RW, US, A, D], upper: [P, RW, US, A] }}", kPageB, kOldB),
  };
  for (std::uint64_t pa : {kOld, kNew, kOldB, kNewB}) d.state.data_page(pa);
  return d;
}

std::uint64_t pte(const Draft& d, std::uint64_t va) { return entry_address(d.state, va, 1); }

}  // namespace

std::vector<CorpusFile> tlb_scenarios() {
  CorpusFile file{"tlb.yaml", "TLB scenarios: stale entries and the invalidations that end them", {}};
  auto& out = file.drafts;
  {
    Draft d = make("tlb/invlpg-remap", "Remap a cached page: the read before INVLPG may see either frame, after it only the new one.",
                   {"Vol. 3A 4.10.4.1", "Vol. 3A 4.10.4.3"}, {});
    d.read(kPageA, 0);
    d.store_entry(pte(d, kPageA), kNew | kLeaf);
    d.read(kPageA, 0);
    d.invlpg(kPageA);
    d.read(kPageA, 0);
    d.read(kPageA, 3);
    out.push_back(std::move(d));
  }
  {
    Draft d = make("tlb/invlpg-unmap", "Clear P in a cached PTE: reads may still hit the TLB until INVLPG, then #PF.",
                   {"Vol. 3A 4.10.4.3", "Vol. 3A 4.10.2.2"}, {});
    d.read(kPageA, 3);
    d.store_entry(pte(d, kPageA), kOld | (kLeaf & ~1ull));
    d.read(kPageA, 3);
    d.invlpg(kPageA);
    d.read(kPageA, 3);
    d.read(kPageB, 3);
    out.push_back(std::move(d));
  }
  {
    Draft d = make("tlb/permission-downgrade", "Clear U/S in a cached PTE: a CPL-3 read may still succeed until MOV CR3.",
                   {"Vol. 3A 4.10.4.3", "Vol. 3A 4.10.4.1"}, {});
    d.read(kPageA, 3);
    d.store_entry(pte(d, kPageA), kOld | (kLeaf & ~4ull));
    d.read(kPageA, 3);
    d.mov_cr3(kRoot);
    d.read(kPageA, 3);
    d.read(kPageA, 0);
    out.push_back(std::move(d));
  }
  {
    Draft d = make("tlb/permission-upgrade",
                   "Set R/W in a cached read-only PTE without invalidating: the write may fault (the #PF then "
                   "invalidates), and the retried write succeeds.",
                   {"Vol. 3A 4.10.4.3", "Vol. 3A 4.10.4.2"}, {});
    d.store_entry(pte(d, kPageA), kOld | (kLeaf & ~2ull));
    d.invlpg(kPageA);
    d.read(kPageA, 0);
    d.store_entry(pte(d, kPageA), kOld | kLeaf);
    d.write(kPageA, 3, 0x5550000000000000ull | 0x1c3);
    d.write(kPageA, 3, 0x5550000000000000ull | 0x2c3);
    d.read(kPageA, 3);
    out.push_back(std::move(d));
  }
  {
    // MOV to CR4 that sets SMEP invalidates the current PCID's TLB entries (4.10.4.1); one
    // that changes no bit of that list invalidates nothing. A PTE is remapped behind a cached
    // translation, then each kind of write to CR4 comes first.
    Draft d = make("tlb/mov-cr4-smep-flushes",
                   "Remap a cached page: MOV to CR4 with the same value leaves the stale translation usable; MOV to CR4 "
                   "setting SMEP (0 -> 1) invalidates it, so the next read sees only the new frame.",
                   {"Vol. 3A 4.10.4.1", "Vol. 3A 4.10.4.3"}, {});
    d.read(kPageA, 0);
    d.store_entry(pte(d, kPageA), kNew | kLeaf);
    d.mov_cr4(spec::cr4::pae);  // the value it has: nothing to invalidate
    d.read(kPageA, 0);
    d.mov_cr4(spec::cr4::pae | spec::cr4::smep);
    d.read(kPageA, 0);
    out.push_back(std::move(d));
  }
  {
    Draft d = make("tlb/global-survives-mov-cr3",
                   "A global page's translation survives MOV CR3; a non-global one does not; toggling CR4.PGE "
                   "flushes both.",
                   {"Vol. 3A 4.10.2.4", "Vol. 3A 4.10.4.1"}, {.global_a = true});
    d.read(kPageA, 0);
    d.read(kPageB, 0);
    d.store_entry(pte(d, kPageA), kNew | kLeaf | kGlobal);
    d.store_entry(pte(d, kPageB), kNewB | kLeaf);
    d.mov_cr3(kRoot);
    d.read(kPageA, 0);
    d.read(kPageB, 0);
    d.mov_cr4(1u << 5);  // PGE off: invalidates all TLB entries, global ones included
    d.read(kPageA, 0);
    d.mov_cr4((1u << 5) | (1u << 7));
    d.read(kPageA, 0);
    out.push_back(std::move(d));
  }
  {
    Draft d = make("tlb/pcid-no-flush",
                   "Entries cached for PCID 1 survive a switch to PCID 2 and back with the no-flush bit; a switch "
                   "without it flushes PCID 1.",
                   {"Vol. 3A 4.10.1", "Vol. 3A 4.10.4.1"}, {.pcid = true});
    d.read(kPageA, 0);
    d.store_entry(pte(d, kPageA), kNew | kLeaf);
    d.mov_cr3(kRoot | 2);
    d.read(kPageA, 0);
    d.mov_cr3(kRoot | 1, true);
    d.read(kPageA, 0);
    d.mov_cr3(kRoot | 1);
    d.read(kPageA, 0);
    out.push_back(std::move(d));
  }
  {
    // 4.10.4.1 INVLPG: "invalidates any global TLB entries for the page ... regardless of PCID".
    Draft d = make("tlb/invlpg-global-current-pcid",
                   "A global page cached under PCID 1 and remapped: INVLPG in PCID 1 removes the global entry, so "
                   "only the new frame remains, in PCID 1 and in PCID 2.",
                   {"Vol. 3A 4.10.4.1", "Vol. 3A 4.10.2.4", "Vol. 2A INVLPG"}, {.global_a = true, .pcid = true});
    d.read(kPageA, 0);
    d.store_entry(pte(d, kPageA), kNew | kLeaf | kGlobal);
    d.read(kPageA, 0);
    d.invlpg(kPageA);
    d.read(kPageA, 0);
    d.mov_cr3(kRoot | 2, true);
    d.read(kPageA, 0);
    out.push_back(std::move(d));
  }
  {
    Draft d = make("tlb/invlpg-global-other-pcid",
                   "A global page and a non-global one cached under PCID 1, both remapped; in PCID 2 the global entry "
                   "still serves until INVLPG there removes it for every PCID; INVLPG in PCID 2 need not remove PCID "
                   "1's non-global entry.",
                   {"Vol. 3A 4.10.4.1", "Vol. 3A 4.10.2.4", "Vol. 2A INVLPG"}, {.global_a = true, .pcid = true});
    d.read(kPageA, 0);
    d.read(kPageB, 0);
    d.store_entry(pte(d, kPageA), kNew | kLeaf | kGlobal);
    d.store_entry(pte(d, kPageB), kNewB | kLeaf);
    d.mov_cr3(kRoot | 2, true);
    d.read(kPageA, 0);
    d.invlpg(kPageA);
    d.invlpg(kPageB);
    d.read(kPageA, 0);
    d.mov_cr3(kRoot | 1, true);
    d.read(kPageA, 0);
    d.read(kPageB, 0);
    out.push_back(std::move(d));
  }
  for (unsigned type : {0u, 1u, 2u, 3u}) {
    static const char* const names[] = {"individual-address", "single-context", "all-contexts-with-globals",
                                        "all-contexts-except-globals"};
    static const char* const what[] = {
        "Type 0 invalidates page A for PCID 1 only: PCID 2 may still use its stale entry.",
        "Type 1 invalidates all of PCID 1 (global entries excepted): PCID 2 may still use its stale entries.",
        "Type 2 invalidates every PCID and global entries: only fresh walks remain.",
        "Type 3 invalidates every PCID but not global entries: the global page A may stay stale."};
    Draft d = make(fmt::format("tlb/invpcid-{}", names[type]).c_str(), what[type], {"Vol. 2B INVPCID", "Vol. 3A 4.10.4.1"},
                   {.global_a = type >= 2, .pcid = true});
    d.read(kPageA, 0);
    d.read(kPageB, 0);
    d.mov_cr3(kRoot | 2, true);
    d.read(kPageA, 0);
    d.read(kPageB, 0);
    d.store_entry(pte(d, kPageA), kNew | kLeaf | (type >= 2 ? kGlobal : 0));
    d.store_entry(pte(d, kPageB), kNewB | kLeaf);
    d.invpcid(type, type <= 1 ? 1 : 0, type == 0 ? kPageA : 0);
    d.read(kPageA, 0);  // PCID 2
    d.read(kPageB, 0);
    d.mov_cr3(kRoot | 1, true);
    d.read(kPageA, 0);  // PCID 1
    d.read(kPageB, 0);
    out.push_back(std::move(d));
  }
  return {file};
}

}  // namespace vtspec::generate
