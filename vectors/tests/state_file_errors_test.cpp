// Malformed state files must produce a LoadError naming the file, the line and column of the
// offending YAML node, and the field; never a crash (DEVELOPERS.md: bad input). The expected
// position is found by searching the test's own text for the offending token, independently
// of the loader.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <yaml-cpp/yaml.h>

#include "vectors/format/load_error.hpp"
#include "vectors/format/state_file.hpp"

namespace vtspec::vectors {
namespace {

struct Position {
  int line;
  int column;
};

// 1-based line and column of the `occurrence`-th (0-based) appearance of `needle`.
Position position_of(const std::string& text, const std::string& needle, int occurrence = 0) {
  std::size_t at = text.find(needle);
  for (int i = 0; i < occurrence && at != std::string::npos; ++i) at = text.find(needle, at + 1);
  if (at == std::string::npos) ADD_FAILURE() << "test text lacks " << needle;
  int line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < at; ++i)
    if (text[i] == '\n') ++line, line_start = i + 1;
  return {line, static_cast<int>(at - line_start) + 1};
}

class StateFileErrors : public ::testing::Test {
 protected:
  std::filesystem::path path;
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path = std::filesystem::temp_directory_path() /
           (std::string("vtspec_") + info->name() + "_" + std::to_string(::getpid()) + ".yaml");
  }
  void TearDown() override { std::filesystem::remove(path); }

  // Loads `text` from a file and returns the error it must raise.
  LoadError load_error(const std::string& text) {
    {
      std::ofstream out(path);
      out << text;
    }
    try {
      load_state_file(path.string());
    } catch (const LoadError& e) {
      EXPECT_EQ(e.file(), path.string());
      // The printed form is file:line:column: field: message.
      EXPECT_NE(std::string(e.what()).find(path.string() + ":" + std::to_string(e.line()) + ":" +
                                           std::to_string(e.column()) + ": "),
                std::string::npos)
          << e.what();
      return e;
    }
    ADD_FAILURE() << "no LoadError for:\n" << text;
    return LoadError(path.string(), 0, 0, "", "none");
  }
  void expect_at(const LoadError& e, Position p, const std::string& field, const std::string& message_part) {
    EXPECT_EQ(e.line(), p.line) << e.what();
    EXPECT_EQ(e.column(), p.column) << e.what();
    EXPECT_EQ(e.field(), field) << e.what();
    EXPECT_NE(e.message().find(message_part), std::string::npos) << e.what();
  }
};

const std::string kHeader =
    "schema: vtspec/state/1\n"
    "registers:\n"
    "  cr0: [PE, PG, WP]\n"
    "  cr4: [PAE]\n"
    "  efer: [LME, LMA, NXE]\n";

TEST_F(StateFileErrors, UnknownPagingFlag) {
  const std::string text = kHeader +
                           "paging:\n"
                           "  root: 0x1000\n"
                           "  map:\n"
                           "    - { va: 0x400000, pa: 0x20000, size: 4K, flags: [P, RW, WRITABLE] }\n";
  expect_at(load_error(text), position_of(text, "WRITABLE"), "paging.map[0].flags", "unknown paging entry flag 'WRITABLE'");
}

TEST_F(StateFileErrors, UnknownEptFlag) {
  const std::string text = kHeader +
                           "ept:\n"
                           "  eptp: { root: 0x8000000 }\n"
                           "  map:\n"
                           "    - { gpa: 0x0, hpa: 0x100000, size: 4K, flags: [R, W, P] }\n";
  expect_at(load_error(text), position_of(text, "P] }"), "ept.map[0].flags", "unknown EPT entry flag 'P'");
}

TEST_F(StateFileErrors, UnknownRegisterFlag) {
  const std::string text =
      "schema: vtspec/state/1\n"
      "registers:\n"
      "  cr4: [PAE, SMAPP]\n";
  expect_at(load_error(text), position_of(text, "SMAPP"), "registers.cr4", "unknown cr4 flag 'SMAPP'");
}

