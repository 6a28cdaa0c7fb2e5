#include "checker/coverage/random_baseline.hpp"

#include <chrono>
#include <random>

#include "checker/coverage/outcome_classes.hpp"

namespace vtspec::checker {

namespace {

struct Generator {
  std::mt19937_64 rng;
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }
  std::uint64_t bits(std::uint64_t mask) { return rng() & mask; }

  // A guest entry at `level` pointing to `next`: present 90%, each flag 50%, PS 25% where
  // it exists, a reserved bit 5%, a protection key 25%.
  std::uint64_t guest_entry(unsigned level, std::uint64_t next) {
    std::uint64_t e = next | bits(0x7e) | (chance(0.9) ? 1 : 0);
    if ((level == 2 || level == 3) && chance(0.25)) e |= 0x80;
    if (chance(0.3)) e |= std::uint64_t{1} << 63;
    if (chance(0.25)) e |= bits(0xfull) << 59;
    if (chance(0.05)) e |= std::uint64_t{1} << (46 + rng() % 6);
    return e;
  }
  // An EPT entry: R/W/X each 70%, memory type uniform, PS 25%, A/D 50%, a reserved bit 5%.
  std::uint64_t ept_entry(unsigned level, std::uint64_t next) {
    std::uint64_t e = next | (chance(0.7) ? 1 : 0) | (chance(0.7) ? 2 : 0) | (chance(0.7) ? 4 : 0) | bits(0x300);
    if (level == 1 || chance(0.25)) e |= bits(0x38);
    if ((level == 2 || level == 3) && chance(0.25)) e |= 0x80 | bits(0x38);
    if (chance(0.05)) e |= std::uint64_t{1} << (46 + rng() % 6);
    return e;
  }

  void registers(model::MachineState& s) {
    using namespace model;
    s.features.pks = true;
    s.regs.cr0 = cr0::pe | cr0::pg | (chance(0.5) ? cr0::wp : 0);
    s.regs.cr4 = cr4::pae | (chance(0.5) ? cr4::smep : 0) | (chance(0.5) ? cr4::smap : 0) | (chance(0.5) ? cr4::pke : 0) |
                 (chance(0.5) ? cr4::pks : 0);
    s.regs.efer = efer::lme | efer::lma | (chance(0.5) ? efer::nxe : 0);
    s.regs.rflags = 0x2 | (chance(0.5) ? rflags::ac : 0);
    s.regs.pkru = bits(0xffffffff);
    s.regs.pkrs = bits(0xffffffff);
  }
  model::AccessRequest access() {
    model::AccessRequest a;
    a.kind = static_cast<spec::AccessKind>(rng() % 3);
    a.cpl = chance(0.5) ? 3 : 0;
    a.implicit_supervisor = a.cpl == 0 && chance(0.1);
    a.linear = bits(0x0000ffffffffffffull);
    return a;
  }
};

}  // namespace

RandomHits random_hits(double seconds, unsigned seed) {
  RandomHits hits;
  Generator g{std::mt19937_64(seed)};
  const auto& classes = outcome_classes();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    for (int batch = 0; batch < 64; ++batch) {
      model::MachineState s;
      g.registers(s);
      model::AccessRequest a = g.access();
      const bool two_dimensional = g.chance(0.5);
      // Tables: guest at GPA 0x1000.. (4 levels) along the access's path; with EPT, the guest
      // tables and the final page are identity-mapped except along a random EPT path for the
      // final page.
      const std::uint64_t guest_tables[] = {0, 0x4000, 0x3000, 0x2000, 0x1000};
      s.regs.cr3 = 0x1000;
      for (unsigned level = 4; level >= 1; --level) {
        const unsigned shift = 12 + 9 * (level - 1);
        const std::uint64_t next = level > 1 ? guest_tables[level - 1] : 0x200000 + (g.bits(0xff) << 12);
        s.memory.write64(guest_tables[level] + ((a.linear >> shift) & 0x1ff) * 8, g.guest_entry(level, next));
      }
      if (two_dimensional) {
        s.ept = model::EptSettings{};
        s.ept->eptp = 0x800000 | 6 | (3 << 3) | (g.chance(0.5) ? 0x40 : 0);
        s.ept->caps.execute_only = g.chance(0.8);
        // Identity 2-MByte mapping of GPA 0-2M for the guest tables (PD at 0x805000). A
        // quarter of the time its leaf gets random R/W/X and A/D flags, so the guest's
        // paging-structure accesses can meet EPT violations too (29.3.3.2).
        s.memory.write64(0x800000, 0x803000 | 7 | 0x300);
        s.memory.write64(0x803000, 0x805000 | 7 | 0x300);
        const std::uint64_t table_rights =
            g.chance(0.25) ? (g.chance(0.7) ? 1 : 0) | (g.chance(0.7) ? 2 : 0) | (g.chance(0.7) ? 4 : 0) | g.bits(0x300) : 7 | 0x300;
        s.memory.write64(0x805000, 0x0 | 0xb0 | table_rights);
        // The final page's GPA walks a random EPT path through fresh tables at 0x806000..
        const std::uint64_t gpa = 0x40000000 + (g.bits(0xff) << 12);
        std::uint64_t table = 0x800000;
        for (unsigned level = 4; level >= 1; --level) {
          const unsigned shift = 12 + 9 * (level - 1);
          const std::uint64_t next = level > 1 ? 0x806000 + level * 0x1000 : 0x10000000;
          const std::uint64_t slot = table + ((gpa >> shift) & 0x1ff) * 8;
          // The top-level slot is shared with the identity mapping of the guest tables: keep it.
          if (level == 4) {
            table = s.memory.read64(slot) & spec::frame_mask(46);
            continue;
          }
          s.memory.write64(slot, g.ept_entry(level, next));
          table = next;
        }
        // Point the guest leaf at that GPA, keeping its flags.
        for (unsigned level = 1; level <= 4; ++level) {
          const unsigned shift = 12 + 9 * (level - 1);
          const std::uint64_t slot = guest_tables[level] + ((a.linear >> shift) & 0x1ff) * 8;
          const std::uint64_t e = s.memory.read64(slot);
          const bool leaf = level == 1 || ((level <= 3) && (e & 0x80));
          if (leaf) {
            s.memory.write64(slot, (e & ~spec::frame_mask(46)) | (gpa & spec::frame_mask(46) & ~((std::uint64_t{1} << shift) - 1)));
            break;
          }
        }
      }
      const model::Translation t = model::translate(s, a);
      ++hits.samples;
      for (const auto& c : classes) {
        if (c.family == OutcomeClass::page_fault && (c.kind != a.kind || c.cpl != a.cpl || a.implicit_supervisor)) continue;
        if (c.family == OutcomeClass::ept_violation && !on_guest_paging_structure(c) && c.kind != a.kind) continue;
        if (model_outcome_in_class(c, s, a, t)) hits.ids.insert(c.id);
      }
    }
  }
  return hits;
}

}  // namespace vtspec::checker
