// SDM Vol. 3C 25.6.3 worked cases of exception exiting: the exception bitmap, and for #PF
// the error-code mask/match that follows or reverses bit 14.
#include <gtest/gtest.h>

#include "spec/vmx/exception_exiting.hpp"

namespace vtspec::spec::vmx {
namespace {

bool exits(std::uint64_t bitmap, unsigned vector, std::uint64_t pfec = 0, std::uint64_t mask = 0, std::uint64_t match = 0) {
  return exception_causes_exit<Concrete>(bitmap, vector, pfec, mask, match);
}

TEST(ExceptionExiting, BitmapSelectsByVector) {
  // 26.2: "If the bit is 1, a VM exit occurs; if the bit is 0, the exception is delivered
  // normally through the guest IDT."
  EXPECT_TRUE(exits(bit_at(13), 13));
  EXPECT_FALSE(exits(bit_at(13), 6));
  EXPECT_TRUE(exits(0xffffffff, 31));
}

TEST(ExceptionExiting, PageFaultMaskMatch) {
  // 25.6.3: equality follows bit 14, inequality reverses it. "If software desires VM exits
  // on all page faults, it can set bit 14 in the exception bitmap to 1 and set the
  // page-fault error-code mask and match fields each to 00000000H."
  EXPECT_TRUE(exits(bit_at(14), 14, 0x7, 0, 0));
  // "If software desires VM exits on no page faults, it can set bit 14 to 1, the mask
  // field to 00000000H and the match field to FFFFFFFFH."
  EXPECT_FALSE(exits(bit_at(14), 14, 0x7, 0, 0xffffffff));
  // Exit only on write faults (error code bit 1) with bit 14 = 1, mask = match = 2.
  EXPECT_TRUE(exits(bit_at(14), 14, 0x3, 0x2, 0x2));
  EXPECT_FALSE(exits(bit_at(14), 14, 0x1, 0x2, 0x2));
  // Bit 14 clear: inequality reverses it, so the non-matching faults exit.
  EXPECT_TRUE(exits(0, 14, 0x1, 0x2, 0x2));
  EXPECT_FALSE(exits(0, 14, 0x3, 0x2, 0x2));
}

TEST(ExceptionExiting, InterruptionInformation) {
  // Table 25-19 layout: #PF (14), hardware exception (3), error code valid, valid.
  EXPECT_EQ(exit_interruption_information<Concrete>(14, true), 0x80000b0eu);
  EXPECT_EQ(exit_interruption_information<Concrete>(6, false), 0x80000306u);
}

}  // namespace
}  // namespace vtspec::spec::vmx
