#include "conformance/targets/kvm_execution.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstddef>
#include <cstring>

#include <fmt/format.h>

#include "conformance/harness/harness_image.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::conformance {

namespace {

using Clock = std::chrono::steady_clock;
using Exit = kvm::VcpuExit;

long micros_since(Clock::time_point t0) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
}

// Reset (conformance/harness/README.md): the host stages the vector's memory and the list of
// frames the previous vector left non-zero; the harness puts both in place with guest stores
// and flushes the TLB before the first operation. Only the harness's PML4 entry is written by
// the host, so that the harness can run at all; it has the same value in every top-level
// table of every vector. Returns an error, or empty.
std::string load(KvmHarnessVm& vm, const harness::EncodedVector& program, bool trace) {
  const auto t0 = Clock::now();
  auto window = vm.window();
  for (std::uint64_t table : program.top_tables)
    std::memcpy(window.data() + table + VT_HARNESS_PML4_INDEX * 8, &program.harness_pml4e, 8);
  const harness::StageResult stage =
      harness::stage_memory(program, vm.nonzero_frames(), window, vm.region().subspan(VT_STAGING_OFFSET, VT_STAGING_SIZE));
  if (!stage.error.empty()) return stage.error;
  std::uint8_t* const program_area = vm.region().data() + VT_PROGRAM_OFFSET;
  std::memcpy(program_area, program.program.data(), program.program.size());
  const auto store_count = static_cast<std::uint32_t>(stage.stores);
  std::memcpy(program_area + offsetof(vt_program_header, store_count), &store_count, sizeof store_count);
  std::memset(vm.region().data() + VT_RESULTS_OFFSET, 0, VT_RESULTS_FIRST + program.op_count * sizeof(vt_result));
  if (trace) std::fprintf(stderr, "[kvm] staged %zu stores: %ld us\n", stage.stores, micros_since(t0));
  return {};
}

}  // namespace

