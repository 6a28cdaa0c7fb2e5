// The SVM intercepts memory virtualization needs and the VMCB clean bits, against the AMD64
// APM Vol. 2 text: Table B-1 bit positions, Appendix C exit codes, 15.12.15 (#PF: EXITINFO1 =
// error code, EXITINFO2 = faulting address), 15.14 (VMMCALL without its intercept is #UD),
// 15.15.3 (clean bits are ignored for another VMCB). Values written out here by hand.
#include <gtest/gtest.h>

#include "spec/svm/intercepts.hpp"
#include "spec/svm/vmcb_clean_bits.hpp"

namespace vtspec::spec::svm {
namespace {

TEST(SvmIntercepts, PageFaultExitCarriesErrorCodeAndAddress) {
  InterceptVectors v;
  v.exceptions = 1u << 14;
  const auto o = intercept_of(v, GuestEvent::exception, 14, 0x7, 0x8080604000);
  EXPECT_TRUE(o.exits);
  EXPECT_EQ(o.exit_code, 0x4eu);
  EXPECT_EQ(o.exit_info1, 0x7u);
  EXPECT_EQ(o.exit_info2, 0x8080604000u);
  EXPECT_FALSE(intercept_of(v, GuestEvent::exception, 13, 0).exits);  // #GP not intercepted
}

TEST(SvmIntercepts, ControlRegisterAccessesByNumber) {
  InterceptVectors v;
  v.cr_read = 1u << 3;                 // CR3 reads
  v.cr_write = (1u << 0) | (1u << 4);  // CR0 and CR4 writes
  EXPECT_EQ(intercept_of(v, GuestEvent::cr_read, 3).exit_code, 0x03u);
  EXPECT_TRUE(intercept_of(v, GuestEvent::cr_read, 3).exits);
  EXPECT_FALSE(intercept_of(v, GuestEvent::cr_write, 3).exits);
  EXPECT_EQ(intercept_of(v, GuestEvent::cr_write, 4).exit_code, 0x14u);
  EXPECT_TRUE(intercept_of(v, GuestEvent::cr_write, 0).exits);
  EXPECT_FALSE(intercept_of(v, GuestEvent::cr_write, 0).exit_info1.has_value());  // needs decode assists
}

TEST(SvmIntercepts, InstructionIntercepts) {
  InterceptVectors v;
  v.misc1 = (1u << 24) | (1u << 25) | (1u << 26) | (1u << 31);  // HLT, INVLPG, INVLPGA, shutdown
  v.misc2 = 1u << 0;                                             // VMRUN
  EXPECT_EQ(intercept_of(v, GuestEvent::hlt).exit_code, 0x78u);
  EXPECT_EQ(intercept_of(v, GuestEvent::invlpg).exit_code, 0x79u);
  EXPECT_EQ(intercept_of(v, GuestEvent::invlpga).exit_code, 0x7au);
  EXPECT_EQ(intercept_of(v, GuestEvent::shutdown).exit_code, 0x7fu);
  EXPECT_EQ(intercept_of(v, GuestEvent::vmrun).exit_code, 0x80u);
  for (auto e : {GuestEvent::hlt, GuestEvent::invlpg, GuestEvent::invlpga, GuestEvent::shutdown, GuestEvent::vmrun})
    EXPECT_TRUE(intercept_of(v, e).exits);
}

TEST(SvmIntercepts, VmmcallWithoutItsInterceptIsInvalidOpcode) {
  InterceptVectors v;
  const auto o = intercept_of(v, GuestEvent::vmmcall);
  EXPECT_FALSE(o.exits);
  EXPECT_EQ(o.guest_exception, 6u);
  v.misc2 = 1u << 1;
  EXPECT_EQ(intercept_of(v, GuestEvent::vmmcall).exit_code, 0x81u);
}

TEST(VmcbCleanBits, OnlyTheSameVmcbMayUseCachedFields) {
  const std::uint32_t np_clean = 1u << 4;
  EXPECT_TRUE(may_use_cached(CleanGroup::nested_paging, np_clean, true));
  EXPECT_FALSE(may_use_cached(CleanGroup::nested_paging, np_clean, false));
  EXPECT_FALSE(may_use_cached(CleanGroup::control_registers, np_clean, true));
  EXPECT_TRUE(may_use_cached(CleanGroup::control_registers, 1u << 5, true));
}

}  // namespace
}  // namespace vtspec::spec::svm
