// Throughput of the KVM target (Google Benchmark): vectors per second for a synthetic
// permission matrix, one access per vector (as the corpus is), and the same accesses
// batched many per vector (one KVM_RUN). Run: build/<dir>/conformance/targets/bench/vtspec_kvm_target_bench
#include <benchmark/benchmark.h>

#include <vector>

#include "conformance/targets/kvm_target.hpp"
#include "conformance/targets/tests/vector_builder.hpp"

namespace vtspec::conformance {
namespace {

using testing::VectorBuilder;
using namespace testing;

// PTE flags {P, RW, US, XD} x CR0.WP x CR4.SMEP x CR4.SMAP x RFLAGS.AC x EFER.NXE x
// {read, write, fetch} x CPL {0, 3}: 3072 single-access vectors.
std::vector<vectors::Vector> permission_matrix() {
  std::vector<vectors::Vector> out;
  for (unsigned pte = 0; pte < 16; ++pte)
    for (unsigned control = 0; control < 32; ++control)
      for (unsigned kind = 0; kind < 3; ++kind)
        for (unsigned cpl : {0u, 3u}) {
          VectorBuilder b("perm");
          auto& regs = b.state().regs;
          if (!(control & 1)) regs.cr0 &= ~model::cr0::wp;
          if (control & 2) regs.cr4 |= model::cr4::smep;
          if (control & 4) regs.cr4 |= model::cr4::smap;
          if (control & 8) regs.rflags |= model::rflags::ac;
          if (!(control & 16)) regs.efer &= ~model::efer::nxe;
          std::uint64_t flags = ((pte & 1) ? P : 0) | ((pte & 2) ? RW : 0) | ((pte & 4) ? US : 0) |
                                ((pte & 8) && (control & 16) ? XD : 0);
          b.map(0, 0x10000, flags).poke(0x10000, 1, 0xc3).check("pte", VectorBuilder::pte_address(0));
          b.access(VectorBuilder::linear(0), static_cast<spec::AccessKind>(kind), cpl, 8, 0x55);
          out.push_back(b.build());
        }
  return out;
}

void BM_KvmPermissionMatrixOneVectorPerAccess(benchmark::State& state) {
  auto target = make_kvm_target();
  if (auto reason = target->capabilities().unavailable; !reason.empty()) {
    state.SkipWithError(reason.c_str());
    return;
  }
  auto vectors = permission_matrix();
  std::size_t done = 0, errors = 0;
  for (auto _ : state) {
    auto result = target->run(vectors[done++ % vectors.size()]);
    errors += result.status != VectorResult::Status::ran;
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(done));
  state.counters["vectors_per_s"] = benchmark::Counter(static_cast<double>(done), benchmark::Counter::kIsRate);
  state.counters["not_ran"] = static_cast<double>(errors);
}
BENCHMARK(BM_KvmPermissionMatrixOneVectorPerAccess)->Unit(benchmark::kMicrosecond);

// The same 96 accesses per control setting in one vector: the cost per access when the
// VM does not leave the guest between operations.
void BM_KvmAccessesBatchedInOneVector(benchmark::State& state) {
  auto target = make_kvm_target();
  if (auto reason = target->capabilities().unavailable; !reason.empty()) {
    state.SkipWithError(reason.c_str());
    return;
  }
  VectorBuilder b("batch");
  b.state().regs.cr4 |= model::cr4::smep | model::cr4::smap;
  for (unsigned pte = 0; pte < 16; ++pte) b.map(pte, 0x10000, ((pte & 1) ? P : 0) | ((pte & 2) ? RW : 0) | ((pte & 4) ? US : 0) | ((pte & 8) ? XD : 0));
  b.poke(0x10000, 1, 0xc3);
  for (unsigned pte = 0; pte < 16; ++pte)
    for (unsigned kind = 0; kind < 3; ++kind)
      for (unsigned cpl : {0u, 3u}) b.access(VectorBuilder::linear(pte), static_cast<spec::AccessKind>(kind), cpl, 8, 0x55);
  auto vector = b.build();
  std::size_t accesses = 0;
  for (auto _ : state) {
    auto result = target->run(vector);
    if (result.status != VectorResult::Status::ran) {
      state.SkipWithError(result.reason.c_str());
      return;
    }
    accesses += vector.operations.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(accesses));
  state.counters["accesses_per_s"] = benchmark::Counter(static_cast<double>(accesses), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_KvmAccessesBatchedInOneVector)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace vtspec::conformance

BENCHMARK_MAIN();
