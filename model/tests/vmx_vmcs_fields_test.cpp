// The VMCS field table, the capability profiles and VMREAD/VMWRITE's component rules.
// Expected values: SDM Vol. 3C Appendix B (encodings), 25.11.2 / Table 25-21 (the
// encoding's structure), Appendix A (capability MSRs), 31.3 VMREAD/VMWRITE (errors 12, 13).
#include <gtest/gtest.h>

#include <set>

#include "model/vmx/vmx_profiles.hpp"
#include "spec/vmx/vmread_vmwrite.hpp"

namespace vtspec::spec::vmx {
namespace {

const VmxCapabilities& skylake() { return model::vmx::find_vmx_profile("bochs-skylake-x")->caps; }

TEST(VmcsFields, EncodingsAreUniqueFullAndWellFormed) {
  std::set<std::uint32_t> seen;
  for (const auto& f : kVmcsFieldTable) {
    EXPECT_TRUE(seen.insert(f.encoding).second) << f.name;
    EXPECT_FALSE(is_high_access(f.encoding)) << f.name;  // Appendix B lists full encodings
    EXPECT_TRUE(encoding_reserved_bits_clear(f.encoding)) << f.name;
  }
  EXPECT_GE(kVmcsFieldTable.size(), 170u);
}

TEST(VmcsFields, WidthAndTypeFromAppendixB) {
  // Table B-1: VPID 00000000H, 16-bit control. Table B-7 (64-bit read-only): guest-physical
  // address 00002400H. Table B-14: exit qualification 00006400H, natural-width read-only.
  // Table B-15: guest CR0 00006800H. Table B-16: host RIP 00006C16H. Table B-8/B-9: VM-exit
  // reason 00004402H 32-bit read-only; guest interruptibility 00004824H 32-bit guest.
  struct Case {
    std::uint32_t enc;
    FieldWidth width;
    FieldType type;
  } cases[] = {
      {0x0000, FieldWidth::bits16, FieldType::control},     {0x080e, FieldWidth::bits16, FieldType::guest},
      {0x0c0c, FieldWidth::bits16, FieldType::host},        {0x201a, FieldWidth::bits64, FieldType::control},
      {0x2400, FieldWidth::bits64, FieldType::read_only},   {0x2800, FieldWidth::bits64, FieldType::guest},
      {0x2c02, FieldWidth::bits64, FieldType::host},        {0x4402, FieldWidth::bits32, FieldType::read_only},
      {0x4824, FieldWidth::bits32, FieldType::guest},       {0x4c00, FieldWidth::bits32, FieldType::host},
      {0x6400, FieldWidth::natural, FieldType::read_only},  {0x6800, FieldWidth::natural, FieldType::guest},
      {0x6c16, FieldWidth::natural, FieldType::host},       {0x6000, FieldWidth::natural, FieldType::control},
  };
  for (const auto& c : cases) {
    ASSERT_TRUE(field_position(c.enc)) << std::hex << c.enc;
    EXPECT_EQ(field_width(c.enc), c.width) << std::hex << c.enc;
    EXPECT_EQ(field_type(c.enc), c.type) << std::hex << c.enc;
  }
  EXPECT_EQ(vmcs_field::guest_cr0, 0x6800u);
  EXPECT_EQ(vmcs_field::ept_pointer, 0x201au);
  EXPECT_EQ(vmcs_field::vmcs_link_pointer, 0x2800u);
  EXPECT_EQ(vmcs_field::guest_tr_access_rights, 0x4822u);
  EXPECT_EQ(vmcs_field::host_ia32_sysenter_eip, 0x6c12u);
}

TEST(VmcsFields, HighAccessOnlyForSixtyFourBitFields) {
  // 25.11.2: access type 1 (high) is allowed only for 64-bit fields.
  const auto hi = component_of(0x201b);  // EPT pointer (high)
  ASSERT_TRUE(hi);
  EXPECT_TRUE(hi->high);
  EXPECT_FALSE(component_of(0x6801));         // guest CR0 is natural width
  EXPECT_FALSE(component_of(0x4003));         // primary controls is 32-bit
  EXPECT_FALSE(component_of(0x100006800ull));  // bits 63:32 of the operand set
  EXPECT_FALSE(component_of(0x7800));          // bit 12 reserved... (0x7800 = 0x6800 | bit 12)
}

TEST(VmxProfiles, SkylakeXValuesAsListed) {
  const auto& c = skylake();
  EXPECT_EQ(c.revision(), 4u);                  // BASIC bits 30:0
  EXPECT_EQ((c.basic >> 32) & 0x1fff, 0x400u);  // bits 44:32: VMCS region size 1024
  EXPECT_TRUE(c.true_controls());               // bit 55
  EXPECT_EQ(c.cr3_target_values(), 4u);         // MISC bits 24:16
  EXPECT_TRUE(c.misc_bit(misc_bits::vmwrite_any_field));
  EXPECT_EQ(c.pinbased_settings(), c.true_pinbased);
  // The secondary controls exist because primary bit 31 may be 1 (A.3.2: allowed-1 bit 63).
  EXPECT_TRUE(VmxCapabilities::may_be_1(c.procbased_settings(), 31));
  EXPECT_TRUE(VmxCapabilities::may_be_1(c.procbased2_settings(), 1));   // enable EPT
  EXPECT_TRUE(VmxCapabilities::may_be_1(c.procbased2_settings(), 5));   // enable VPID
  // PROCBASED_CTLS2 = 025D3FFF_00000000: bit 22 (mode-based execute) allowed, bit 23
  // (sub-page write permissions) not.
  EXPECT_TRUE(VmxCapabilities::may_be_1(c.procbased2_settings(), 22));
  EXPECT_FALSE(VmxCapabilities::may_be_1(c.procbased2_settings(), 23));
}

TEST(VmreadVmwrite, ErrorTwelveForMissingOrUnknownComponents) {
  const auto& c = skylake();
  EXPECT_EQ(vmread_error(0x6800, c), std::nullopt);
  EXPECT_EQ(vmread_error(0x6801, c), VmInstructionError::unsupported_component);
  EXPECT_EQ(vmwrite_error(0x9999, c), VmInstructionError::unsupported_component);
  // Appendix B: the HLAT pointer exists only with tertiary control "enable HLAT"; Skylake-X
  // has no tertiary controls (primary allowed-1 bit 17 is 0).
  EXPECT_EQ(vmread_error(vmcs_field::hlat_pointer, c), VmInstructionError::unsupported_component);
  auto no_ept = c;
  no_ept.procbased2 &= ~(bit_at(1) << 32);
  EXPECT_EQ(vmread_error(vmcs_field::ept_pointer, no_ept), VmInstructionError::unsupported_component);
  EXPECT_EQ(vmread_error(vmcs_field::ept_pointer, c), std::nullopt);
  EXPECT_EQ(number(VmInstructionError::unsupported_component), 12u);
}

TEST(VmreadVmwrite, ErrorThirteenForReadOnlyUnlessMiscBit29) {
  auto c = skylake();
  EXPECT_EQ(vmwrite_error(vmcs_field::exit_qualification, c), std::nullopt);  // MISC[29] = 1
  c.misc &= ~bit_at(misc_bits::vmwrite_any_field);
  EXPECT_EQ(vmwrite_error(vmcs_field::exit_qualification, c), VmInstructionError::vmwrite_read_only_component);
  EXPECT_EQ(vmwrite_error(vmcs_field::exit_reason, c), VmInstructionError::vmwrite_read_only_component);
  EXPECT_EQ(vmwrite_error(vmcs_field::guest_cr0, c), std::nullopt);
  EXPECT_EQ(vmread_error(vmcs_field::exit_reason, c), std::nullopt);
  EXPECT_EQ(number(VmInstructionError::vmwrite_read_only_component), 13u);
}

TEST(VmreadVmwrite, WidthAndHighAccess) {
  const ComponentRef cr0{*field_position(vmcs_field::guest_cr0), false};
  const ComponentRef ctl{*field_position(vmcs_field::pin_based_controls), false};
  const ComponentRef ept_hi{*field_position(vmcs_field::ept_pointer), true};
  EXPECT_EQ(write_component(ctl, 0, 0x1234567890ull), 0x34567890u);  // 32-bit field: bits 63:32 ignored
  EXPECT_EQ(write_component(ept_hi, 0x101e, 0xab), 0xab0000101eull);
  EXPECT_EQ(read_component(ept_hi, 0xab0000101eull), 0xabu);
  EXPECT_EQ(read_component(cr0, 0x80000031), 0x80000031u);
}

TEST(VmInstructionErrors, EveryNumberOfTable31_1) {
  // 31.4: numbers 1-13, 15-20, 22-26, 28 (14, 21 and 27 are not used).
  std::set<unsigned> numbers;
  for (const auto& e : kVmInstructionErrors) numbers.insert(number(e.error));
  const std::set<unsigned> expected = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17,
                                       18, 19, 20, 22, 23, 24, 25, 26, 28};
  EXPECT_EQ(numbers, expected);
}

}  // namespace
}  // namespace vtspec::spec::vmx
