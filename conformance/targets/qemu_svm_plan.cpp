#include "conformance/targets/qemu_svm_plan.hpp"

#include <fmt/format.h>

#include "model/instruction_checks.hpp"
#include "model/operation_table.hpp"
#include "spec/svm/vmcb_layout.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::conformance::qemu_svm {

bool runs(const model::Operation& op) {
  switch (op.kind) {
    case model::OperationKind::access: return !op.access.implicit_supervisor;
    case model::OperationKind::invlpg:
    case model::OperationKind::store_entry:
    case model::OperationKind::invlpga:
    case model::OperationKind::vmrun: return true;
    default: return false;
  }
}

Encoded encode_vector(const vectors::Vector& v) {
  Encoded out;
  const model::MachineState& s = v.initial;
  if (!s.npt) {
    out.error = "not a guest under nested paging (the qemu-svm target runs vtspec/vector/3 npt: vectors)";
    return out;
  }
  if (s.regs.pkru || (s.regs.cr4 & spec::cr4::pke) || (s.regs.cr4 & spec::cr4::pks)) {
    out.error = "protection keys: VMRUN does not switch PKRU, and the L1 harness does not set one for the guest";
    return out;
  }
  Plan& plan = out.plan;
  plan.maxphyaddr = s.features.maxphyaddr;
  if (std::string why = l1::lay_out(s, l1::Vendor::amd, plan.layout); !why.empty()) {
    out.error = why;
    return out;
  }
  // The guest's VMCB for a guest run. The model's TLB starts empty, so the plan's
  // first VMRUN flushes every ASID (TLB_CONTROL 1, APM Vol. 2 15.16.1); later ones keep the
  // TLB (0) unless a `vmrun` operation names a TLB_CONTROL, and run in the ASID of the last
  // `vmrun` (the vector's `npt.asid` before one).
  std::uint64_t asid = s.npt->asid;
  // Guest-physical memory as the operations leave it, to place the guest's stores.
  model::MachineState now = s;
  // The VMCB: the model's (model::vmrun_input: the L1's own fields, and a `vmrun`
  // operation's VMCB fields in their place), running `guest_run`.
  auto guest = [&](const l1::GuestRun& guest_run, unsigned tlb_control, const model::Operation* run) {
    model::Operation plain = model::make_operation(*model::find_operation("vmrun"));
    plain.asid = asid;
    const auto in = model::vmrun_input(now, run ? *run : plain);
    Step step;
    step.run = guest_run;
    step.request.rbx = guest_run.rbx;
    qemu::VmcbSetup& vm = step.request.vmcb;
    vm.asid = static_cast<std::uint32_t>(in.asid);
    vm.tlb_control = static_cast<std::uint8_t>(tlb_control);
    // Written as the vector says; but each VMRUN of a batch has its own VMCB page, and a
    // processor ignores the clean bits of a VMCB it did not run last (15.15.3): here the
    // guest always runs in the VMCB's ASID, one of the outcomes the model allows.
    vm.clean_bits = static_cast<std::uint32_t>(run ? run->clean_bits : 0);
    vm.nested_paging = true;
    vm.ncr3 = s.npt->ncr3;
    vm.cr0 = in.cr0;
    vm.cr3 = in.cr3;
    vm.cr4 = in.cr4;
    vm.efer = in.efer;
    vm.dr6 = in.dr6;
    vm.dr7 = in.dr7;
    vm.cs_attrib = static_cast<std::uint16_t>(in.cs_attrib);
    vm.intercept_misc2 = static_cast<std::uint32_t>(in.intercept_misc2);
    vm.iopm_base = in.iopm_base;
    vm.msrpm_base = in.msrpm_base;
    vm.event_injection = static_cast<std::uint32_t>(in.event_injection);
    vm.rflags = s.regs.rflags | 2;
    vm.cpl = guest_run.cpl;
    vm.rip = guest_run.stub;
    vm.rax = guest_run.rax;
    vm.rsp = guest_run.cpl == 3 ? l1::kUserStack : l1::kSupervisorStack;
    return step;
  };
  Step flush = guest(l1::exit_call_run(), spec::svm::tlb_control::flush_all, nullptr);
  flush.observed = false;
  plan.steps.push_back(flush);
  for (const auto& op : v.operations) {
    if (!runs(op)) {
      out.error = fmt::format("operation {}: {}", model::describe(op), kWhatRuns);
      return out;
    }
    Step step;
    switch (op.kind) {
      case model::OperationKind::access:
      case model::OperationKind::invlpg:
        step = guest(*l1::guest_run(op), spec::svm::tlb_control::do_nothing, nullptr);
        break;
      case model::OperationKind::vmrun:
        // Its own VMCB; when VMRUN fails its checks (15.5.1) the guest stays in its ASID.
        step = guest(l1::exit_call_run(), op.type, &op);
        if (!model::failed_vmrun_check(now, op)) asid = op.asid;
        break;
      case model::OperationKind::invlpga:
        step.request.enter_guest = false;
        step.request.host_before.push_back(qemu::invlpga_command(op.address, static_cast<std::uint32_t>(op.asid)));
        break;
      case model::OperationKind::store_entry: {
        // The guest's store, made by the L1 between two VMRUNs at the host-physical address
        // nested paging gives it then (a store changes memory, never a TLB: no flush follows).
        const auto host = now.guest_physical().host_address(op.address);
        if (!host) {
          out.error = fmt::format("operation {}: guest-physical {:#x} is not mapped by the nested page tables", model::describe(op),
                                  op.address);
          return out;
        }
        now.memory.write64(*host, op.value);
        step.request.enter_guest = false;
        step.request.host_before.push_back(qemu::write_command(*host, op.value));
        break;
      }
      default: break;  // not runs(op): refused above
    }
    step.operation = op;
    plan.steps.push_back(step);
  }
  return out;
}

}  // namespace vtspec::conformance::qemu_svm
