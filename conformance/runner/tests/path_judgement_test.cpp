// The runner judges an observation on the path the target took: after it takes an
// acceptable outcome (a read served by a stale TLB entry, SDM Vol. 3A 4.10.4.3), later
// operations are allowed what that path allows (the entry stays cached), and after the
// valid outcome (a #PF, which invalidates the page's TLB entries, 4.10.4.1) they are not.
#include <gtest/gtest.h>

#include "conformance/runner/vector_judgement.hpp"
#include "vectors/format/model_evaluation.hpp"
#include "vectors/format/vector_file.hpp"

namespace vtspec::conformance {
namespace {

// Read 0x400000 (fills the TLB), clear the PTE's P flag without INVLPG, read twice more.
vectors::Vector stale_tlb_vector() {
  auto v = vectors::load_vector_text(R"(schema: vtspec/vector/1
vectors:
  - id: t/stale
    state:
      paging: { root: 0x1000, map: [ "map VA 0x400000 -> PA 0x20000, 4K, [P, RW, US, A, D]" ] }
      memory: [ { gpa: 0x20000, u64: 0x77 } ]
    entries: { pte: 0x4000 }
    operations:
      - { op: read, va: 0x400000, expect: ok }
      - { op: store_entry, entry: pte, value: 0x20066, expect: ok }
      - { op: read, va: 0x400000, expect: ok }
      - { op: read, va: 0x400000, expect: ok }
)",
                                     "t.yaml").at(0);
  const auto steps = vectors::evaluate_on_model(v);
  for (std::size_t i = 0; i < steps.size(); ++i) v.expectations[i] = steps[i].expectation;
  for (const auto& s : steps) v.notes.insert(s.notes.begin(), s.notes.end());
  return v;
}

Observation seen(model::Event e) {
  Observation o;
  o.ran = true;
  o.event = e;
  o.entries_after = {{0x4000, 0x20066}};
  return o;
}

TEST(PathJudgement, AfterAStaleReadTheEntryMayStillServe) {
  const auto v = stale_tlb_vector();
  VectorResult r;
  model::Event value = model::Event::completed();
  value.value = 0x77;
  r.observations = {seen(value), seen(model::Event::completed()), seen(value), seen(value)};
  r.observations[0].entries_after = {{0x4000, 0x20067}};
  VectorRecord record;
  judge(v, r, record);
  EXPECT_EQ(record.divergences, 0u) << record.details;
}

TEST(PathJudgement, AfterTheFaultTheStaleEntryIsGone) {
  const auto v = stale_tlb_vector();
  VectorResult r;
  model::Event value = model::Event::completed();
  value.value = 0x77;
  const model::Event fault = model::Event::exception(14, 0x0, 0x400000);  // not present, CPL 0 read
  r.observations = {seen(value), seen(model::Event::completed()), seen(fault), seen(value)};
  r.observations[0].entries_after = {{0x4000, 0x20067}};
  VectorRecord record;
  judge(v, r, record);
  ASSERT_EQ(record.divergent.size(), 1u) << record.details;
  EXPECT_EQ(record.divergent[0].operation, 3u);
}

}  // namespace
}  // namespace vtspec::conformance