TEST_F(StateFileErrors, OverlappingMapping) {
  const std::string text = kHeader +
                           "paging:\n"
                           "  root: 0x1000\n"
                           "  map:\n"
                           "    - { va: 0x400000, pa: 0x20000, size: 4K, flags: [P, RW] }\n"
                           "    - { va: 0x400000, pa: 0x21000, size: 4K, flags: [P, RW] }\n";
  // The error points at the second mapping as a whole.
  expect_at(load_error(text), position_of(text, "{ va", 1), "paging.map[1]", "overlaps");
}

TEST_F(StateFileErrors, SmallPageInsideALargeOne) {
  const std::string text = kHeader +
                           "paging:\n"
                           "  root: 0x1000\n"
                           "  map:\n"
                           "    - { va: 0x400000, pa: 0x200000, size: 2M, flags: [P, RW] }\n"
                           "    - { va: 0x401000, pa: 0x21000, size: 4K, flags: [P, RW] }\n";
  expect_at(load_error(text), position_of(text, "{ va", 1), "paging.map[1]", "overlaps a larger page");
}

TEST_F(StateFileErrors, TargetBeyondMaxPhyAddr) {
  const std::string text =
      "schema: vtspec/state/1\n"
      "features: { maxphyaddr: 40 }\n"
      "paging:\n"
      "  root: 0x1000\n"
      "  map:\n"
      "    - va: 0x400000\n"
      "      pa: 0x10000000000\n"  // bit 40: beyond a 40-bit physical address space
      "      size: 4K\n"
      "      flags: [P]\n";
  // A block mapping's position is that of its first key.
  expect_at(load_error(text), position_of(text, "va: 0x400000"), "paging.map[0]", "beyond MAXPHYADDR");
}

TEST_F(StateFileErrors, UnknownTopLevelField) {
  const std::string text = kHeader + "colour: blue\n";
  expect_at(load_error(text), position_of(text, "colour"), "colour", "unknown field");
}

TEST_F(StateFileErrors, UnknownNestedField) {
  const std::string text = kHeader +
                           "ept:\n"
                           "  eptp: { root: 0x8000000, walk_lenght: 4 }\n";
  expect_at(load_error(text), position_of(text, "walk_lenght"), "ept.eptp.walk_lenght", "unknown field");
}

TEST_F(StateFileErrors, UnknownMappingField) {
  const std::string text = kHeader +
                           "paging:\n"
                           "  root: 0x1000\n"
                           "  map:\n"
                           "    - { va: 0x400000, pa: 0x20000, size: 4K, flags: [P], global: true }\n";
  expect_at(load_error(text), position_of(text, "global"), "paging.map[0].global", "unknown field");
}

TEST_F(StateFileErrors, NotANumber) {
  const std::string text = kHeader +
                           "paging:\n"
                           "  root: 0x1000\n"
                           "  map:\n"
                           "    - { va: 0x4z0000, pa: 0x20000, size: 4K, flags: [P] }\n";
  expect_at(load_error(text), position_of(text, "0x4z0000"), "paging.map[0].va", "not a number");
}

TEST_F(StateFileErrors, FeatureMissingForControlBit) {
  const std::string text =
      "schema: vtspec/state/1\n"
      "features: { smap: false }\n"
      "registers:\n"
      "  cr4: [PAE, SMAP]\n";
  expect_at(load_error(text), position_of(text, "[PAE, SMAP]"), "registers.cr4", "SMAP");
}

TEST_F(StateFileErrors, YamlSyntaxError) {
  const std::string text = kHeader + "paging: { root: 0x1000\n";
  const LoadError e = load_error(text);
  EXPECT_GT(e.line(), 0);
  EXPECT_EQ(e.field(), "");
}

TEST_F(StateFileErrors, MissingFile) {
  try {
    load_state_file("/nonexistent/vtspec/state.yaml");
    ADD_FAILURE() << "no error";
  } catch (const LoadError& e) {
    EXPECT_EQ(e.file(), "/nonexistent/vtspec/state.yaml");
    EXPECT_NE(e.message().find("cannot open"), std::string::npos);
  }
}

