// Operations that change an access-rights input in the middle of a vector, and accesses at
// every CPL:
//   - CPL 1 and 2 make supervisor-mode accesses (SDM Vol. 3A 4.6): SMAP and SMEP apply to
//     them as at CPL 0, user-only rules do not;
//   - MOV to CR0 changes CR0.WP, which governs supervisor writes to read-only pages (4.6.1),
//     and faults for the values SDM Vol. 2B MOV lists (#GP);
//   - WRMSR to IA32_EFER changes NXE: with NXE = 0 an XD bit is reserved (4.5.4, Table
//     4-20), with NXE = 1 it forbids fetches (4.6.1); reserved bits and an LME change while
//     paging are #GP (Vol. 2B WRMSR, Vol. 3A 10.8.5);
//   - WRPKRU changes PKRU (4.6.2), and is #UD while CR4.PKE = 0 (Vol. 2B WRPKRU).
#include <fmt/format.h>

#include "checker/generate/draft.hpp"

namespace vtspec::generate {

namespace {

using model::OperationKind;

constexpr std::uint64_t kUser = 0x8000000000ull, kSupervisor = 0x8000001000ull;
constexpr std::uint64_t kUserPage = kDataAt, kSupervisorPage = kDataAt + 0x1000;

// A user page and a supervisor page with `leaf` flags (plus US for the user page).
Draft make(const char* id, const char* description, std::vector<std::string> sdm, const char* leaf,
           const char* user_extra = "") {
  Draft d;
  d.vector.id = id;
  d.vector.description = description;
  d.vector.sdm = std::move(sdm);
  d.state.mappings = {
      fmt::format("{{ va: {:#x}, pa: {:#x}, size: 4K, flags: [{}, US], {}upper: [P, RW, US, A] }}", kUser, kUserPage, leaf,
                  user_extra),
      fmt::format("{{ va: {:#x}, pa: {:#x}, size: 4K, flags: [{}], upper: [P, RW, US, A] }}", kSupervisor,
                  kSupervisorPage, leaf),
  };
  d.state.data_page(kUserPage);
  d.state.data_page(kSupervisorPage);
  return d;
}

void every_access(Draft& d, std::uint64_t va, unsigned cpl, std::uint64_t written) {
  d.read(va, cpl);
  d.write(va, cpl, written);
  d.fetch(va, cpl);
}

}  // namespace

std::vector<CorpusFile> control_operations() {
  CorpusFile file{"control-operations.yaml",
                  "Accesses at CPL 0-3, and MOV CR0, WRMSR IA32_EFER and WRPKRU in the middle of a vector", {}};
  auto& out = file.drafts;
  for (bool smap_smep : {false, true}) {
    Draft d = make(smap_smep ? "ctrl/cpl-smap1-smep1" : "ctrl/cpl-smap0-smep0",
                   "Read, write and fetch a user and a supervisor page at CPL 0, 1, 2 and 3: CPL 0-2 are "
                   "supervisor-mode, CPL 3 user-mode.",
                   {"Vol. 3A 4.6", "Vol. 3A 4.6.1", "Vol. 3A 4.7"}, "P, RW, A, D");
    if (smap_smep) {
      d.state.cr4 = {"PAE", "SMEP", "SMAP"};
    }
    std::uint64_t n = 0;
    for (unsigned cpl = 0; cpl < 4; ++cpl)
      for (std::uint64_t va : {kUser, kSupervisor}) every_access(d, va, cpl, 0x4350000000000000ull | (++n << 8) | 0xc3);
    out.push_back(std::move(d));
  }
  {
    Draft d = make("ctrl/mov-cr0-wp",
                   "Supervisor writes (CPL 0 and 2) to read-only pages fault with CR0.WP = 1 and complete after MOV CR0 "
                   "clears WP; user writes fault either way. MOV CR0 values that clear PG, set NW without CD or set "
                   "bit 32 are #GP.",
                   {"Vol. 3A 4.6.1", "Vol. 3A 2.5", "Vol. 2B MOV"}, "P, A, D");
    using namespace model::cr0;
    for (int round = 0; round < 2; ++round) {
      for (unsigned cpl : {0u, 2u, 3u}) d.write(kSupervisor, cpl, 0x5750000000000000ull | (cpl << 8) | 0xc3);
      d.write(kUser, 0, 0x5750000000000000ull | 0x10c3);
      d.write(kUser, 3, 0x5750000000000000ull | 0x11c3);
      if (round == 0) d.control(OperationKind::mov_cr0, pe | pg);
    }
    d.control(OperationKind::mov_cr0, pe | wp);
    d.control(OperationKind::mov_cr0, pe | pg | wp | nw);
    d.control(OperationKind::mov_cr0, pe | pg | wp | (std::uint64_t{1} << 32));
    d.control(OperationKind::mov_cr0, pe | pg | wp);
    d.write(kSupervisor, 0, 0x5750000000000000ull | 0x20c3);
    out.push_back(std::move(d));
  }
  {
    Draft d = make("ctrl/wrmsr-efer-nxe",
                   "XD pages: a fetch faults with EFER.NXE = 1; WRMSR clears NXE and XD becomes a reserved bit (a "
                   "cached translation may still serve until INVLPG); WRMSR sets NXE again. Reserved EFER bits and "
                   "clearing LME while paging are #GP.",
                   {"Vol. 3A 4.5.4", "Vol. 3A 4.6.1", "Vol. 4 IA32_EFER", "Vol. 2B WRMSR", "Vol. 3A 10.8.5"},
                   "P, RW, A, D, XD");
    using namespace model::efer;
    d.read(kUser, 3);
    d.fetch(kUser, 3);
    d.fetch(kSupervisor, 0);
    d.control(OperationKind::wrmsr_efer, lme | lma);
    d.read(kUser, 3);
    d.invlpg(kUser);
    d.read(kUser, 3);
    d.read(kSupervisor, 0);
    d.control(OperationKind::wrmsr_efer, lma | nxe);              // LME change while CR0.PG = 1
    d.control(OperationKind::wrmsr_efer, lme | lma | nxe | 0x2);  // bit 1 is reserved
    d.control(OperationKind::wrmsr_efer, lme | lma | nxe);
    d.read(kUser, 3);
    d.fetch(kUser, 3);
    out.push_back(std::move(d));
  }
  {
    Draft d = make("ctrl/wrpkru",
                   "WRPKRU is #UD while CR4.PKE = 0; after MOV CR4 sets PKE it changes the rights of a user page with "
                   "key 1 for the next access: access-disable, then write-disable, then nothing.",
                   {"Vol. 3A 4.6.2", "Vol. 2B WRPKRU", "Vol. 3A 4.7"}, "P, RW, A, D", "pkey: 1, ");
    using namespace model::cr4;
    d.control(OperationKind::wrpkru, 0);
    d.control(OperationKind::mov_cr4, pae | pke);
    for (std::uint64_t pkru : {0u, 1u << 2, 1u << 3, 0u}) {
      d.control(OperationKind::wrpkru, pkru);
      every_access(d, kUser, 3, 0x504b000000000000ull | (pkru << 8) | 0xc3);
      d.write(kUser, 0, 0x504b000000000000ull | (pkru << 8) | 0x10c3);
    }
    out.push_back(std::move(d));
  }
  return {file};
}

}  // namespace vtspec::generate
