// `set:` and `raw:` on mappings (vectors/SCHEMA.md, Entry edits): the entries the loader
// builds, with the bits an edit names, worked by hand. Table addresses follow the documented
// allocation rule (root 0x1000, tables from tables_at in mapping order, top level first);
// bit positions are those of SDM Vol. 3A Tables 4-15 (PML4E), 4-17 (PDPTE referencing a page
// directory), 4-18 (PDE mapping a 2-MByte page), 4-20 (PTE), and Vol. 3C Tables 29-1 (EPT
// PML4E) and 29-6 (EPT PTE; 29-4 for a 2-MByte EPT PDE).
#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include "vectors/format/state_file.hpp"

namespace vtspec::vectors {
namespace {

model::MachineState load(const std::string& text) { return load_state(YAML::Load(text), "entry-edits"); }

TEST(EntryEdits, SetAndRawOnGuestEntries) {
  const model::MachineState s = load(
      "schema: vtspec/state/1\n"  // MAXPHYADDR 36 by default
      "paging:\n"
      "  root: 0x1000\n"
      "  tables_at: 0x10000\n"
      "  map:\n"
      "    - { va: 0x400000, pa: 0x20000, size: 4K, flags: [P, RW, US, A, D], set: { pte: [36, 51], pml4e: [7] } }\n"
      "    - { va: 0x40000000, pa: 0x200000, size: 2M, flags: [P, RW], set: { pml4e: [7], pde: [13] },\n"
      "        raw: { pdpte: 0x8000000000013007 } }\n"
      "    - { va: 0x600000, pa: 0x30000, size: 4K, flags: [P], set: { pml4e: [7] }, raw: { pte: 0x8000000000030025 } }\n");
  // PML4E[0], shared by all three, each setting bit 7 (reserved in a PML4E, Table 4-15).
  EXPECT_EQ(s.memory.read64(0x1000), 0x10087u);
  EXPECT_EQ(s.memory.read64(0x10000), 0x11007u);  // PDPTE[0] -> PD 0x11000, as built
  EXPECT_EQ(s.memory.read64(0x11010), 0x12007u);  // PDE[2] -> PT 0x12000, as built
  // PTE[0] of 0x400000: 0x20067 with bits 36 (M = 36) and 51, reserved (Table 4-20).
  EXPECT_EQ(s.memory.read64(0x12000), 0x0008001000020067u);
  // PDPTE[1] of 0x40000000: exactly the raw value, XD (bit 63, Table 4-17) over PD 0x13000.
  EXPECT_EQ(s.memory.read64(0x10008), 0x8000000000013007u);
  // PDE[0] in that PD: 2-MByte page 0x200000 | PS | P RW, and bit 13 (reserved, Table 4-18).
  EXPECT_EQ(s.memory.read64(0x13000), 0x202083u);
  // 0x600000: PDE[3] of PD 0x11000 takes the next table, PT 0x14000; its PTE is the raw value.
  EXPECT_EQ(s.memory.read64(0x11018), 0x14007u);
  EXPECT_EQ(s.memory.read64(0x14000), 0x8000000000030025u);
}

TEST(EntryEdits, SetOnEptEntries) {
  const model::MachineState s = load(
      "schema: vtspec/state/1\n"
      "ept:\n"
      "  eptp: { root: 0x8000000 }\n"
      "  map:\n"
      "    - { gpa: 0x0, hpa: 0x10000000, size: 4K, flags: [R, W, X], set: { pml4e: [7], pte: [3] } }\n");
  // Tables from root + 0x1000: EPT PDPT 0x8001000, PD 0x8002000, PT 0x8003000; upper R W X.
  EXPECT_EQ(s.memory.read64(0x8000000), 0x8001087u);  // bit 7: reserved in an EPT PML4E (Table 29-1)
  EXPECT_EQ(s.memory.read64(0x8001000), 0x8002007u);
  EXPECT_EQ(s.memory.read64(0x8002000), 0x8003007u);
  // EPT PTE: HPA | R W X | memory type WB (6 << 3), bit 3 ORed in: type 7 (Table 29-6).
  EXPECT_EQ(s.memory.read64(0x8003000), 0x1000003fu);
}

// Guest tables are placed through the EPT as built: an edit that makes the EPT PDE
// misconfigured (memory type 7) does not stop the guest's tables being written behind it.
TEST(EntryEdits, EptEditsComeAfterTheGuestTables) {
  const model::MachineState s = load(
      "schema: vtspec/state/1\n"
      "ept:\n"
      "  eptp: { root: 0x8000000 }\n"
      "  map:\n"
      "    - { gpa: 0x0, hpa: 0x10000000, size: 2M, flags: [R, W, X], set: { pde: [3] } }\n"
      "paging:\n"
      "  root: 0x0\n"
      "  map:\n"
      "    - map VA 0x400000 -> PA 0x20000, 4K, [P, RW]\n");
  EXPECT_EQ(s.memory.read64(0x8002000), 0x100000bfu);  // 0x10000000 | PS | WB | R W X | bit 3
  EXPECT_EQ(s.memory.read64(0x10000000), 0x1007u);     // guest PML4E at GPA 0 -> PDPT at GPA 0x1000
  EXPECT_EQ(s.memory.read64(0x10003000), 0x20003u);    // guest PTE at GPA 0x3000
}

}  // namespace
}  // namespace vtspec::vectors