KvmExecution execute_on_kvm(KvmHarnessVm& vm, const harness::EncodedVector& program, const model::GuestRegisters& initial,
                            std::span<const model::Operation> operations, unsigned timeout_ms, bool trace) {
  KvmExecution execution;
  auto& problems = execution.problems;
  kvm::Vcpu& vcpu = vm.vcpu();
  try {
    if (std::string error = load(vm, program, trace); !error.empty()) {
      problems.push_back(error);
    } else if (!vm.boot(initial)) {
      problems.push_back(fmt::format("KVM_SET_SREGS rejected the initial state (CR0 {:#x}, CR4 {:#x}, EFER {:#x})",
                                     initial.cr0, initial.cr4, initial.efer));
    } else {
      auto start_at = [&](std::uint64_t first_op) {
        kvm_regs regs{};
        regs.rip = harness::guest_info().entry;
        regs.rsp = harness::guest_info().stack_top;
        regs.rdi = first_op;
        regs.rflags = program.rflags;
        vcpu.set_regs(regs);
      };
      start_at(0);
      unsigned mmio_exits = 0, recoveries = 0;
      for (bool finished = false; !finished;) {
        const auto run_start = Clock::now();
        const Exit exit = vcpu.run(timeout_ms);
        if (trace) std::fprintf(stderr, "[kvm] KVM_RUN %ld us\n", micros_since(run_start));
        vt_results_header header;
        std::memcpy(&header, vm.region().data() + VT_RESULTS_OFFSET, sizeof header);
        const std::uint32_t op = header.current_op;
        vt_result op_result{};
        if (op < program.op_count)
          std::memcpy(&op_result, vm.region().data() + VT_RESULTS_OFFSET + VT_RESULTS_FIRST + op * sizeof(vt_result),
                      sizeof op_result);
        // The operation is in progress only if the harness marked it started; otherwise the
        // exit came from the harness's own setup (loading memory, WRPKRU, ...).
        const bool in_operation = op < operations.size() && op_result.status == VT_STARTED;
        const std::string where = in_operation
                                      ? fmt::format("operation {} ({})", op, vectors::describe_operation(operations[op]))
                                      : "the harness's setup before the operations";
        switch (exit.kind) {
          case Exit::Kind::io:
            if (exit.port != VT_PORT_DONE)
              problems.push_back(exit.port == VT_PORT_FAILED ? fmt::format("harness failure {} during {}", exit.io_value, where)
                                                             : fmt::format("{} during {}", kvm::describe(exit), where));
            finished = true;
            break;
          case Exit::Kind::mmio:
            // Guest-physical memory outside every memory slot. Reads complete as zero, like
            // the model's unbacked memory; the vector is still reported, as its result is not
            // comparable to hardware with RAM there.
            if (++mmio_exits == 1)
              problems.push_back(fmt::format("{} at guest-physical {:#x} (outside the target's memory) during {}",
                                             exit.mmio_write ? "write" : "read", exit.address, where));
            if (!exit.mmio_write) vcpu.complete_mmio_read_zero();
            if (mmio_exits > 4096) {
              problems.push_back("too many MMIO exits; stopped");
              finished = true;
            }
            break;
          case Exit::Kind::internal_error: {
            // The operation could not be run (e.g. INVPCID is an emulation failure on some
            // backends): record it against the operation, and go on with the next one in a
            // re-entered harness (control registers as the guest left them).
            problems.push_back(fmt::format("{}: {}", where, kvm::describe(exit)));
            if (!in_operation || ++recoveries > program.op_count || op + 1 > program.op_count) {
              finished = true;
              break;
            }
            const kvm_sregs now = vcpu.sregs();
            model::GuestRegisters regs = initial;
            regs.cr0 = now.cr0;
            regs.cr3 = now.cr3;
            regs.cr4 = now.cr4;
            regs.efer = now.efer;
            vm.forget_sregs();
            if (!vcpu.try_set_sregs(vm.boot_sregs(regs))) {
              problems.push_back("could not restart the harness after the internal error");
              execution.vm_broken = true;
              finished = true;
              break;
            }
            start_at(op + 1);
            break;
          }
          default:
            problems.push_back(fmt::format("{}: {}", where, kvm::describe(exit)));
            execution.vm_broken = exit.kind == Exit::Kind::shutdown || exit.kind == Exit::Kind::fail_entry ||
                                  exit.kind == Exit::Kind::timeout || exit.kind == Exit::Kind::other;
            finished = true;
            break;
        }
      }
    }
    // The control registers the next vector may find as they are: only if nothing here could
    // have changed them (its operations, a recovery, a failure).
    const bool changes_control = std::any_of(operations.begin(), operations.end(), [](const model::Operation& op) {
      using K = model::OperationKind;
      return op.kind == K::mov_cr0 || op.kind == K::mov_cr3 || op.kind == K::mov_cr4 || op.kind == K::wrmsr_efer;
    });
    if (changes_control || !problems.empty()) vm.forget_sregs();
    const auto t0 = Clock::now();
    vm.refresh_nonzero_frames(program.top_tables);  // load() wrote their harness entry
    if (trace) std::fprintf(stderr, "[kvm] scan: %zu non-zero frames, %ld us\n", vm.nonzero_frames().size(), micros_since(t0));
    if (trace) {
      const kvm_sregs now = vcpu.sregs();
      std::fprintf(stderr, "[kvm] after run: CR0 %#llx CR3 %#llx CR4 %#llx EFER %#llx RIP %#llx\n",
                   (unsigned long long)now.cr0, (unsigned long long)now.cr3, (unsigned long long)now.cr4,
                   (unsigned long long)now.efer, (unsigned long long)vcpu.regs().rip);
    }
  } catch (const std::exception& e) {
    problems.push_back(fmt::format("KVM failure: {}", e.what()));
    execution.vm_broken = true;
    vm.forget_sregs();
  }
  execution.decoded = harness::decode(vm.region().subspan(VT_RESULTS_OFFSET, VT_RESULTS_SIZE), program.op_count, program.readback);
  if (!execution.decoded.failure.empty()) problems.push_back(execution.decoded.failure);
  return execution;
}

}  // namespace vtspec::conformance
