// Throughput of Processor::allowed() + apply() over long random operation sequences with a
// bounded TLB, as a fuzzing loop would drive it. Reports operations per second.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "model/tests/tlb_test_support.hpp"

namespace {

using namespace vtspec;
using namespace vtspec::model;
using namespace vtspec::model::testing;

// The measured loop: each operation is one allowed() (for accesses) plus one apply().
void run_sequence(benchmark::State& bench, Processor& m, const std::vector<Operation>& ops) {
  std::size_t i = 0;
  for (auto _ : bench) {
    const Operation& op = ops[i++ % ops.size()];
    if (op.kind == OperationKind::access) {
      const auto set = m.allowed(op.access);
      benchmark::DoNotOptimize(set.data());
      m.apply(op, &set.front());
    } else {
      m.apply(op);
    }
  }
  bench.SetItemsProcessed(static_cast<std::int64_t>(bench.iterations()));
  bench.counters["entries"] = static_cast<double>(m.tlb().entries().size());
}

void BM_TlbRandomSequence(benchmark::State& bench) {
  GuestBuilder g;
  g.state.regs.cr4 |= cr4::pge | cr4::pcide;
  constexpr unsigned kPages = 64;
  std::vector<std::uint64_t> ptes;
  for (unsigned i = 0; i < kPages; ++i)
    ptes.push_back(g.map4k(0x400000 + i * 0x1000, 0x100000 + i * 0x1000, i % 4 == 0 ? (P | RW | A | D | G) : (P | RW | US | A | D)));
  std::mt19937_64 rng(42);
  std::vector<Operation> ops;
  for (int i = 0; i < 100000; ++i) {
    const unsigned page = rng() % kPages;
    const std::uint64_t va = 0x400000 + page * 0x1000;
    switch (rng() % 10) {
      case 0: ops.push_back(store(ptes[page], (0x100000 + (rng() % kPages) * 0x1000) | P | RW | US | A | D)); break;
      case 1: ops.push_back(invlpg(va)); break;
      case 2: ops.push_back(with_value(OperationKind::mov_cr3, g.root | (rng() % 4) | (rng() % 2 ? std::uint64_t{1} << 63 : 0))); break;
      case 3: ops.push_back(invpcid(rng() % 4, rng() % 4, va)); break;
      default: ops.push_back(access_op(va, rng() % 3 ? spec::AccessKind::read : spec::AccessKind::write)); break;
    }
  }
  Processor m(g.state, {}, {.capacity = static_cast<std::size_t>(bench.range(0))});
  run_sequence(bench, m, ops);
}
BENCHMARK(BM_TlbRandomSequence)->Arg(16)->Arg(64);

// The same under EPT (VPID 1, EPT A/D on): accesses are two-dimensional walks, guest PTE
// stores go through EPT, and the VMM re-points EPT leaves of data pages without INVEPT, so
// cached guest-physical mappings and combined entries go stale and allowed() enumerates them.
void BM_TlbRandomSequenceEpt(benchmark::State& bench) {
  constexpr std::uint64_t kEptRoot = 0x800000;
  GuestBuilder g(true, kEptRoot);
  g.state.ept->eptp |= 1u << 6;
  const std::uint64_t eptp = g.state.ept->eptp;
  constexpr unsigned kPages = 64;
  std::vector<std::uint64_t> ptes;
  for (unsigned i = 0; i < kPages; ++i)
    ptes.push_back(g.map4k(0x400000 + i * 0x1000, 0x40000 + i * 0x1000, P | RW | US | A | D));
  std::mt19937_64 rng(42);
  std::vector<Operation> ops;
  for (int i = 0; i < 100000; ++i) {
    const unsigned page = rng() % kPages;
    const std::uint64_t va = 0x400000 + page * 0x1000;
    switch (rng() % 12) {
      case 0: ops.push_back(store(ptes[page], (0x40000 + (rng() % kPages) * 0x1000) | P | RW | US | A | D)); break;
      case 1: ops.push_back(invlpg(va)); break;
      case 2: {
        const std::uint64_t gpa = 0x40000 + (rng() % kPages) * 0x1000;
        ops.push_back(op_of(OperationKind::vm_exit));
        ops.push_back(store(GuestBuilder::ept_pte_address(kEptRoot, gpa), (kEptOffset + gpa + (rng() % 2) * 0x100000) | kEptRwx));
        ops.push_back(vm_entry(1, eptp));
        break;
      }
      case 3: ops.push_back(invept(1, eptp)); break;
      case 4: ops.push_back(invvpid(1, 1)); break;
      default: ops.push_back(access_op(va, rng() % 3 ? spec::AccessKind::read : spec::AccessKind::write)); break;
    }
  }
  Processor m(g.state, VmxState{.non_root = true, .vpid = 1}, {.capacity = static_cast<std::size_t>(bench.range(0))});
  run_sequence(bench, m, ops);
}
BENCHMARK(BM_TlbRandomSequenceEpt)->Arg(16)->Arg(64);

}  // namespace

BENCHMARK_MAIN();
