// The VMX instructions on the processor model, each outcome from SDM Vol. 3C 31.3's
// pseudocode and the error numbers of 31.4: VMXON, VMCLEAR, VMPTRLD, VMPTRST, VMREAD,
// VMWRITE, VMLAUNCH, VMRESUME, VMXOFF, VMCALL, with the TLB effect of the VM entry's VPID.
#include <gtest/gtest.h>

#include "model/processor/processor.hpp"
#include "spec/vmx/vm_entry_checks.hpp"

namespace vtspec::model {
namespace {

using namespace spec::vmx;
using spec::bit_at;
namespace f = spec::vmx::vmcs_field;

constexpr std::uint64_t kVmxon = 0x10000, kVmcs = 0x11000, kOther = 0x12000;

Operation op(OperationKind kind, std::uint64_t address = 0) {
  Operation o;
  o.kind = kind;
  o.address = address;
  return o;
}
Operation vmwrite(std::uint32_t field, std::uint64_t value) {
  Operation o = op(OperationKind::vmwrite);
  o.field = field;
  o.value = value;
  return o;
}
Operation vmread(std::uint64_t field) {
  Operation o = op(OperationKind::vmread);
  o.field = field;
  return o;
}

// A VMM at CPL 0 with CR4.VMXE (Vol. 3A 2.5 bit 13), CR0 meeting FIXED0 (PE, NE, PG), and
// the VMXON and VMCS regions holding the profile's revision identifier (BASIC bits 30:0 = 4
// on Skylake-X).
struct Vmm {
  MachineState s;
  Vmm() {
    s.regs.cr0 = spec::cr0::pe | spec::cr0::pg | spec::cr0::wp | bit_at(5);
    s.regs.cr4 = spec::cr4::pae | cr4_vmxe;
    s.memory.write64(kVmxon, 4);
    s.memory.write64(kVmcs, 4);
    s.memory.write64(kOther, 5);  // wrong revision
  }
  Processor make() { return Processor(s); }
};

TEST(VmxInstructions, OutsideVmxOperationEverythingButVmxonIsUd) {
  Processor p = Vmm().make();
  for (auto k : {OperationKind::vmxoff, OperationKind::vmclear, OperationKind::vmptrld, OperationKind::vmptrst,
                 OperationKind::vmread, OperationKind::vmwrite, OperationKind::vmlaunch, OperationKind::vmresume,
                 OperationKind::vmcall}) {
    p.apply(op(k, kVmcs));
    EXPECT_EQ(p.last_event(), Event::exception(kInvalidOpcodeVector)) << to_string(k);
  }
}

TEST(VmxInstructions, VmxonChecks) {
  Vmm m;
  auto no_vmxe = m.s;
  no_vmxe.regs.cr4 &= ~cr4_vmxe;
  Processor a(no_vmxe);
  a.apply(op(OperationKind::vmxon, kVmxon));
  EXPECT_EQ(a.last_event(), Event::exception(kInvalidOpcodeVector));  // CR4.VMXE = 0: #UD

  Processor p = m.make();
  Operation at3 = op(OperationKind::vmxon, kVmxon);
  at3.access.cpl = 3;
  p.apply(at3);
  EXPECT_EQ(p.last_event(), Event::exception(kGeneralProtectionVector, 0));  // CPL > 0: #GP(0)
  p.apply(op(OperationKind::vmxon, kVmxon + 8));  // not 4-KByte aligned
  EXPECT_EQ(p.last_event(), Event::vm_fail_invalid());
  p.apply(op(OperationKind::vmxon, kOther));  // revision 5 != 4
  EXPECT_EQ(p.last_event(), Event::vm_fail_invalid());
  p.apply(op(OperationKind::vmxon, kVmxon));
  EXPECT_EQ(p.last_event(), Event::completed());
  p.apply(op(OperationKind::vmxon, kVmxon));  // VMXON in VMX root operation, no current VMCS
  EXPECT_EQ(p.last_event(), Event::vm_fail_invalid());
  p.apply(op(OperationKind::vmptrld, kVmcs));
  p.apply(op(OperationKind::vmxon, kVmxon));  // now VMfailValid(15)
  EXPECT_EQ(p.last_event(), Event::vm_fail_valid(15));
  p.apply(vmread(f::vm_instruction_error));
  EXPECT_EQ(p.last_event(), Event::completed(15));
}

TEST(VmxInstructions, VmclearVmptrldVmptrstErrors) {
  Processor p = Vmm().make();
  p.apply(op(OperationKind::vmxon, kVmxon));
  p.apply(op(OperationKind::vmclear, kVmcs + 1));
  EXPECT_EQ(p.last_event(), Event::vm_fail_invalid());  // VMfail(2) without a current VMCS
  p.apply(op(OperationKind::vmptrld, kVmcs));
  EXPECT_EQ(p.last_event(), Event::completed());
  p.apply(op(OperationKind::vmptrst));
  EXPECT_EQ(p.last_event(), Event::completed(kVmcs));
  p.apply(op(OperationKind::vmclear, kVmcs + 1));
  EXPECT_EQ(p.last_event(), Event::vm_fail_valid(2));
  p.apply(op(OperationKind::vmclear, kVmxon));
  EXPECT_EQ(p.last_event(), Event::vm_fail_valid(3));
  p.apply(op(OperationKind::vmptrld, std::uint64_t{1} << 50));  // beyond MAXPHYADDR 46
  EXPECT_EQ(p.last_event(), Event::vm_fail_valid(9));
  p.apply(op(OperationKind::vmptrld, kVmxon));
  EXPECT_EQ(p.last_event(), Event::vm_fail_valid(10));
  p.apply(op(OperationKind::vmptrld, kOther));
  EXPECT_EQ(p.last_event(), Event::vm_fail_valid(11));
  // VMCLEAR of the current VMCS makes the current-VMCS pointer FFFFFFFF_FFFFFFFFH.
  p.apply(op(OperationKind::vmclear, kVmcs));
  EXPECT_EQ(p.last_event(), Event::completed());
  p.apply(op(OperationKind::vmptrst));
  EXPECT_EQ(p.last_event(), Event::completed(kNoCurrentVmcs));
  p.apply(vmread(f::guest_cr0));
  EXPECT_EQ(p.last_event(), Event::vm_fail_invalid());
}

TEST(VmxInstructions, VmreadVmwriteErrors12And13) {
  Vmm m;
  Processor p = m.make();
  p.apply(op(OperationKind::vmxon, kVmxon));
  p.apply(op(OperationKind::vmptrld, kVmcs));
  p.apply(vmwrite(0x6801, 1));
  EXPECT_EQ(p.last_event(), Event::vm_fail_valid(12));
  p.apply(vmwrite(f::guest_cr0, 0x80000031));
  p.apply(vmread(f::guest_cr0));
  EXPECT_EQ(p.last_event(), Event::completed(0x80000031));
  // Skylake-X sets IA32_VMX_MISC bit 29: VMWRITE to a read-only field succeeds.
  p.apply(vmwrite(f::exit_qualification, 7));
  EXPECT_EQ(p.last_event(), Event::completed());

  VmxState no29;
  no29.caps.misc &= ~bit_at(misc_bits::vmwrite_any_field);
  Processor q(m.s, no29);
  q.apply(op(OperationKind::vmxon, kVmxon));
  q.apply(op(OperationKind::vmptrld, kVmcs));
  q.apply(vmwrite(f::exit_qualification, 7));
  EXPECT_EQ(q.last_event(), Event::vm_fail_valid(13));
}

void load_valid_vmcs(Processor& p) {
  const auto v = vmx::valid_vmcs(p.vmx().caps);
  for (std::size_t i = 0; i < kVmcsFieldCount; ++i) {
    if (field_type(kVmcsFieldTable[i].encoding) == FieldType::read_only) continue;
    if (!p.vmx().caps.field_exists(kVmcsFieldTable[i])) continue;
    p.apply(vmwrite(kVmcsFieldTable[i].encoding, v.values[i]));
    ASSERT_EQ(p.last_event(), Event::completed()) << kVmcsFieldTable[i].name;
  }
}

TEST(VmxInstructions, LaunchThenResumeAndLaunchStateErrors) {
  Processor p = Vmm().make();
  p.apply(op(OperationKind::vmxon, kVmxon));
  p.apply(op(OperationKind::vmclear, kVmcs));
  p.apply(op(OperationKind::vmptrld, kVmcs));
  p.apply(op(OperationKind::vmresume));
  EXPECT_EQ(p.last_event(), Event::vm_fail_valid(5));  // launch state clear
  load_valid_vmcs(p);
  p.apply(op(OperationKind::vmlaunch));
  EXPECT_EQ(p.last_event(), Event::completed());
  EXPECT_TRUE(p.vmx().non_root);
  EXPECT_EQ(p.context().vpid, 1u);  // "enable VPID" with VPID 1 (29.1)
  EXPECT_TRUE(p.state().ept.has_value());
  EXPECT_EQ(p.state().regs.cr3, 0x2000u);  // guest CR3 loaded (27.3.2.1)
  // In VMX non-root operation VMLAUNCH exits (reason 20, Appendix C).
  p.apply(op(OperationKind::vmlaunch));
  EXPECT_EQ(p.last_event(), Event::vm_exit(20, 0, std::nullopt, std::nullopt));
  EXPECT_FALSE(p.vmx().non_root);
  EXPECT_EQ(p.state().regs.cr3, 0x1000u);  // host CR3 (28.5.1)
  p.apply(op(OperationKind::vmlaunch));
  EXPECT_EQ(p.last_event(), Event::vm_fail_valid(4));  // launched
  p.apply(op(OperationKind::vmresume));
  EXPECT_EQ(p.last_event(), Event::completed());
  EXPECT_TRUE(p.vmx().non_root);
}

TEST(VmxInstructions, EntryFailuresThroughTheCheckTable) {
  Processor p = Vmm().make();
  p.apply(op(OperationKind::vmxon, kVmxon));
  p.apply(op(OperationKind::vmclear, kVmcs));
  p.apply(op(OperationKind::vmptrld, kVmcs));
  load_valid_vmcs(p);
  p.apply(vmwrite(f::host_cs_selector, 0));  // 27.2.2
  p.apply(op(OperationKind::vmlaunch));
  EXPECT_EQ(p.last_event(), Event::vm_fail_valid(8));
  p.apply(vmwrite(f::host_cs_selector, 8));
  p.apply(vmwrite(f::guest_rflags, 0));  // 27.3.1.4: bit 1 must be 1
  p.apply(op(OperationKind::vmlaunch));
  EXPECT_EQ(p.last_event(), Event::vm_entry_failure(33, 0));
  EXPECT_FALSE(p.vmx().non_root);
  p.apply(vmread(f::exit_reason));
  EXPECT_EQ(p.last_event(), Event::completed(0x80000021u));  // bit 31 | 33 (27.8)
}

TEST(VmxInstructions, VmcallInRootIsError1) {
  Processor p = Vmm().make();
  p.apply(op(OperationKind::vmxon, kVmxon));
  p.apply(op(OperationKind::vmptrld, kVmcs));
  p.apply(op(OperationKind::vmcall));
  EXPECT_EQ(p.last_event(), Event::vm_fail_valid(1));
  p.apply(op(OperationKind::vmxoff));
  EXPECT_EQ(p.last_event(), Event::completed());
  p.apply(op(OperationKind::vmcall));
  EXPECT_EQ(p.last_event(), Event::exception(kInvalidOpcodeVector));
}

}  // namespace
}  // namespace vtspec::model
