// vtspec/vector/3 vectors: an AMD-V guest under nested paging. The loader reads the state's
// npt: section and the npf vm_exit outcome, the model evaluates them, the runner skips them
// on a target without AMD-V, and bad input is refused with line and field. Expected
// positions are counted by hand from the document below; the expected outcome is worked out
// from AMD64 APM Vol. 2 15.25.5 and 15.25.6.
#include <gtest/gtest.h>

#include "conformance/capabilities.hpp"
#include "conformance/runner/skip_decision.hpp"
#include "vectors/format/model_evaluation.hpp"
#include "vectors/format/vector_file.hpp"
#include "vectors/format/vector_writer.hpp"
#include "vectors/format_tests/expect_load_error.hpp"

namespace vtspec::vectors {
namespace {

// Nested tables at host 0x80000 .. 0x83000 map guest-physical page n to host 0x100000 + n *
// 0x1000, except the page of the guest's PDPT (gpa 0x2000), whose nested PTE is read-only
// (0x102065: P, U, A, D). The guest maps VA 0x8080604000 (indices 1, 2, 3, 4) through PML4
// 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000 to 0x5000. Reading the PDPTE at gpa 0x2010 is a
// guest page-table access, a user write at the nested level (15.25.5): #VMEXIT(NPF) with
// EXITINFO1 = P | W | U | bit 33 (guest page table) = 0x200000007, EXITINFO2 = 0x2010.
std::string document(const std::string& operations, const std::string& schema = "vtspec/vector/3",
                     const std::string& extra_state = "") {
  return "schema: " + schema + "\n"                                   // 1
         "vectors:\n"                                                  // 2
         "  - id: npt/worked\n"                                        // 3
         "    state:\n"                                                // 4
         "      features: { maxphyaddr: 36 }\n"                        // 5
         "      npt: { ncr3: 0x80000 }\n"                              // 6
         "      registers: { cr3: 0x1000 }\n"                          // 7
         + extra_state +
         "      memory:\n"                                             // 8
         "        - { hpa: 0x80000, u64: 0x81027 }\n"                  // 9
         "        - { hpa: 0x81000, u64: 0x82027 }\n"                  // 10
         "        - { hpa: 0x82000, u64: 0x83027 }\n"                  // 11
         "        - { hpa: 0x83008, u64: 0x101067 }\n"                 // 12
         "        - { hpa: 0x83010, u64: 0x102065 }\n"                 // 13
         "        - { hpa: 0x83018, u64: 0x103067 }\n"                 // 14
         "        - { hpa: 0x83020, u64: 0x104067 }\n"                 // 15
         "        - { hpa: 0x83028, u64: 0x105067 }\n"                 // 16
         "        - { hpa: 0x101008, u64: 0x2027 }\n"                  // 17
         "        - { hpa: 0x102010, u64: 0x3027 }\n"                  // 18
         "        - { hpa: 0x103018, u64: 0x4027 }\n"                  // 19
         "        - { hpa: 0x104020, u64: 0x5067 }\n"                  // 20
         "    operations:\n"                                           // 21
         + operations;                                                 // 22..
}

const std::string kWorkedRead =
    "      - { op: read, va: 0x8080604000, cpl: 3, expect: { vm_exit: { reason: npf, exit_info1: 0x200000007, exit_info2: 0x2010 } } }\n";

TEST(NptVector, LoadsAndTheModelGivesTheWorkedExample) {
  const auto v = load_vector_text(document(kWorkedRead), "t.yaml");
  ASSERT_EQ(v.size(), 1u);
  ASSERT_TRUE(v[0].initial.npt.has_value());
  EXPECT_EQ(v[0].initial.npt->ncr3, 0x80000u);
  EXPECT_STREQ(schema_of(v[0]), kVectorSchemaV3);
  ASSERT_EQ(v[0].expectations.size(), 1u);
  ASSERT_EQ(v[0].expectations[0].outcomes.size(), 1u);
  EXPECT_EQ(v[0].expectations[0].outcomes[0].event, model::Event::svm_exit(model::kSvmExitNpf, 0x200000007, 0x2010));
  const auto steps = evaluate_on_model(v[0]);
  ASSERT_EQ(steps.size(), 1u);
  ASSERT_FALSE(steps[0].expectation.outcomes.empty());
  EXPECT_EQ(model::difference(v[0].expectations[0].outcomes[0].event, steps[0].expectation.outcomes[0].event), "");
}

TEST(NptVector, TheWriterWritesWhatTheLoaderReads) {
  const auto v = load_vector_text(document(kWorkedRead), "t.yaml");
  ASSERT_EQ(v.size(), 1u);
  ASSERT_FALSE(v[0].expectations[0].outcomes.empty());
  EXPECT_EQ(render_outcome(v[0].expectations[0].outcomes[0]),
            "{ vm_exit: { reason: npf, exit_info1: 0x200000007, exit_info2: 0x2010 } }");
}

TEST(NptVector, EarlierVersionsRefuseNestedPaging) {
  for (const char* schema : {"vtspec/vector/1", "vtspec/vector/2"}) {
    const auto e = load_error(document(kWorkedRead, schema));
    EXPECT_EQ(e.line(), 6);
    EXPECT_EQ(e.field(), "vectors[0].state.npt");
    EXPECT_NE(e.message().find("vtspec/vector/3"), std::string::npos) << e.message();
  }
}

TEST(NptVector, BadNestedPageFaultsAreRefusedWithTheirField) {
  struct Case {
    std::string outcome, field, message;
  };
  const std::string x = "vectors[0].operations[0].expect.vm_exit";
  const Case cases[] = {
      {"{ vm_exit: { reason: ept_violation, exit_info1: 0x200000007, exit_info2: 0x2010 } }", x + ".reason", "npf"},
      {"{ vm_exit: { reason: npf, exit_info1: 0x300000007, exit_info2: 0x2010 } }", x + ".exit_info1", "exactly one of bit 32"},
      {"{ vm_exit: { reason: npf, exit_info1: 0x200000003, exit_info2: 0x2010 } }", x + ".exit_info1", "user access"},
      {"{ vm_exit: { reason: npf, exit_info1: 0x1200000007, exit_info2: 0x2010 } }", x + ".exit_info1", "63:34"},
      {"{ vm_exit: { reason: npf, exit_info1: 0x200000007 } }", x + ".exit_info2", "missing"},
      {"{ vm_exit: { reason: npf, exit_info1: 0x200000007, exit_info2: 0x1000000000 } }", x + ".exit_info2", "beyond MAXPHYADDR"},
      {"{ vm_exit: { reason: npf, exit_info1: 0x200000007, exit_info2: 0x2010 }, value: 0x1 }", x, "no exception and reads no value"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.outcome);
    const auto e = load_error(document("      - { op: read, va: 0x8080604000, cpl: 3, expect: " + c.outcome + " }\n"));
    EXPECT_EQ(e.line(), 22);
    EXPECT_EQ(e.field(), c.field);
    EXPECT_NE(e.message().find(c.message), std::string::npos) << e.message();
  }
}

TEST(NptVector, ControlRegisterWritesAreNotInTheNestedGrammar) {
  const auto e = load_error(document("      - { op: mov_cr3, value: 0x1000, expect: ok }\n"));
  EXPECT_EQ(e.line(), 22);
  EXPECT_EQ(e.field(), "vectors[0].operations[0].op");
  EXPECT_NE(e.message().find("invlpga and vmrun"), std::string::npos) << e.message();
}

TEST(NptVector, HypervisorOperationsAreRead) {
  const auto v = load_vector_text(document("      - { op: vmrun, asid: 7, tlb_control: 3, expect: ok }\n"
                                           "      - { op: invlpga, va: 0x8080604000, asid: 7, expect: ok }\n"),
                                  "t.yaml");
  ASSERT_EQ(v.size(), 1u);
  ASSERT_EQ(v[0].operations.size(), 2u);
  EXPECT_EQ(v[0].operations[0].kind, model::OperationKind::vmrun);
  EXPECT_EQ(v[0].operations[0].asid, 7u);
  EXPECT_EQ(v[0].operations[0].type, 3u);
  EXPECT_EQ(v[0].operations[1].kind, model::OperationKind::invlpga);
  EXPECT_EQ(v[0].operations[1].address, 0x8080604000u);
}

// APM Vol. 2 15.5.1: VMRUN with ASID 0, or with a VMCB field a check refuses (here EFER
// without SVME: 0x500 = LME | LMA), ends in #VMEXIT(INVALID); the guest keeps running as
// before, so the read after it completes. A legal VMCB field (EFER with SVME, 0x1d00) enters.
TEST(NptVector, FailedVmrunIsAnInvalidExit) {
  const std::string ops =
      "      - { op: vmrun, asid: 0, tlb_control: 0, expect: { vm_exit: { reason: invalid } } }\n"
      "      - { op: vmrun, asid: 2, tlb_control: 0, efer: 0x500, expect: { vm_exit: { reason: invalid } } }\n"
      "      - { op: vmrun, asid: 2, tlb_control: 0, efer: 0x1d00, expect: ok }\n";
  const auto v = load_vector_text(document(ops), "t.yaml");
  ASSERT_EQ(v.size(), 1u);
  ASSERT_EQ(v[0].expectations.size(), 3u);
  EXPECT_EQ(v[0].expectations[0].outcomes[0].event, model::Event::svm_invalid());
  ASSERT_EQ(v[0].operations.size(), 3u);
  EXPECT_EQ(v[0].operations[1].vmcb[static_cast<std::size_t>(model::VmcbField::efer)], 0x500u);
  EXPECT_EQ(v[0].operations[0].vmcb[static_cast<std::size_t>(model::VmcbField::efer)], model::kVmcbAsBuilt);
  const auto steps = evaluate_on_model(v[0]);
  ASSERT_EQ(steps.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_FALSE(steps[i].expectation.outcomes.empty());
    EXPECT_EQ(model::difference(v[0].expectations[i].outcomes[0].event, steps[i].expectation.outcomes[0].event), "") << i;
  }
  EXPECT_NE(steps[1].trace.find("vmrun.efer-svme"), std::string::npos) << steps[1].trace;
  // The writer puts out the VMCB field the vector set, and no other.
  const std::string text = render_operation(v[0].operations[1], &v[0].expectations[1]);
  EXPECT_NE(text.find("efer: 0x500"), std::string::npos) << text;
  EXPECT_EQ(text.find("cr0:"), std::string::npos) << text;
  EXPECT_NE(text.find("vm_exit: { reason: invalid }"), std::string::npos) << text;
}

TEST(NptVector, BadVmrunsAreRefusedWithTheirField) {
  // 15.16.1: TLB_CONTROL 2 is reserved; all ones is the L1's value, not a VMCB value; a
  // VMRUN has no nested page fault, an access no invalid exit.
  const std::pair<std::string, std::string> cases[] = {
      {"      - { op: vmrun, asid: 1, tlb_control: 2, expect: ok }\n", "vectors[0].operations[0].tlb_control"},
      {"      - { op: vmrun, asid: 1, tlb_control: 0, cr0: 0xffffffffffffffff, expect: ok }\n", "vectors[0].operations[0].cr0"},
      {"      - { op: vmrun, asid: 1, tlb_control: 0, expect: { vm_exit: { reason: npf } } }\n",
       "vectors[0].operations[0].expect.vm_exit.reason"},
      {"      - { op: read, va: 0x8080604000, expect: { vm_exit: { reason: invalid } } }\n",
       "vectors[0].operations[0].expect.vm_exit.reason"},
  };
  for (const auto& [ops, field] : cases) {
    SCOPED_TRACE(ops);
    EXPECT_EQ(load_error(document(ops)).field(), field);
  }
}

TEST(NptVector, BadNptSectionsAreRefused) {
  struct Case {
    std::string extra, field, message;
  };
  const Case cases[] = {
      {"      paging: { root: 0x1000 }\n", "vectors[0].state.paging", "memory: words"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.extra);
    const auto e = load_error(document(kWorkedRead, "vtspec/vector/3", c.extra));
    EXPECT_EQ(e.field(), c.field);
    EXPECT_NE(e.message().find(c.message), std::string::npos) << e.message();
  }
  const auto unaligned = load_error(
      "schema: vtspec/vector/3\nvectors:\n  - id: d\n    state: { features: { maxphyaddr: 36 }, npt: { ncr3: 0x80010 } }\n"
      "    operations:\n      - { op: read, va: 0x1000, expect: ok }\n");
  EXPECT_EQ(unaligned.field(), "vectors[0].state.npt.ncr3");
  EXPECT_NE(unaligned.message().find("4-KByte aligned"), std::string::npos) << unaligned.message();
  const auto asid0 = load_error(
      "schema: vtspec/vector/3\nvectors:\n  - id: d\n    state: { features: { maxphyaddr: 36 }, npt: { ncr3: 0x80000, asid: 0 } }\n"
      "    operations:\n      - { op: read, va: 0x1000, expect: ok }\n");
  EXPECT_EQ(asid0.field(), "vectors[0].state.npt.asid");
}

TEST(NptVector, TheRunnerSkipsThemWhereTheTargetHasNoAmdV) {
  const auto v = load_vector_text(document(kWorkedRead), "t.yaml");
  ASSERT_EQ(v.size(), 1u);
  conformance::Capabilities caps = conformance::unlimited_capabilities();
  EXPECT_FALSE(conformance::skip_reason(needs_of(v[0]), caps).has_value());
  caps.nested_paging = false;
  const auto why = conformance::skip_reason(needs_of(v[0]), caps);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("nested paging"), std::string::npos) << *why;
}

}  // namespace
}  // namespace vtspec::vectors
