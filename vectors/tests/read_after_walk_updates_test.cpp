// A read that reaches a paging-structure entry of its own walk (the page table mapped as a
// data page) returns the entry as the walk left it: the translation sets the accessed flag
// before the data access (SDM Vol. 3A 4.8), so the read sees A = 1. Found by `vtspec fuzz`
// on KVM (seed 1, case 830): the model returned the value from before the walk.
#include <gtest/gtest.h>

#include "vectors/format/model_evaluation.hpp"
#include "vectors/format/vector_file.hpp"

namespace vtspec::vectors {
namespace {

TEST(ReadAfterWalkUpdates, ReadOfItsOwnPteSeesTheAccessedFlagItsWalkSet) {
  // VA 0x401000 -> PTE at 0x5008 = 0x5043 (P, RW, D; A clear) -> page 0x5000, which is the
  // page table itself; offset 8 of that page is the PTE.
  const auto v = load_vector_text(R"(schema: vtspec/vector/1
vectors:
  - id: t/read-own-pte
    state:
      registers: { cr3: 0x1000 }
      memory:
        - { hpa: 0x1000, u64: 0x2027 }
        - { hpa: 0x2000, u64: 0x3027 }
        - { hpa: 0x3010, u64: 0x5027 }
        - { hpa: 0x5008, u64: 0x5043 }
    operations:
      - { op: read, va: 0x401008, cpl: 0, expect: ok }
)",
                                  "t.yaml").at(0);
  const auto steps = evaluate_on_model(v);
  ASSERT_EQ(steps.size(), 1u);
  ASSERT_FALSE(steps[0].expectation.outcomes.empty());
  const model::Event& valid = steps[0].expectation.outcomes[0].event;
  ASSERT_TRUE(valid.value.has_value());
  EXPECT_EQ(*valid.value, 0x5063u);  // 0x5043 | A (bit 5)
  for (const auto& o : steps[0].expectation.outcomes) {
    ASSERT_TRUE(o.event.value.has_value());
    EXPECT_NE(*o.event.value, 0x5043u) << "no outcome may read the PTE without the A flag its walk set";
  }
}

// The converse, found the same way (seed 7, case 2279): a write whose data lands on the
// low byte of a checked entry leaves the entry's A and D as the data has them, not as the
// walk set them, since the store comes after the translation (SDM Vol. 3A 4.8).
TEST(ReadAfterWalkUpdates, WriteOverItsOwnPteLeavesTheFlagsTheDataHas) {
  const auto v = load_vector_text(R"(schema: vtspec/vector/1
vectors:
  - id: t/write-own-pte
    state:
      registers: { cr3: 0x1000 }
      memory:
        - { hpa: 0x1000, u64: 0x2027 }
        - { hpa: 0x2000, u64: 0x3027 }
        - { hpa: 0x3010, u64: 0x5027 }
        - { hpa: 0x5008, u64: 0x5047 }
    entries: { pte: 0x5008 }
    operations:
      - { op: write, va: 0x401008, size: 4, cpl: 3, value: 0x9833d9ad, expect: ok }
)",
                                  "t.yaml").at(0);
  const auto steps = evaluate_on_model(v);
  ASSERT_EQ(steps.size(), 1u);
  ASSERT_FALSE(steps[0].expectation.outcomes.empty());
  const auto& entries = steps[0].expectation.outcomes[0].entries;
  ASSERT_EQ(entries.size(), 1u);
  // 0xad = 1010 1101: A (bit 5) set, D (bit 6) clear.
  EXPECT_EQ(entries[0].accessed, FlagExpectation::set);
  EXPECT_EQ(entries[0].dirty, FlagExpectation::clear);
  ASSERT_EQ(steps[0].entries_after.size(), 1u);
  EXPECT_EQ(steps[0].entries_after[0].second, 0x9833d9adu);
}

}  // namespace
}  // namespace vtspec::vectors
