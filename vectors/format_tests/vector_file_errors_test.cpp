// The vector loader rejects bad input with the file, line, column and field (issue 4):
// an unknown flag, an overlapping mapping, an address beyond MAXPHYADDR, a missing
// expectation, and more. Expected positions are counted by hand from the documents below.
#include <gtest/gtest.h>

#include "vectors/format/load_error.hpp"
#include "vectors/format/vector_file.hpp"
#include "vectors/format_tests/expect_load_error.hpp"

namespace vtspec::vectors {
namespace {

// A valid document with one hole: `state` and `operations` are spliced in.
std::string document(const std::string& map, const std::string& operations, const std::string& extra = "") {
  return "schema: vtspec/vector/1\n"           // line 1
         "vectors:\n"                           // line 2
         "  - id: t/1\n"                        // line 3
         "    state:\n"                         // line 4
         "      features: { maxphyaddr: 40 }\n" // line 5
         "      paging:\n"                      // line 6
         "        root: 0x1000\n"               // line 7
         "        map:\n"                       // line 8
         + map +                                // line 9..
         extra + "    operations:\n" + operations;
}

const std::string kMap = "          - map VA 0x400000 -> PA 0x20000, 4K, [P, RW, US]\n";  // line 9

TEST(VectorFileErrors, AcceptsAValidDocumentAndReadsItsFields) {
  const auto v = load_vector_text(
      document(kMap,
               "      - { op: read, va: 0x400000, size: 4, cpl: 3, expect: { value: 0x0 } }\n"
               "      - { op: write, va: 0x400000, cpl: 0, value: 0x12, expect: ok, acceptable: [ { fault: PF, error_code: [P, W], cr2: 0x400000 } ] }\n"),
      "t.yaml");
  ASSERT_EQ(v.size(), 1u);
  ASSERT_EQ(v[0].operations.size(), 2u);
  EXPECT_EQ(v[0].id, "t/1");
  EXPECT_EQ(v[0].operations[0].access.linear, 0x400000u);
  EXPECT_EQ(v[0].operations[0].size, 4u);
  EXPECT_EQ(v[0].operations[0].access.cpl, 3u);
  ASSERT_EQ(v[0].expectations[1].outcomes.size(), 2u);
  EXPECT_EQ(v[0].expectations[1].outcomes[1].result, ExpectedOutcome::Result::acceptable);
  EXPECT_EQ(v[0].expectations[1].outcomes[1].event.vector, 14u);
  EXPECT_EQ(v[0].expectations[1].outcomes[1].event.error_code, 0x3u);  // P (bit 0) | W (bit 1), SDM Figure 4-12
  EXPECT_EQ(v[0].operation_sources[1].line, 12);
  // The mapping shorthand became page tables: PML4E at the root, index 0 for VA 0x400000.
  EXPECT_EQ(v[0].initial.memory.read64(0x1000) & 1, 1u);
}

TEST(VectorFileErrors, UnknownFlag) {
  const auto e = load_error(document("          - map VA 0x400000 -> PA 0x20000, 4K, [P, RW, USER]\n",
                                     "      - { op: read, va: 0x400000, expect: ok }\n"));
  EXPECT_EQ(e.line(), 9);
  EXPECT_EQ(e.column(), 13);
  EXPECT_EQ(e.field(), "vectors[0].state.paging.map[0]");  // the path from the file's root
  EXPECT_NE(e.message().find("unknown paging entry flag 'USER'"), std::string::npos) << e.what();
}

TEST(VectorFileErrors, OverlappingMapping) {
  const auto e = load_error(document(kMap + "          - map VA 0x400000 -> PA 0x30000, 4K, [P]\n",
                                     "      - { op: read, va: 0x400000, expect: ok }\n"));
  EXPECT_EQ(e.line(), 10);
  EXPECT_EQ(e.field(), "vectors[0].state.paging.map[1]");
  EXPECT_NE(e.message().find("overlaps"), std::string::npos) << e.what();
}

TEST(VectorFileErrors, MappingBeyondMaxPhyAddr) {
  const auto e = load_error(document("          - map VA 0x400000 -> PA 0x10000000000, 4K, [P]\n",  // 2^40
                                     "      - { op: read, va: 0x400000, expect: ok }\n"));
  EXPECT_EQ(e.line(), 9);
  EXPECT_NE(e.message().find("beyond MAXPHYADDR (40 bits)"), std::string::npos) << e.what();
}

TEST(VectorFileErrors, StoreEntryBeyondMaxPhyAddr) {
  const auto e = load_error(document(kMap, "      - { op: store_entry, gpa: 0x10000000000, value: 0, expect: ok }\n"));
  EXPECT_EQ(e.line(), 11);
  EXPECT_EQ(e.field(), "vectors[0].operations[0].gpa");
  EXPECT_NE(e.message().find("beyond MAXPHYADDR"), std::string::npos) << e.what();
}

TEST(VectorFileErrors, CheckedEntryBeyondMaxPhyAddr) {
  const auto e = load_error(document(kMap, "      - { op: read, va: 0x400000, expect: ok }\n",
                                     "    entries:\n      pte: 0x20000000000\n"));
  EXPECT_EQ(e.line(), 11);
  EXPECT_EQ(e.column(), 12);
  EXPECT_EQ(e.field(), "vectors[0].entries.pte");
}

TEST(VectorFileErrors, MissingExpectation) {
  const auto e = load_error(document(kMap,
                                     "      - { op: read, va: 0x400000, expect: ok }\n"
                                     "      - { op: read, va: 0x400000 }\n"));
  EXPECT_EQ(e.line(), 12);
  EXPECT_EQ(e.column(), 9);
  EXPECT_EQ(e.field(), "vectors[0].operations[1].expect");
  EXPECT_EQ(e.message(), "missing expectation");
}

TEST(VectorFileErrors, UnknownOperationAndField) {
  auto e = load_error(document(kMap, "      - { op: jump, va: 0x400000, expect: ok }\n"));
  EXPECT_EQ(e.field(), "vectors[0].operations[0].op");
  EXPECT_EQ(e.line(), 11);
  EXPECT_EQ(e.column(), 15);
  e = load_error(document(kMap, "      - { op: read, va: 0x400000, sise: 4, expect: ok }\n"));
  EXPECT_EQ(e.field(), "vectors[0].operations[0].sise");
  EXPECT_EQ(e.message(), "unknown field");
}

TEST(VectorFileErrors, BadOutcomes) {
  auto e = load_error(document(kMap, "      - { op: write, va: 0x400000, value: 1, expect: { value: 1 } }\n"));
  EXPECT_EQ(e.field(), "vectors[0].operations[0].expect.value");
  EXPECT_NE(e.message().find("only a read"), std::string::npos);
  e = load_error(document(kMap, "      - { op: read, va: 0x400000, expect: { fault: PF, error_code: [P, X], cr2: 0 } }\n"));
  EXPECT_EQ(e.field(), "vectors[0].operations[0].expect.error_code");
  EXPECT_NE(e.message().find("unknown error-code flag 'X'"), std::string::npos);
  e = load_error(document(kMap, "      - { op: read, va: 0x400000, expect: { fault: PF, error_code: [P] } }\n"));
  EXPECT_EQ(e.field(), "vectors[0].operations[0].expect.cr2");
  e = load_error(document(kMap, "      - { op: read, va: 0x400000, expect: { entries: { pte: { A: set } } } }\n"));
  EXPECT_EQ(e.field(), "vectors[0].operations[0].expect.entries.pte");
}

TEST(VectorFileErrors, BadOperands) {
  auto e = load_error(document(kMap, "      - { op: read, va: 0x800000000000, expect: ok }\n"));
  EXPECT_NE(e.message().find("not canonical"), std::string::npos);
  e = load_error(document(kMap, "      - { op: read, va: 0x400000, size: 3, expect: ok }\n"));
  EXPECT_EQ(e.field(), "vectors[0].operations[0].size");
  e = load_error(document(kMap, "      - { op: read, va: 0x400000, cpl: 4, expect: ok }\n"));
  EXPECT_EQ(e.field(), "vectors[0].operations[0].cpl");
  e = load_error(document(kMap, "      - { op: invpcid, type: 4, expect: ok }\n"));
  EXPECT_EQ(e.field(), "vectors[0].operations[0].type");
  e = load_error(document(kMap, "      - { op: mov_cr4, value: [PAE, NOPE], expect: ok }\n"));
  EXPECT_NE(e.message().find("unknown cr4 flag 'NOPE'"), std::string::npos) << e.what();
}

TEST(VectorFileErrors, DocumentLevel) {
  auto e = load_error("schema: vtspec/vector/5\nvectors: []\n");
  EXPECT_EQ(e.field(), "schema");
  EXPECT_EQ(e.line(), 1);
  e = load_error("schema: vtspec/vector/1\nvectors:\n  - { id: a, requires: [sse9], state: {}, operations: [] }\n");
  EXPECT_EQ(e.field(), "vectors[0].requires[0]");  // names the offending item
  e = load_error("schema: vtspec/vector/1\nvectors: [ { id: a\n");  // YAML syntax error
  EXPECT_GE(e.line(), 2);
  e = load_error("- just a list\n");
  EXPECT_EQ(e.field(), "");
}

TEST(VectorFileErrors, DuplicateId) {
  const std::string one = "  - { id: same, state: {}, operations: [ { op: invlpg, va: 0, expect: ok } ] }\n";
  const auto e = load_error("schema: vtspec/vector/1\nvectors:\n" + one + one);
  EXPECT_EQ(e.line(), 4);
  EXPECT_EQ(e.field(), "vectors[1].id");
}

TEST(VectorFileErrors, EptIsNotPartOfV1) {
  // v1 vectors describe guest paging only; the VMX/EPT vectors come with a later schema.
  const auto e = load_error(
      "schema: vtspec/vector/1\nvectors:\n  - id: a\n    state:\n      ept: { eptp: 0x1000 }\n"
      "    operations: [ { op: invlpg, va: 0, expect: ok } ]\n");
  EXPECT_EQ(e.line(), 5);
  EXPECT_EQ(e.field(), "vectors[0].state.ept");
}

// Wycheproof-style flags: an outcome names why it is allowed, and the file's notes: explain
// every flag; a flag without a note and a note no outcome uses are both errors.
TEST(VectorFileErrors, FlagsNeedNotesAndNotesNeedFlags) {
  const std::string vector =
      "vectors:\n  - id: a\n    state: {}\n    operations:\n"
      "      - { op: invlpg, va: 0, expect: ok, acceptable: [ { fault: GP, flags: [Stale] } ] }\n";
  const auto v = load_vector_text("schema: vtspec/vector/1\nnotes: { Stale: \"why\" }\n" + vector, "t.yaml");
  ASSERT_EQ(v.size(), 1u);
  ASSERT_EQ(v[0].expectations.size(), 1u);
  ASSERT_EQ(v[0].expectations[0].outcomes.size(), 2u);
  EXPECT_EQ(v[0].expectations[0].outcomes[1].flags, std::vector<std::string>{"Stale"});
  EXPECT_EQ(v[0].notes.at("Stale"), "why");
  auto e = load_error("schema: vtspec/vector/1\n" + vector);
  EXPECT_EQ(e.field(), "vectors[0].operations[0].acceptable[0].flags[0]");
  EXPECT_NE(e.message().find("not explained"), std::string::npos) << e.what();
  e = load_error("schema: vtspec/vector/1\nnotes: { Stale: \"why\", Unused: \"x\" }\n" + vector);
  EXPECT_EQ(e.field(), "notes.Unused");
}

// Groups share one state among their vectors (Wycheproof's test groups).
TEST(VectorFileErrors, GroupsShareTheirState) {
  const std::string head =
      "schema: vtspec/vector/1\ngroups:\n  - state: { features: { maxphyaddr: 39 } }\n    vectors:\n";
  const std::string op = "operations: [ { op: invlpg, va: 0, expect: ok } ]";
  const auto v = load_vector_text(head + "      - { id: a, " + op + " }\n      - { id: b, " + op + " }\n", "t.yaml");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].initial.features.maxphyaddr, 39u);
  EXPECT_EQ(v[1].initial.features.maxphyaddr, 39u);
  const auto e = load_error(head + "      - { id: a, state: {}, " + op + " }\n");
  EXPECT_EQ(e.field(), "groups[0].vectors[0].state");
  EXPECT_EQ(e.line(), 5);
}

}  // namespace
}  // namespace vtspec::vectors
