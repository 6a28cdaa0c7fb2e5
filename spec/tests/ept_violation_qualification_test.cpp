// The exit qualification for EPT violations, SDM Vol. 3C Table 28-7, from a walk result
// and the origin of the access; every expected value is worked from the table's bit list.
// (The walks' own hand-worked qualifications are in ept_walk_test.cpp and
// two_dimensional_walk_test.cpp, which go through this rule too.)
#include <gtest/gtest.h>

#include "spec/ept_violation_qualification.hpp"
#include "spec/tests/test_memory.hpp"

namespace vtspec::spec {
namespace {

using namespace sdm;

// Table 28-7 bits 9-11 (advanced information on the linear address).
constexpr std::uint64_t kLinearUser = 1ull << 9, kLinearWritable = 1ull << 10, kLinearXd = 1ull << 11;

// A violation as the walk reports it: a write refused by entries granting read and execute.
EptWalk<Concrete> write_to_read_execute_page() {
  EptAccess<Concrete> access;
  access.read = false;
  access.write = true;
  EptWalk<Concrete> w(access);
  w.violation = true;
  w.rights.readable = true;
  w.rights.writable = false;
  w.rights.executable = true;
  w.rights.user_executable = false;
  return w;
}

TEST(EptViolationQualification, FinalTranslationWithoutAdvancedInformation) {
  // Bits 1 (write), 3 (readable), 5 (executable), 7 (linear address valid), 8 (access to the
  // final translation): 0x1aa. Bits 11:9 are 0 without IA32_VMX_EPT_VPID_CAP[22].
  EptCapabilities caps;
  caps.advanced_exit_info = false;
  EptAccessOrigin<Concrete> origin;
  origin.linear_writable = true;
  const auto q = ept_violation_qualification<Concrete>(caps, write_to_read_execute_page(), origin);
  EXPECT_EQ(q.value, qual::write | qual::readable | qual::executable | qual::linear_valid | qual::final_translation);
  EXPECT_EQ(q.undefined, 0u);
}

TEST(EptViolationQualification, AdvancedInformationReportsTheLinearTranslation) {
  // With the capability and bit 8 set: bit 9 U/S (user), bit 10 R/W (writable), bit 11 XD
  // (clear here): 0x1aa | 0x200 | 0x400 = 0x7aa.
  EptCapabilities caps;
  caps.advanced_exit_info = true;
  auto w = write_to_read_execute_page();
  w.access.linear_user = true;
  EptAccessOrigin<Concrete> origin;
  origin.linear_writable = true;
  const auto q = ept_violation_qualification<Concrete>(caps, w, origin);
  EXPECT_EQ(q.value, 0x7aau);
  EXPECT_EQ(q.value, qual::write | qual::readable | qual::executable | qual::linear_valid | qual::final_translation |
                         kLinearUser | kLinearWritable);
  EXPECT_EQ(q.undefined, 0u);
  origin.linear_exec_disabled = true;
  EXPECT_EQ(ept_violation_qualification<Concrete>(caps, w, origin).value & kLinearXd, kLinearXd);
}

TEST(EptViolationQualification, PagingStructureAccessLeavesBits11To9Open) {
  // Bit 8 clear (an access to a guest paging-structure entry): bits 11:9 are undefined.
  EptCapabilities caps;
  caps.advanced_exit_info = true;
  EptAccessOrigin<Concrete> origin;
  origin.to_final_translation = false;
  const auto q = ept_violation_qualification<Concrete>(caps, write_to_read_execute_page(), origin);
  EXPECT_EQ(q.value, qual::write | qual::readable | qual::executable | qual::linear_valid);  // 0xaa
  EXPECT_EQ(q.undefined, kLinearUser | kLinearWritable | kLinearXd);                      // 0xe00
}

TEST(EptViolationQualification, WithoutAValidLinearAddressBits7And8AreClear) {
  // Bit 7 clear: no guest linear address; bit 8 is reported only with bit 7.
  EptCapabilities caps;
  EptAccessOrigin<Concrete> origin;
  origin.linear_valid = false;
  const auto q = ept_violation_qualification<Concrete>(caps, write_to_read_execute_page(), origin);
  EXPECT_EQ(q.value, qual::write | qual::readable | qual::executable);  // 0x2a
}

TEST(EptViolationQualification, LockedReadModifyWriteLeavesBit0Open) {
  // Note to bit 0: for a guest A/D update without EPT A/D (a locked read-modify-write) bit
  // 1 is set and bit 0 is implementation-specific.
  EptCapabilities caps;
  auto w = write_to_read_execute_page();
  w.access.read = true;
  EptAccessOrigin<Concrete> origin;
  origin.to_final_translation = false;
  origin.read_modify_write = true;
  const auto q = ept_violation_qualification<Concrete>(caps, w, origin);
  EXPECT_EQ(q.undefined, qual::read);
  EXPECT_EQ(q.value & ~qual::read, qual::write | qual::readable | qual::executable | qual::linear_valid);
}

TEST(EptViolationQualification, Bit6OnlyWithModeBasedExecute) {
  // Bit 6 is the AND of bit 10 over the entries, and 0 when mode-based execute is off.
  auto w = write_to_read_execute_page();
  w.rights.user_executable = true;
  EptCapabilities caps;
  caps.mode_based_execute = false;
  EXPECT_EQ(ept_violation_qualification<Concrete>(caps, w, {}).value & qual::user_exec, 0u);
  caps.mode_based_execute = true;
  EXPECT_EQ(ept_violation_qualification<Concrete>(caps, w, {}).value & qual::user_exec, qual::user_exec);
}

TEST(EptViolationQualification, NoViolationNoQualification) {
  auto w = write_to_read_execute_page();
  w.violation = false;
  w.misconfig = true;  // an EPT misconfiguration has no exit qualification (Table 28-7 is for violations)
  EptAccessOrigin<Concrete> origin;
  origin.read_modify_write = true;
  const auto q = ept_violation_qualification<Concrete>(EptCapabilities{}, w, origin);
  EXPECT_EQ(q.value, 0u);
  EXPECT_EQ(q.undefined, 0u);
}

}  // namespace
}  // namespace vtspec::spec
