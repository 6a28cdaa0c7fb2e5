// The shipped worked-example states, loaded and translated by the model: the counts and
// addresses are the ones their descriptions derive from the SDM.
#include <gtest/gtest.h>

#include <string>

#include "model/translation.hpp"
#include "vectors/format/state_file.hpp"

namespace vtspec::vectors {
namespace {

std::string state_path(const char* name) { return std::string(VTSPEC_SOURCE_DIR) + "/vectors/states/" + name; }

model::Translation read_at(const model::MachineState& state, std::uint64_t linear, unsigned cpl) {
  model::AccessRequest request;
  request.linear = linear;
  request.kind = spec::AccessKind::read;
  request.cpl = cpl;
  return model::translate(state, request);
}

TEST(WorkedStates, TwoDimensionalFourByFourMakesTwentyFourReferences) {
  const auto state = load_state_file(state_path("two_dimensional_4k.yaml"));
  const auto t = read_at(state, 0x400123, 3);
  ASSERT_FALSE(t.allowed.empty());
  EXPECT_EQ(t.allowed[0].kind, model::OutcomeKind::translated);
  EXPECT_EQ(t.allowed[0].physical, 0x10020123u);  // GPA 0x20123 -> HPA 0x10000000 + 0x20123
  EXPECT_EQ(t.references, 24u);                   // 4 x (4 + 1) + 4
  EXPECT_EQ(t.trace.size(), 24u);
  EXPECT_TRUE(t.allowed[0].required.empty());     // every A flag is already set
}

TEST(WorkedStates, TwoDimensionalFiveByFiveMakesThirtyFiveReferences) {
  const auto state = load_state_file(state_path("two_dimensional_5level.yaml"));
  EXPECT_EQ(state.paging_levels(), 5u);
  EXPECT_EQ(state.ept_shape().levels, 5u);
  const auto t = read_at(state, 0x400123, 3);
  ASSERT_FALSE(t.allowed.empty());
  EXPECT_EQ(t.allowed[0].kind, model::OutcomeKind::translated);
  EXPECT_EQ(t.allowed[0].physical, 0x10020123u);
  EXPECT_EQ(t.references, 35u);                   // 5 x (5 + 1) + 5
  EXPECT_EQ(t.trace.size(), 35u);
}

TEST(WorkedStates, UnmappedAddressIsANotPresentPageFault) {
  // VA 0x600000 shares the PML4E/PDPTE but its PDE is empty: #PF, error code U/S only
  // (SDM Vol. 3A 4.7: P = 0, read, user), CR2 = the address.
  const auto state = load_state_file(state_path("two_dimensional_4k.yaml"));
  const auto t = read_at(state, 0x600000, 3);
  ASSERT_FALSE(t.allowed.empty());
  EXPECT_EQ(t.allowed[0].kind, model::OutcomeKind::page_fault);
  EXPECT_EQ(t.allowed[0].error_code, 0x4u);
  EXPECT_EQ(t.allowed[0].cr2, 0x600000u);
}

TEST(WorkedStates, EptViolationOnTheGuestPdpt) {
  // See the state's description: qualification 0xa1 = read | executable | linear-address valid.
  auto state = load_state_file(state_path("ept_violation_guest_pdpt.yaml"));
  auto t = read_at(state, 0x400000, 0);
  ASSERT_EQ(t.allowed.size(), 1u);
  EXPECT_EQ(t.allowed[0].kind, model::OutcomeKind::ept_violation);
  EXPECT_EQ(t.allowed[0].guest_physical, 0x1000u);
  EXPECT_EQ(t.allowed[0].qualification, 0xa1u);
  EXPECT_EQ(t.allowed[0].qualification_undefined, 0u);
  EXPECT_EQ(t.references, 9u);  // EPT walk + PML4E, then the EPT walk that faults

  // EPTP[6] = 1: the paging-structure read is a write for EPT; bits 0 and 1 both set.
  state.ept->eptp |= 1u << 6;
  t = read_at(state, 0x400000, 0);
  ASSERT_FALSE(t.allowed.empty());
  EXPECT_EQ(t.allowed[0].kind, model::OutcomeKind::ept_violation);
  EXPECT_EQ(t.allowed[0].qualification, 0xa3u);
}

}  // namespace
}  // namespace vtspec::vectors