// Guest-physical data goes where the EPT maps it. SDM Vol. 3C 29.3.2: an EPT entry is present
// when any of bits 2:0 is set, or bit 10 with mode-based execute control; so a page mapped
// with user-execute (bit 10) only is not mapped without that control, and is with it.
TEST_F(StateFileErrors, GuestPhysicalDataBehindAUserExecuteOnlyEptEntry) {
  const std::string ept_map = "  map:\n    - { gpa: 0x0, hpa: 0x200000, size: 2M, flags: [XU] }\n";
  const std::string memory = "memory:\n  - { gpa: 0x1008, u64: 0x5 }\n";
  const std::string without = kHeader + "ept:\n  eptp: { root: 0x8000000 }\n" + ept_map + memory;
  expect_at(load_error(without), position_of(without, "0x1008"), "memory[0].gpa", "not mapped by the EPT");
  const std::string with = kHeader + "ept:\n  eptp: { root: 0x8000000 }\n  caps: { mode_based_execute: true }\n" +
                           ept_map + memory;
  const model::MachineState s = load_state(YAML::Load(with), "with-mbec");
  EXPECT_EQ(s.memory.read64(0x201008), 0x5u);
}

// Entry edits (set/raw, vectors/SCHEMA.md): each error names the entry's key, or the bit.
struct EditError {
  const char* name;
  std::string map;     // the lines under paging.map (or ept.map with `ept`)
  const char* needle;  // where the error points: the `occurrence`-th appearance in the text
  int occurrence;
  const char* field;
  const char* message;
  bool ept = false;
};

TEST_F(StateFileErrors, EntryEdits) {
  const EditError cases[] = {
      {"entry below the leaf", "    - { va: 0x400000, pa: 0x200000, size: 2M, flags: [P], set: { pte: [51] } }\n", "pte", 0,
       "paging.map[0].set.pte", "a 2-MByte mapping has no PTE"},
      {"level above the root", "    - { va: 0x400000, pa: 0x20000, size: 4K, flags: [P], set: { pml5e: [7] } }\n", "pml5e", 0,
       "paging.map[0].set.pml5e", "4-level paging has no PML5E"},
      {"unknown entry", "    - { va: 0x400000, pa: 0x20000, size: 4K, flags: [P], set: { pt: [7] } }\n", "pt:", 0,
       "paging.map[0].set.pt", "unknown entry 'pt'"},
      {"bit 64", "    - { va: 0x400000, pa: 0x20000, size: 4K, flags: [P], set: { pte: [51, 64] } }\n", "64", 0,
       "paging.map[0].set.pte", "no bit 64"},
      // Bit 13 of a PDE that references a page table is an address bit (SDM Vol. 3A Table 4-19).
      {"set in the address field", "    - { va: 0x400000, pa: 0x20000, size: 4K, flags: [P], set: { pde: [13] } }\n", "pde",
       0, "paging.map[0].set.pde", "bit 13 is in the PDE's address field (bits 35:12)"},
      {"raw with another frame", "    - { va: 0x400000, pa: 0x20000, size: 4K, flags: [P], raw: { pte: 0x21067 } }\n", "pte",
       0, "paging.map[0].raw.pte", "address field (bits 35:12), which holds the page frame (pa): 0x20000"},
      {"set and raw on one entry",
       "    - { va: 0x400000, pa: 0x20000, size: 4K, flags: [P], set: { pte: [51] }, raw: { pte: 0x20001 } }\n", "pte", 1,
       "paging.map[0].raw.pte", "both set and raw"},
      // Both mappings go through PML4E[0] and PDPTE[0] (at 0x2000, the first table taken).
      {"shared entry edited by one mapping",
       "    - { va: 0x400000, pa: 0x20000, size: 4K, flags: [P], set: { pml4e: [7] } }\n"
       "    - { va: 0x600000, pa: 0x21000, size: 4K, flags: [P] }\n",
       "{ va", 1, "paging.map[1]", "shared with paging.map[0]"},
      {"shared entry edited differently",
       "    - { va: 0x400000, pa: 0x20000, size: 4K, flags: [P], set: { pdpte: [7] } }\n"
       "    - { va: 0x600000, pa: 0x21000, size: 4K, flags: [P], set: { pdpte: [8] } }\n",
       "pdpte", 1, "paging.map[1].set.pdpte", "the PDPTE at 0x2000 is shared"},
      {"EPT entry below the leaf", "    - { gpa: 0x0, hpa: 0x200000, size: 2M, flags: [R], set: { pte: [3] } }\n", "pte", 0,
       "ept.map[0].set.pte", "a 2-MByte mapping has no EPT PTE", true},
  };
  for (const auto& e : cases) {
    SCOPED_TRACE(e.name);
    const std::string text =
        kHeader + (e.ept ? "ept:\n  eptp: { root: 0x8000000 }\n  map:\n" : "paging:\n  root: 0x1000\n  map:\n") + e.map;
    expect_at(load_error(text), position_of(text, e.needle, e.occurrence), e.field, e.message);
  }
}

