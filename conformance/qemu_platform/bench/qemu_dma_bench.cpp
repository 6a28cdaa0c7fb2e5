// The cost of the pieces of a DMA vector on QEMU 7.2 TCG, by -icount shift (the argument):
//   MailboxRoundTrip  one MMIO read through the proxy (host → guest → host)
//   DmaCompleted      an 8-byte edu DMA that translates, with its fault-record read-back
//   DmaFaulted        the same DMA to a not-present page: the fault is recorded and cleared
//   DmaParallelInstances  one machine per thread (the DMAs/s counter sums the threads)
//   Boot              starting QEMU until the proxy answers
// edu completes a transfer on a 100 ms virtual-clock timer, so without -icount a DMA costs
// 100 ms of real time; with icount the proxy's polling advances virtual time itself.
#include <benchmark/benchmark.h>

#include <memory>

#include "conformance/qemu_platform/vtd_unit.hpp"

namespace q = vtspec::conformance::qemu;

namespace {

constexpr std::uint16_t kEdu = 4 << 3;

struct Platform {
  std::unique_ptr<q::Machine> machine;
  std::unique_ptr<q::VtdUnit> unit;
  explicit Platform(unsigned shift) {
    q::MachineConfig c;
    c.icount_shift = shift;
    c.devices = {"intel-iommu,aw-bits=39", "edu,addr=0x4,dma_mask=0xffffffffffffffff"};
    machine = std::make_unique<q::Machine>(c);
    unit = std::make_unique<q::VtdUnit>(*machine, std::vector<std::uint16_t>{kEdu});
    // Root → context (AW 39, DID 1) → three levels mapping iova 0 to 0x300000 read/write.
    machine->write_ram64(0x100000, 0x101000 | 1);
    machine->write_ram64(0x101000 + kEdu * 16, 0x102000 | 1);
    machine->write_ram64(0x101000 + kEdu * 16 + 8, 1 | (1 << 8));
    machine->write_ram64(0x102000, 0x103000 | 3);
    machine->write_ram64(0x103000, 0x104000 | 3);
    machine->write_ram64(0x104000, 0x300000 | 3);
    unit->set_root_table(0x100000);
    unit->invalidate_context(q::ContextInvalidation::global);
    unit->invalidate_iotlb(q::IotlbInvalidation::global);
    unit->set_translation(true);
  }
};

void MailboxRoundTrip(benchmark::State& state) {
  Platform p(static_cast<unsigned>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(p.machine->run_one(q::read_command(q::kDmarBase + q::dmar::kGsts, 4)));
}

void DmaCompleted(benchmark::State& state) {
  Platform p(static_cast<unsigned>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(p.unit->dma(kEdu, 0x0, 8, true));
  state.counters["DMAs/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void DmaFaulted(benchmark::State& state) {
  Platform p(static_cast<unsigned>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(p.unit->dma(kEdu, 0x5000, 8, true));
  state.counters["DMAs/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// One machine per thread: machines share nothing, so instances scale with cores.
void DmaParallelInstances(benchmark::State& state) {
  Platform p(10);
  for (auto _ : state) benchmark::DoNotOptimize(p.unit->dma(kEdu, 0x0, 8, true));
  state.counters["DMAs/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void Boot(benchmark::State& state) {
  for (auto _ : state) Platform p(10);
}

}  // namespace

BENCHMARK(MailboxRoundTrip)->Arg(10)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(DmaCompleted)->Arg(0)->Arg(6)->Arg(8)->Arg(10)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(DmaFaulted)->Arg(10)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(DmaParallelInstances)->Threads(1)->Threads(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(Boot)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);
BENCHMARK_MAIN();
