// vtspec/vector/2 vectors: a guest under EPT. The loader reads the state's ept: section and
// the vm_exit outcome, the model evaluates them, the runner skips them on a target without
// VMX, and bad input is refused with line and field. Expected positions are counted by hand
// from the document below; expected outcomes are the worked example of
// vectors/states/ept_violation_guest_pdpt.yaml (SDM Vol. 3C 29.3.3.2, Table 28-7).
#include <gtest/gtest.h>

#include "conformance/capabilities.hpp"
#include "conformance/runner/skip_decision.hpp"
#include "vectors/format/model_evaluation.hpp"
#include "vectors/format/vector_file.hpp"
#include "vectors/format/vector_writer.hpp"
#include "vectors/format_tests/expect_load_error.hpp"

namespace vtspec::vectors {
namespace {

// The guest maps VA 0x400000 through its PML4 (GPA 0) and PDPT (GPA 0x1000); EPT maps the
// PDPT's page execute-only, so the walk's read of the PDPTE at GPA 0x1000 is an EPT
// violation: qualification 0xa1 = read (bit 0), rights X (bit 5), linear address valid
// (bit 7), bit 8 clear (a paging-structure access). With EPT A/D (EPTP bit 6) the read counts
// as a write: 0xa3.
std::string document(const std::string& operations, const std::string& schema = "vtspec/vector/2",
                     const std::string& eptp_extra = "") {
  return "schema: " + schema + "\n"                                                             // 1
         "vectors:\n"                                                                            // 2
         "  - id: ept/worked\n"                                                                  // 3
         "    state:\n"                                                                          // 4
         "      features: { maxphyaddr: 46 }\n"                                                  // 5
         "      ept:\n"                                                                          // 6
         "        eptp: { root: 0x8000000, walk_length: 4, memory_type: WB" + eptp_extra + " }\n"  // 7
         "        tables_at: 0x8001000\n"                                                        // 8
         "        map:\n"                                                                        // 9
         "          - { gpa: 0x0, hpa: 0x10000000, size: 4K, flags: [R, W, X, A, D] }\n"         // 10
         "          - { gpa: 0x1000, hpa: 0x10001000, size: 4K, flags: [X, A] }\n"               // 11
         "          - { gpa: 0x2000, hpa: 0x10002000, size: 4K, flags: [R, W, X, A, D] }\n"      // 12
         "          - { gpa: 0x3000, hpa: 0x10003000, size: 4K, flags: [R, W, X, A, D] }\n"      // 13
         "          - { gpa: 0x20000, hpa: 0x10020000, size: 4K, flags: [R, W, X, A, D] }\n"     // 14
         "      paging:\n"                                                                       // 15
         "        root: 0x0\n"                                                                   // 16
         "        tables_at: 0x1000\n"                                                           // 17
         "        map:\n"                                                                        // 18
         "          - { va: 0x400000, pa: 0x20000, size: 4K, flags: [P, RW, US, A, D], upper: [P, RW, US, A] }\n"  // 19
         "    operations:\n"                                                                     // 20
         + operations;                                                                           // 21..
}

const std::string kWorkedRead =
    "      - { op: read, va: 0x400000, expect: { vm_exit: { reason: ept_violation, qualification: 0xa1, guest_physical: 0x1000, "
    "guest_linear: 0x400000 } } }\n";

TEST(EptVector, LoadsAndTheModelGivesTheWorkedExample) {
  const auto v = load_vector_text(document(kWorkedRead), "t.yaml");
  ASSERT_EQ(v.size(), 1u);
  ASSERT_TRUE(v[0].initial.ept.has_value());
  EXPECT_STREQ(schema_of(v[0]), kVectorSchemaV2);
  ASSERT_EQ(v[0].expectations.size(), 1u);
  ASSERT_EQ(v[0].expectations[0].outcomes.size(), 1u);
  EXPECT_EQ(v[0].expectations[0].outcomes[0].event,
            model::Event::vm_exit(model::kExitEptViolation, 0xa1, 0x1000, std::uint64_t{0x400000}));
  const auto steps = evaluate_on_model(v[0]);
  ASSERT_EQ(steps.size(), 1u);
  ASSERT_FALSE(steps[0].expectation.outcomes.empty());
  EXPECT_EQ(model::difference(v[0].expectations[0].outcomes[0].event, steps[0].expectation.outcomes[0].event), "");
}

TEST(EptVector, WithEptAccessedDirtyTheReadIsAWrite) {
  const auto v = load_vector_text(
      document("      - { op: read, va: 0x400000, expect: { vm_exit: { reason: ept_violation, qualification: 0xa3, "
               "guest_physical: 0x1000, guest_linear: 0x400000 } } }\n",
               "vtspec/vector/2", ", accessed_dirty: true"),
      "t.yaml");
  ASSERT_EQ(v.size(), 1u);
  const auto steps = evaluate_on_model(v[0]);
  ASSERT_EQ(steps.size(), 1u);
  ASSERT_FALSE(steps[0].expectation.outcomes.empty());
  EXPECT_EQ(model::difference(v[0].expectations[0].outcomes[0].event, steps[0].expectation.outcomes[0].event), "");
}

TEST(EptVector, TheWriterWritesWhatTheLoaderReads) {
  const auto v = load_vector_text(document(kWorkedRead), "t.yaml");
  ASSERT_EQ(v.size(), 1u);
  ASSERT_EQ(v[0].expectations.size(), 1u);
  ASSERT_FALSE(v[0].expectations[0].outcomes.empty());
  EXPECT_EQ(render_outcome(v[0].expectations[0].outcomes[0]),
            "{ vm_exit: { reason: ept_violation, qualification: 0xa1, guest_physical: 0x1000, guest_linear: 0x400000 } }");
  ExpectedOutcome misconfig;
  misconfig.event = model::Event::vm_exit(model::kExitEptMisconfig, 0, 0x5000, std::nullopt);
  misconfig.event.qualification_undefined = ~std::uint64_t{0};
  EXPECT_EQ(render_outcome(misconfig), "{ vm_exit: { reason: ept_misconfig, guest_physical: 0x5000 } }");
}

TEST(EptVector, VersionOneRefusesEpt) {
  const auto e = load_error(document(kWorkedRead, "vtspec/vector/1"));
  EXPECT_EQ(e.line(), 7);
  EXPECT_EQ(e.field(), "vectors[0].state.ept");
  EXPECT_NE(e.message().find("vtspec/vector/2"), std::string::npos) << e.message();
}

TEST(EptVector, BadVmExitsAreRefusedWithTheirField) {
  struct Case {
    std::string outcome, field, message;
  };
  const Case cases[] = {
      {"{ vm_exit: { reason: triple_fault, qualification: 0x81, guest_physical: 0x1000 } }", "vectors[0].operations[0].expect.vm_exit.reason",
       "ept_violation or ept_misconfig"},
      {"{ vm_exit: { reason: ept_violation, qualification: 0x1, guest_physical: 0x1000, guest_linear: 0x400000 } }",
       "vectors[0].operations[0].expect.vm_exit.guest_linear", "bit 7"},
      {"{ vm_exit: { reason: ept_violation, qualification: 0x81, guest_physical: 0x1000 } }",
       "vectors[0].operations[0].expect.vm_exit.guest_linear", "missing"},
      {"{ vm_exit: { reason: ept_violation, qualification: 0x81, guest_physical: 0x1000, guest_linear: 0x401000 } }",
       "vectors[0].operations[0].expect.vm_exit.guest_linear", "not the access's linear address"},
      {"{ vm_exit: { reason: ept_misconfig, qualification: 0x81, guest_physical: 0x1000 } }",
       "vectors[0].operations[0].expect.vm_exit.qualification", "no exit qualification"},
      {"{ vm_exit: { reason: ept_violation, guest_physical: 0x1000 } }", "vectors[0].operations[0].expect.vm_exit.qualification",
       "missing"},
      {"{ vm_exit: { reason: ept_violation, qualification: 0x81, qualification_open: 0x1, guest_physical: 0x1000, guest_linear: 0x400000 } }",
       "vectors[0].operations[0].expect.vm_exit.qualification_open", "given as 0"},
      {"{ vm_exit: { reason: ept_misconfig, guest_physical: 0x1000 }, value: 0x1 }", "vectors[0].operations[0].expect.vm_exit",
       "no exception and reads no value"},
      {"{ vm_exit: { reason: ept_misconfig, guest_physical: 0x400000000000 } }", "vectors[0].operations[0].expect.vm_exit.guest_physical",
       "beyond MAXPHYADDR"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.outcome);
    const auto e = load_error(document("      - { op: read, va: 0x400000, expect: " + c.outcome + " }\n"));
    EXPECT_EQ(e.line(), 21);
    EXPECT_EQ(e.field(), c.field);
    EXPECT_NE(e.message().find(c.message), std::string::npos) << e.message();
  }
}

TEST(EptVector, AVmExitNeedsAGuestUnderEpt) {
  const auto e = load_error(
      "schema: vtspec/vector/2\nvectors:\n  - id: d\n    state: { paging: { root: 0x1000, map: [ \"map VA 0x400000 -> PA 0x20000, 4K, [P]\" ] } }\n"
      "    operations:\n      - { op: read, va: 0x400000, expect: { vm_exit: { reason: ept_misconfig, guest_physical: 0x20000 } } }\n");
  EXPECT_EQ(e.line(), 6);
  EXPECT_EQ(e.field(), "vectors[0].operations[0].expect.vm_exit");
}

TEST(EptVector, AnEptPageOutsideTheVectorsHostPhysicalMemoryIsRefused) {
  // EPT maps the guest's data page to host-physical 1 GiB, where the L1 harness lives.
  std::string text = document(kWorkedRead);
  const std::string from = "{ gpa: 0x20000, hpa: 0x10020000,";
  text.replace(text.find(from), from.size(), "{ gpa: 0x20000, hpa: 0x40000000,");
  const auto e = load_error(text);
  EXPECT_NE(e.message().find("EPT PTE"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("host-physical 0x40000000"), std::string::npos) << e.message();
}

TEST(EptVector, TheRunnerSkipsItWhereTheTargetHasNoEpt) {
  const auto v = load_vector_text(document(kWorkedRead), "t.yaml");
  ASSERT_EQ(v.size(), 1u);
  const model::CpuNeeds needs = needs_of(v[0]);
  ASSERT_TRUE(needs.ept.has_value());
  EXPECT_EQ(needs.ept->maxphyaddr, 46u);
  conformance::Capabilities without = conformance::unlimited_capabilities();
  without.ept_capabilities = conformance::Capabilities{}.ept_capabilities;  // a target's default: no EPT
  const auto why = conformance::skip_reason(needs, without);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("EPT"), std::string::npos) << *why;
  EXPECT_FALSE(conformance::skip_reason(needs, conformance::unlimited_capabilities()).has_value());
  conformance::Capabilities other = conformance::unlimited_capabilities();
  spec::EptCapabilities no_execute_only = *needs.ept;
  no_execute_only.execute_only = false;
  other.ept_capabilities = std::vector<spec::EptCapabilities>{no_execute_only};
  EXPECT_TRUE(conformance::skip_reason(needs, other).has_value());
}

}  // namespace
}  // namespace vtspec::vectors
