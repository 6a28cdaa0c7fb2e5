// Asks the installed vtspec model what a user-mode write to a read-only page does, and checks
// the answer against the SDM: a #PF whose error code has P (a protection violation), W/R (a
// write) and U/S (user mode) set, 0x7, with CR2 the faulting linear address (SDM Vol. 3A 4.7,
// Figure 4-12); a user-mode read of the same page completes at its physical address.
#include <cstdint>
#include <cstdio>

#include "model/translation.hpp"

namespace {

// IA-32e paging entries (SDM Vol. 3A 4.5, Table 4-14 ... 4-19): present, read/write,
// user/supervisor, accessed.
constexpr std::uint64_t P = 1, RW = 2, US = 4, A = 0x20;

int failures = 0;

void check(bool ok, const char* what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what);
  failures += !ok;
}

}  // namespace

int main() {
  using namespace vtspec;
  model::MachineState state;  // IA-32e paging, CR0.WP set, no EPT
  state.regs.cr3 = 0x1000;
  // Linear 0x400000: PML4[0] -> PDPT[0] -> PD[2] -> PT[0] -> page 0x5000, read-only, user.
  state.memory.write64(0x1000, 0x2000 | P | RW | US | A);
  state.memory.write64(0x2000, 0x3000 | P | RW | US | A);
  state.memory.write64(0x3000 + 2 * 8, 0x4000 | P | RW | US | A);
  state.memory.write64(0x4000, 0x5000 | P | US | A);

  const model::AccessRequest write{0x400123, spec::AccessKind::write, 3};
  const model::Translation w = model::translate(state, write);
  check(!w.allowed.empty() && w.allowed[0].kind == model::OutcomeKind::page_fault, "a user write to a read-only page faults");
  check(!w.allowed.empty() && w.allowed[0].error_code == 0x7, "its #PF error code is P | W/R | U/S = 0x7");
  check(!w.allowed.empty() && w.allowed[0].cr2 == 0x400123, "CR2 is the faulting linear address");

  const model::Translation r = model::translate(state, {0x400123, spec::AccessKind::read, 3});
  check(!r.allowed.empty() && r.allowed[0].kind == model::OutcomeKind::translated && r.allowed[0].physical == 0x5123,
        "a user read of it completes at physical 0x5123");
  check(r.references == 4, "the read's walk reads four paging-structure entries");
  return failures == 0 ? 0 : 1;
}
