// Throughput of the TLB-less walks on the model's physical memory: the 4-level guest walk,
// the EPT walk and the two-dimensional walk, each with the Concrete domain and no trace.
// Targets (one core): >= 10 million 4-level walks/s, >= 2 million 2D walks/s.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "model/physical_memory.hpp"
#include "model/translation.hpp"
#include "spec/two_dimensional_walk.hpp"

namespace vtspec::model {
namespace {

using spec::Concrete;

constexpr std::uint64_t kPages = 64;  // the walks cycle over this many 4-KByte pages
constexpr std::uint64_t kGuestUpper = 0x27, kGuestLeaf = 0x67;  // P RW US A (+ D)
constexpr std::uint64_t kEptUpper = 0x107, kEptLeaf = 0x337;    // RWX A (+ WB D)

// A 4-level table chain at `root` mapping `pages` pages from address `base` to frames
// starting at `target`; `store` writes one entry.
template <class Store>
void map_pages(Store&& store, std::uint64_t root, std::uint64_t tables, std::uint64_t base, std::uint64_t target,
               std::uint64_t upper, std::uint64_t leaf, std::uint64_t pages = kPages) {
  // One table per level below the root: PDPT, PD, PT at tables, +0x1000, +0x2000.
  const std::uint64_t pdpt = tables, pd = tables + 0x1000, pt = tables + 0x2000;
  store(root + ((base >> 39) & 511) * 8, pdpt | upper);
  store(pdpt + ((base >> 30) & 511) * 8, pd | upper);
  store(pd + ((base >> 21) & 511) * 8, pt | upper);
  for (std::uint64_t i = 0; i < pages; ++i) store(pt + (((base >> 12) + i) & 511) * 8, (target + i * 0x1000) | leaf);
}

constexpr std::uint64_t kLinearBase = 0x7f12'3440'0000;

std::vector<std::uint64_t> linear_addresses() {
  std::vector<std::uint64_t> out;
  for (std::uint64_t i = 0; i < kPages; ++i) out.push_back(kLinearBase + i * 0x1000 + (i * 40) % 0x1000);
  return out;
}

void BM_GuestWalk4Level(benchmark::State& state) {
  PhysicalMemory memory;
  map_pages([&](std::uint64_t a, std::uint64_t v) { memory.write64(a, v); }, 0x1000, 0x2000, kLinearBase, 0x100000,
            kGuestUpper, kGuestLeaf);
  const spec::PagingShape shape;
  const spec::PagingControl<Concrete> ctl;
  const auto access = spec::Access<Concrete>::make(spec::AccessKind::read, 3);
  const auto linear = linear_addresses();
  spec::NoObserver none;
  spec::DirectPort<Concrete, const PhysicalMemory> port{memory, none};
  std::size_t i = 0;
  for (auto _ : state) {
    const auto w = spec::walk_paging<Concrete>(shape, ctl, 0x1000, linear[i++ % kPages], access, port);
    benchmark::DoNotOptimize(w.physical);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GuestWalk4Level);

// EPT tables at host 0x800000; guest-physical pages [0, 2 * kPages) map to host 0x1000000 + n * 4K.
constexpr std::uint64_t kEptRoot = 0x800000;
constexpr std::uint64_t kEptp = kEptRoot | 6 | (3 << 3);

void map_ept(PhysicalMemory& memory) {
  map_pages([&](std::uint64_t a, std::uint64_t v) { memory.write64(a, v); }, kEptRoot, kEptRoot + 0x1000, 0,
            0x1000000, kEptUpper, kEptLeaf, 2 * kPages);
}

void BM_EptWalk4Level(benchmark::State& state) {
  PhysicalMemory memory;
  map_ept(memory);
  spec::EptShape shape;
  const spec::EptAccess<Concrete> access;  // a read of the final translation
  std::size_t i = 0;
  for (auto _ : state) {
    const std::uint64_t gpa = (i++ % kPages) * 0x1000 + 0x123;
    const auto w = spec::walk_ept<Concrete>(shape, kEptp, gpa, access, memory);
    benchmark::DoNotOptimize(w.physical);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EptWalk4Level);

// The guest tables live at guest-physical 0x1000.. (pages 1-4 of the EPT mapping) and map
// the linear pages to guest-physical pages 8.. .
void map_two_dimensional(PhysicalMemory& memory) {
  map_ept(memory);
  const auto store_guest = [&](std::uint64_t gpa, std::uint64_t v) { memory.write64(0x1000000 + gpa, v); };
  map_pages(store_guest, 0x1000, 0x2000, kLinearBase, 0x8000, kGuestUpper, kGuestLeaf);
}

void BM_TwoDimensionalWalk4x4(benchmark::State& state) {
  PhysicalMemory memory;
  map_two_dimensional(memory);
  const spec::PagingShape guest_shape;
  const spec::EptShape ept_shape;
  const spec::PagingControl<Concrete> ctl;
  const auto access = spec::Access<Concrete>::make(spec::AccessKind::read, 3);
  const auto linear = linear_addresses();
  spec::NoObserver none;
  std::size_t i = 0;
  for (auto _ : state) {
    const auto w = spec::walk_two_dimensional<Concrete>(guest_shape, ept_shape, ctl, kEptp, 0x1000, linear[i++ % kPages],
                                                        access, memory, none);
    if (!w.translated) state.SkipWithError("the benchmark's 2D walk did not translate");
    benchmark::DoNotOptimize(w.physical);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TwoDimensionalWalk4x4);

// For scale: the model's full answer (every allowed outcome plus the trace) for the same 2D
// access, as `vtspec walk` and the conformance runner compute it.
void BM_ModelTranslate2D(benchmark::State& state) {
  MachineState machine;
  machine.regs.cr3 = 0x1000;
  machine.ept = EptSettings{kEptp, {}};
  map_two_dimensional(machine.memory);
  const auto linear = linear_addresses();
  std::size_t i = 0;
  for (auto _ : state) {
    AccessRequest request;
    request.linear = linear[i++ % kPages];
    request.cpl = 3;
    const Translation t = translate(machine, request);
    benchmark::DoNotOptimize(t.allowed.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ModelTranslate2D);

}  // namespace
}  // namespace vtspec::model

BENCHMARK_MAIN();
