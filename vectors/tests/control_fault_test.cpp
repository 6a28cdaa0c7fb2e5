// MOV to CR0/CR3/CR4 and INVPCID on the model: a failing check of
// spec/control_register_checks.hpp makes the operation #GP(0) and leaves the state as it
// was. Expected outcomes from SDM Vol. 2B (MOV-Move to/from Control Registers, INVPCID).
#include <gtest/gtest.h>

#include "vectors/format/model_evaluation.hpp"

namespace vtspec::vectors {
namespace {

using model::Operation;
using model::OperationKind;

Operation op(OperationKind kind, std::uint64_t value) {
  Operation o;
  o.kind = kind;
  o.value = value;
  return o;
}

// Runs `first`, then a MOV to CR4 that is valid only if `first` did not take effect: with
// CR3[11:0] = 0 setting CR4.PCIDE is allowed (Vol. 3A 4.10.1).
std::vector<ModelStep> run(const Operation& first) {
  Vector v;
  v.initial.regs.cr3 = 0x1000;
  v.operations = {first, op(OperationKind::mov_cr4, model::cr4::pae | model::cr4::pcide)};
  return evaluate_on_model(v);
}

void expect_general_protection(const ModelStep& step) {
  ASSERT_EQ(step.expectation.outcomes.size(), 1u);
  const ExpectedOutcome& o = step.expectation.outcomes[0];
  EXPECT_EQ(o.event, model::Event::exception(13, 0));  // #GP(0)
}

void expect_completed(const ModelStep& step) {
  ASSERT_EQ(step.expectation.outcomes.size(), 1u);
  EXPECT_EQ(step.expectation.outcomes[0].event.kind, model::EventKind::completed);
}

TEST(ControlFault, ClearingPagingIn64BitModeFaults) {
  // 64-Bit Mode Exceptions of MOV: "Attempting to clear CR0.PG".
  const auto steps = run(op(OperationKind::mov_cr0, model::cr0::pe | model::cr0::wp));
  ASSERT_EQ(steps.size(), 2u);
  expect_general_protection(steps[0]);
  expect_completed(steps[1]);
}

TEST(ControlFault, ClearingWriteProtectIsAllowed) {
  // Without CR4.CET, CR0.WP may be cleared (Vol. 3A 2.5).
  const auto steps = run(op(OperationKind::mov_cr0, model::cr0::pe | model::cr0::pg));
  ASSERT_EQ(steps.size(), 2u);
  expect_completed(steps[0]);
}

TEST(ControlFault, AFaultingMovToCr3LeavesCr3Unchanged) {
  // CR3 bit 50 is above MAXPHYADDR (36 by default): reserved, #GP(0). Had the MOV taken
  // effect, CR3[11:0] = 0x001 would make the following PCIDE 0 -> 1 fault (4.10.1).
  const auto steps = run(op(OperationKind::mov_cr3, (1ull << 50) | 0x1001));
  ASSERT_EQ(steps.size(), 2u);
  expect_general_protection(steps[0]);
  expect_completed(steps[1]);
  // The same MOV without the reserved bit takes effect, and the MOV to CR4 then faults.
  const auto valid = run(op(OperationKind::mov_cr3, 0x1001));
  ASSERT_EQ(valid.size(), 2u);
  expect_completed(valid[0]);
  expect_general_protection(valid[1]);
}

TEST(ControlFault, InvpcidTypeAbove3Faults) {
  Operation o;
  o.kind = OperationKind::invpcid;
  o.type = 4;
  const auto steps = run(o);
  ASSERT_EQ(steps.size(), 2u);
  expect_general_protection(steps[0]);
}

}  // namespace
}  // namespace vtspec::vectors