// Shapes of input that a careless loader would crash on; each must be a LoadError.
TEST_F(StateFileErrors, WrongNodeShapesAreErrorsNotCrashes) {
  const std::string cases[] = {
      "",
      "- just a list\n",
      "schema: [vtspec/state/1]\n",
      kHeader + "paging: 5\n",
      kHeader + "paging: { root: 0x1000, map: 5 }\n",
      kHeader + "paging: { root: 0x1000, map: [ 5 ] }\n",
      kHeader + "paging: { root: 0x1000, map: [ { va: 0, pa: 0, size: 4K, flags: { P: 1 } } ] }\n",
      kHeader + "paging: { root: 0x1000, map: [ { va: 0, pa: 0, size: 3K, flags: [P] } ] }\n",
      kHeader + "paging: { root: 0x1000, map: [ { va: 0x1000, pa: 0, size: 2M, flags: [P] } ] }\n",
      kHeader + "paging: { root: 0x1000, map: [ { va: 0x800000000000, pa: 0, size: 4K, flags: [P] } ] }\n",
      kHeader + "paging: { root: 0x1000, map: [ { va: 0, pa: 0, size: 4K, flags: [[P]] } ] }\n",
      kHeader + "paging: { root: 0x1001 }\n",
      kHeader + "ept: { eptp: { root: 0x8000000, walk_length: 9 } }\n",
      kHeader + "ept: { eptp: { root: 0x8000000, walk_length: 5 } }\n",
      kHeader + "ept: { eptp: 0x8000000 }\n",  // memory type UC with length 1: invalid
      kHeader + "memory: [ { hpa: 0x10 } ]\n",
      kHeader + "memory: [ { hpa: 0x10, gpa: 0x10, u64: 1 } ]\n",
      "schema: vtspec/state/1\nregisters: { cr3: [1] }\n",
      "schema: vtspec/state/1\nfeatures: { maxphyaddr: 99 }\n",
      kHeader + "paging: { root: 0x1000, map: [ { va: 0, pa: 0, size: 4K, flags: [P], set: [51] } ] }\n",
      kHeader + "paging: { root: 0x1000, map: [ { va: 0, pa: 0, size: 4K, flags: [P], set: { pte: 51 } } ] }\n",
      kHeader + "paging: { root: 0x1000, map: [ { va: 0, pa: 0, size: 4K, flags: [P], set: { pte: [x] } } ] }\n",
      kHeader + "paging: { root: 0x1000, map: [ { va: 0, pa: 0, size: 4K, flags: [P], raw: { pte: [1] } } ] }\n",
      kHeader + "paging: { root: 0x1000, map: [ { va: 0, pa: 0, size: 4K, flags: [P], raw: { [pte]: 1 } } ] }\n",
  };
  for (const auto& text : cases) {
    SCOPED_TRACE(text);
    const LoadError e = load_error(text);
    EXPECT_FALSE(e.message().empty());
  }
}

}  // namespace
}  // namespace vtspec::vectors
