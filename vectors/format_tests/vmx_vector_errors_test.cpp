// vtspec/vector/4 (a VMX L1, the state's vmx:): the loader reads the state and the VMX
// instructions' outcomes, and rejects bad input with the file, line, column and field.
// Expected values come from the document below and SDM Vol. 3C 31.2-31.4; positions are
// counted by hand.
#include <gtest/gtest.h>

#include "vectors/format/load_error.hpp"
#include "vectors/format/vector_file.hpp"
#include "vectors/format_tests/expect_load_error.hpp"

namespace vtspec::vectors {
namespace {

// A valid v4 document: a Bochs 2.7 L1 (revision 2BH) in VMX root operation with a current
// VMCS. `vmx_extra` goes under vmx: (line 12 on), then operations: and `operations`.
std::string document(const std::string& operations, const std::string& vmx_extra = "",
                     const std::string& schema = "vtspec/vector/4") {
  return "schema: " + schema + "\n"               // line 1
         "vectors:\n"                             // line 2
         "  - id: t/1\n"                          // line 3
         "    state:\n"                           // line 4
         "      registers: { cr0: [PE, NE, PG], cr4: [PAE, VMXE] }\n"  // line 5
         "      memory:\n"                        // line 6
         "        - { hpa: 0x200000, u32: 0x2b }\n"  // line 7
         "        - { hpa: 0x201000, u32: 0x2b }\n"  // line 8
         "      vmx:\n"                           // line 9
         "        profile: bochs-2.7\n"           // line 10
         "        vmxon: 0x200000\n"              // line 11
         + vmx_extra +                            // line 12..
         "    operations:\n" + operations;
}

const std::string kCurrent = "        current_vmcs: 0x201000\n";

TEST(VmxVectorFile, ReadsTheStateAndEveryKindOfOutcome) {
  const auto v = load_vector_text(
      document("      - { op: vmread, field: 0x681e, expect: { value: 0x401000 } }\n"
               "      - { op: vmwrite, field: 0x68fe, value: 1, expect: { vm_fail: 12 } }\n"
               "      - { op: vmclear, address: 0x201000, expect: ok }\n"
               "      - { op: vmlaunch, expect: { vm_fail: invalid } }\n"
               "      - { op: vmptrld, address: 0x201000, expect: ok }\n"
               "      - { op: vmlaunch, expect: { vm_entry_failure: { reason: 33, qualification: 0 } } }\n"
               "      - { op: vmxon, address: 0x200000, cpl: 3, expect: { fault: GP } }\n",
               kCurrent + "        vmcs: { guest_rip: 0x401000 }\n"),
      "t.yaml");
  ASSERT_EQ(v.size(), 1u);
  ASSERT_TRUE(v[0].initial.vmx);
  const auto& x = *v[0].initial.vmx;
  EXPECT_EQ(x.profile, "bochs-2.7");
  EXPECT_EQ(x.caps.revision(), 0x2bu);
  EXPECT_EQ(x.vmxon, 0x200000u);
  EXPECT_EQ(x.current_vmcs, 0x201000u);
  EXPECT_EQ(v[0].initial.features.maxphyaddr, 40u);  // the profile's, since features: says none
  ASSERT_EQ(v[0].expectations.size(), 7u);
  EXPECT_EQ(v[0].expectations[0].outcomes[0].event, model::Event::completed(0x401000));
  EXPECT_EQ(v[0].expectations[1].outcomes[0].event, model::Event::vm_fail_valid(12));
  EXPECT_EQ(v[0].expectations[3].outcomes[0].event, model::Event::vm_fail_invalid());
  EXPECT_EQ(v[0].expectations[5].outcomes[0].event, model::Event::vm_entry_failure(33, 0));
  EXPECT_EQ(v[0].expectations[6].outcomes[0].event, model::Event::exception(13, 0));
}

TEST(VmxVectorFile, AVmxL1NeedsSchemaV4) {
  const auto e = load_error(document("      - { op: vmxoff, expect: ok }\n", "", "vtspec/vector/3"));
  EXPECT_EQ(e.field(), "vectors[0].state.vmx");
  EXPECT_EQ(e.line(), 10);
  EXPECT_NE(e.message().find("vtspec/vector/4"), std::string::npos) << e.what();
}

TEST(VmxVectorFile, BadStatesNameTheirField) {
  // A region without the revision identifier: VMXON could not have succeeded (25.11.5).
  auto e = load_error(document("      - { op: vmxoff, expect: ok }\n", "        current_vmcs: 0x202000\n"));
  EXPECT_EQ(e.field(), "vectors[0].state.vmx.current_vmcs");
  EXPECT_EQ(e.line(), 12);
  EXPECT_NE(e.message().find("revision identifier 0x2b"), std::string::npos) << e.what();
  e = load_error(document("      - { op: vmxoff, expect: ok }\n", "        vmcs: { guest_rip: 1 }\n"));
  EXPECT_EQ(e.field(), "vectors[0].state.vmx.vmcs");  // fields need a current VMCS
  e = load_error(document("      - { op: vmxoff, expect: ok }\n", kCurrent + "        vmcs: { guest_ripp: 1 }\n"));
  EXPECT_EQ(e.field(), "vectors[0].state.vmx.vmcs.guest_ripp");
  EXPECT_EQ(e.line(), 13);
  e = load_error(document("      - { op: vmxoff, expect: ok }\n", "        profile2: x\n"));
  EXPECT_EQ(e.field(), "vectors[0].state.vmx.profile2");
  // The VMCS may not point the processor at memory above the vector's window (the L1's).
  e = load_error(document("      - { op: vmxoff, expect: ok }\n", kCurrent + "        vmcs: { msr_bitmap: 0x40000000 }\n"));
  EXPECT_NE(e.message().find("msr_bitmap"), std::string::npos) << e.what();
}

TEST(VmxVectorFile, BadOperationsAndOutcomesNameTheirField) {
  // Without vmx_extra, line 12 is operations: and line 13 the first operation.
  auto e = load_error(document("      - { op: read, va: 0x400000, expect: ok }\n"));
  EXPECT_EQ(e.field(), "vectors[0].operations[0].op");
  EXPECT_EQ(e.line(), 13);
  e = load_error(document("      - { op: vm_exit, expect: ok }\n"));  // a history's transition, not an instruction
  EXPECT_EQ(e.field(), "vectors[0].operations[0].op");
  e = load_error(document("      - { op: vmlaunch, expect: { vm_fail: 29 } }\n"));
  EXPECT_EQ(e.field(), "vectors[0].operations[0].expect.vm_fail");
  e = load_error(document("      - { op: vmread, field: 0x681e, expect: { vm_entry_failure: { reason: 33 } } }\n"));
  EXPECT_EQ(e.field(), "vectors[0].operations[0].expect.vm_entry_failure");  // only VMLAUNCH/VMRESUME
  e = load_error(document("      - { op: vmlaunch, expect: { vm_entry_failure: { reason: 35 } } }\n"));
  EXPECT_EQ(e.field(), "vectors[0].operations[0].expect.vm_entry_failure.reason");
  e = load_error(document("      - { op: vmlaunch, expect: { vm_fail: 7, value: 1 } }\n"));
  EXPECT_EQ(e.field(), "vectors[0].operations[0].expect.value");
  e = load_error(document("      - { op: vmptrld, address: 0x40000000, expect: ok }\n"));
  EXPECT_EQ(e.field(), "vectors[0].operations[0]");  // the L1's memory
}

}  // namespace
}  // namespace vtspec::vectors
