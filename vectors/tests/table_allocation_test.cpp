// The worked example of vectors/SCHEMA.md (Where the loader puts tables): two mappings, the
// addresses of every table and entry derived by hand from the documented rule (mappings in
// order, each walked from the root down, a 4-KByte table taken from tables_at whenever the
// entry on the way is not present) and the index fields of SDM Vol. 3A 4.5.4 (Figure 4-8:
// PML4 47:39, PDPT 38:30, PD 29:21, PT 20:12).
#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include "vectors/format/state_file.hpp"

namespace vtspec::vectors {
namespace {

const char* const kWorkedExample =
    "schema: vtspec/state/1\n"
    "paging:\n"
    "  root: 0x1000\n"
    "  tables_at: 0x10000\n"
    "  map:\n"
    "    - map VA 0x400000 -> PA 0x20000, 4K, [P, RW, US, A, D]\n"
    "    - map VA 0x40000000 -> PA 0x200000, 2M, [P, RW]\n";

TEST(TableAllocation, WorkedExampleOfTheSchema) {
  const model::MachineState s = load_state(YAML::Load(kWorkedExample), "worked-example");
  EXPECT_EQ(s.regs.cr3, 0x1000u);  // registers: omitted: CR3 = the root
  // map[0], VA 0x400000: PML4 index 0, PDPT index 0, PD index 2, PT index 0; it takes the
  // PDPT (0x10000), its PD (0x11000) and its PT (0x12000). Upper entries: P RW US (0x7).
  EXPECT_EQ(s.memory.read64(0x1000), 0x10007u);   // PML4E[0] -> PDPT
  EXPECT_EQ(s.memory.read64(0x10000), 0x11007u);  // PDPTE[0] -> PD
  EXPECT_EQ(s.memory.read64(0x11010), 0x12007u);  // PDE[2] -> PT
  EXPECT_EQ(s.memory.read64(0x12000), 0x20067u);  // PTE[0]: PA 0x20000 | P RW US A D
  // map[1], VA 0x40000000: PML4 index 0 (shared), PDPT index 1, PD index 0; it takes only
  // its PD (0x13000). The leaf PDE has PS (bit 7): 0x200000 | 0x80 | P RW.
  EXPECT_EQ(s.memory.read64(0x10008), 0x13007u);   // PDPTE[1] -> PD
  EXPECT_EQ(s.memory.read64(0x13000), 0x200083u);  // PDE[0], 2-MByte page
  // Nothing else was written: the next table would have been 0x14000.
  EXPECT_EQ(s.memory.read64(0x1008), 0u);
  EXPECT_EQ(s.memory.read64(0x14000), 0u);
}

}  // namespace
}  // namespace vtspec::vectors
