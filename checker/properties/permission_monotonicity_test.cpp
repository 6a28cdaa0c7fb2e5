// Taking a permission away never turns a fault into a success (SDM Vol. 3A 4.6, Vol. 3C
// 29.3.3.2: every rights check is a conjunction over the entries used). For one entry the
// walk read, chosen at random, the property removes one permission and walks again:
//   guest entries: clear R/W; clear P; set XD (adding execute-disable); clear U/S - the last
//     only for user-mode accesses, because for supervisor-mode accesses U/S = 1 *restricts*
//     (SMAP, SMEP, PKRU apply to user-mode addresses), so clearing it may legitimately
//     turn a #PF into a success;
//   EPT entries: clear R, W, X or XU.
// One exception, architectural and checked as such: bits 2:0 = 010b or 110b (write without
// read) are an EPT misconfiguration (29.3.3.1), and clearing W leaves 000b or 100b, which is
// not; so clearing W from such an entry may turn a misconfiguration into a success.
#include <gtest/gtest.h>
// rapidcheck's gtest integration needs gtest declared first.
#include <rapidcheck/gtest.h>

#include <vector>

#include "checker/properties/random_walk_inputs.hpp"
#include "spec/two_dimensional_walk.hpp"

namespace vtspec::checker {
namespace {

using spec::Concrete;

struct Change {
  std::uint64_t clear = 0;
  std::uint64_t set = 0;
  std::uint64_t apply(std::uint64_t entry) const { return (entry & ~clear) | set; }
};

std::ostream& operator<<(std::ostream& os, const Change& c) {
  return os << std::hex << "clear " << c.clear << " set " << c.set << std::dec;
}

rc::Gen<Change> gen_guest_change(bool user_access) {
  std::vector<Change> changes = {{1ull << 1, 0}, {1ull << 0, 0}, {0, 1ull << 63}};
  if (user_access) changes.push_back({1ull << 2, 0});
  return full_size(rc::gen::elementOf(changes));
}

rc::Gen<Change> gen_ept_change() {
  return full_size(rc::gen::element(Change{1ull << 0, 0}, Change{1ull << 1, 0}, Change{1ull << 2, 0}, Change{1ull << 10, 0}));
}

// The one way removing a permission may cure a fault: W cleared from a write-without-read
// EPT entry.
bool cures_write_without_read(const Change& change, std::uint64_t entry) {
  return change.clear == (1ull << 1) && (entry & 3) == 2;
}

struct Recorder {
  std::vector<spec::Reference> refs;
  void on_reference(const spec::Reference& r) { refs.push_back(r); }
};

RC_GTEST_PROP(PermissionMonotonicity, GuestPagingWalk, ()) {
  const RandomPools pools = *gen_pools();
  const GuestInputs in = *gen_guest_inputs();
  RandomMemory memory{pools, {}, {}};
  spec::NoObserver none;
  spec::DirectPort<Concrete, RandomMemory> port{memory, none};
  const auto walk = [&] {
    return spec::walk_paging<Concrete>(in.shape, in.ctl, in.cr3, in.linear, in.access(), port, in.policy());
  };
  const auto before = walk();

  std::vector<unsigned> read_levels;
  for (unsigned level = 1; level <= in.shape.levels; ++level)
    if (before.read[level]) read_levels.push_back(level);
  const unsigned level = *full_size(rc::gen::elementOf(read_levels));
  const Change change = *gen_guest_change(in.access().user);
  memory.overrides[before.entry_address[level]] = change.apply(before.entry[level]);
  const auto after = walk();

  RC_CLASSIFY(before.translated, "translated before");
  RC_CLASSIFY(before.translated && !after.translated, "fault after");
  RC_ASSERT(!after.translated || before.translated);
}

RC_GTEST_PROP(PermissionMonotonicity, EptWalk, ()) {
  const RandomPools pools = *gen_pools();
  const EptInputs ept = *gen_ept_inputs();
  const auto access = (*gen_ept_access()).access;
  const std::uint64_t gpa = *gen_guest_physical();
  RandomMemory memory{pools, {}, {}};
  const auto before = spec::walk_ept<Concrete>(ept.shape, ept.eptp, gpa, access, memory);

  std::vector<unsigned> read_levels;
  for (unsigned level = 1; level <= ept.shape.levels; ++level)
    if (before.read[level]) read_levels.push_back(level);
  const unsigned level = *full_size(rc::gen::elementOf(read_levels));
  const Change change = *gen_ept_change();
  memory.overrides[before.entry_address[level]] = change.apply(before.entry[level]);
  const auto after = spec::walk_ept<Concrete>(ept.shape, ept.eptp, gpa, access, memory);
  const bool cured = cures_write_without_read(change, before.entry[level]);
  RC_CLASSIFY(before.translated, "translated before");
  RC_CLASSIFY(before.translated && !after.translated, "fault after");
  RC_CLASSIFY(cured && after.translated, "misconfiguration cured");
  RC_ASSERT(!after.translated || before.translated || (cured && before.misconfig));
}

RC_GTEST_PROP(PermissionMonotonicity, TwoDimensionalWalk, ()) {
  const RandomPools pools = *gen_pools();
  const GuestInputs in = *gen_guest_inputs();
  EptInputs ept = *gen_ept_inputs();
  ept.shape.caps.maxphyaddr = in.shape.maxphyaddr;
  RandomMemory memory{pools, {}, {}};
  Recorder recorder;
  const auto walk = [&] {
    recorder.refs.clear();
    return spec::walk_two_dimensional<Concrete>(in.shape, ept.shape, in.ctl, ept.eptp, in.cr3, in.linear, in.access(),
                                                memory, recorder, in.policy());
  };
  const auto before = walk();
  RC_ASSERT(!recorder.refs.empty());

  // Any entry the walk read, guest or EPT.
  const spec::Reference ref = *full_size(rc::gen::elementOf(recorder.refs));
  const bool ept_entry = ref.kind == spec::ReferenceKind::ept_entry;
  const Change change = ept_entry ? *gen_ept_change() : *gen_guest_change(in.access().user);
  memory.overrides[ref.physical] = change.apply(ref.value);
  const auto after = walk();

  const bool cured = ept_entry && cures_write_without_read(change, ref.value);
  RC_CLASSIFY(ept_entry, "EPT entry changed");
  RC_CLASSIFY(before.translated, "translated before");
  RC_CLASSIFY(before.translated && !after.translated, "fault after");
  RC_CLASSIFY(cured && after.translated, "misconfiguration cured");
  RC_ASSERT(!after.translated || before.translated || (cured && before.ept_misconfig));
}

}  // namespace
}  // namespace vtspec::checker
