#include "conformance/targets/vmx_root_plan.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "conformance/qemu_platform/vmx_unit.hpp"
#include "model/operation_table.hpp"
#include "spec/vmx/vmcs_fields.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::conformance::vmx_root {

namespace {

using qemu::Command;
using model::OperationKind;
namespace f = spec::vmx::vmcs_field;

bool host_field(std::uint64_t encoding) {
  return spec::vmx::field_type(static_cast<std::uint32_t>(encoding)) == spec::vmx::FieldType::host;
}

}  // namespace

Encoded encode_vector(const vectors::Vector& v, const spec::vmx::VmxCapabilities& caps) {
  Encoded out;
  Plan& p = out.plan;
  const model::MachineState& s = v.initial;
  const model::VmxRootSettings& x = *s.vmx;
  // The proxy runs with CR0 and CR4 as VMX operation needs them (24.8): a vector whose
  // registers differ there is another processor's.
  if ((s.regs.cr0 & x.caps.cr0_fixed0) != x.caps.cr0_fixed0 || (s.regs.cr4 & x.caps.cr4_fixed0) != x.caps.cr4_fixed0) {
    out.error = fmt::format("the L1 runs with CR0 and CR4 fixed to VMX operation's 1 bits (CR0 {:#x}, CR4 {:#x}); the vector's "
                            "CR0 {:#x}, CR4 {:#x} lack some",
                            x.caps.cr0_fixed0, x.caps.cr4_fixed0, s.regs.cr0, s.regs.cr4);
    return out;
  }
  for (const std::uint64_t frame : s.memory.frame_numbers()) {
    l1::Frame fr{frame * model::PhysicalMemory::kFrameSize, std::vector<std::uint8_t>(model::PhysicalMemory::kFrameSize)};
    for (std::size_t i = 0; i < fr.bytes.size(); ++i) fr.bytes[i] = static_cast<std::uint8_t>(s.memory.read(fr.address + i, 1));
    if (fr.address + fr.bytes.size() > l1::kHarnessGpaBegin) {
      out.error = fmt::format("its memory at {:#x} is the L1's (the vector's memory lies below {:#x})", fr.address,
                              l1::kHarnessGpaBegin);
      return out;
    }
    p.frames.push_back(std::move(fr));
  }
  p.before.push_back(qemu::vmxoff_command(true));
  if (x.vmxon) p.before.push_back(qemu::vmx_region_command(VT_QC_VMXON, *x.vmxon));
  if (x.current_vmcs) {
    p.before.push_back(qemu::vmx_region_command(VT_QC_VMCLEAR, *x.current_vmcs));
    p.before.push_back(qemu::vmx_region_command(VT_QC_VMPTRLD, *x.current_vmcs));
    for (std::size_t i = 0; i < spec::vmx::kVmcsFieldCount; ++i)
      if (x.vmcs.values[i]) p.before.push_back(qemu::vmwrite_command(spec::vmx::kVmcsFieldTable[i].encoding, x.vmcs.values[i]));
  }
  // A vector that writes a host-state field asks about the host-state checks (27.2.2-27.2.3):
  // its VM entries keep the VMCS's host-state area (but HOST_RSP/HOST_RIP, which bring a VM
  // exit back to the proxy). Any other vector's entries get the proxy's own host state, which
  // a VM exit can return to (25.5), so a VMREAD of a host-state field would read the L1's.
  const bool own_host_state = std::any_of(v.operations.begin(), v.operations.end(), [](const model::Operation& op) {
    return op.kind == OperationKind::vmwrite && host_field(op.field);
  });
  for (const model::Operation& op : v.operations) {
    p.first_command.push_back(p.operations.size());
    // HOST_RSP and HOST_RIP are the proxy's in every case: where a VM exit returns to it.
    if (op.kind == OperationKind::vmwrite && (op.field == f::host_rsp || op.field == f::host_rip)) {
      out.error = fmt::format("{}: HOST_RSP and HOST_RIP are the L1's own (where a VM exit returns to it)", model::describe(op));
      return out;
    }
    if (!own_host_state && op.kind == OperationKind::vmread && host_field(op.field)) {
      out.error = fmt::format("{}: the L1 writes the host-state area itself at each VM entry", model::describe(op));
      return out;
    }
    switch (op.kind) {
      case OperationKind::vmxon: p.operations.push_back(qemu::vmx_region_command(VT_QC_VMXON, op.address)); break;
      case OperationKind::vmclear: p.operations.push_back(qemu::vmx_region_command(VT_QC_VMCLEAR, op.address)); break;
      case OperationKind::vmptrld: p.operations.push_back(qemu::vmx_region_command(VT_QC_VMPTRLD, op.address)); break;
      case OperationKind::vmxoff: p.operations.push_back(qemu::vmxoff_command(false)); break;
      case OperationKind::vmptrst: p.operations.push_back(qemu::vmptrst_command()); break;
      case OperationKind::vmcall: p.operations.push_back(qemu::vmcall_command()); break;
      case OperationKind::invept: p.operations.push_back(qemu::invept_command(op.type, op.eptp)); break;
      case OperationKind::invvpid: p.operations.push_back(qemu::invvpid_command(op.type, op.vpid, op.address)); break;
      case OperationKind::vmread: p.operations.push_back(qemu::vmread_command(static_cast<std::uint32_t>(op.field))); break;
      case OperationKind::vmwrite:
        p.operations.push_back(qemu::vmwrite_command(static_cast<std::uint32_t>(op.field), op.value));
        break;
      case OperationKind::vmlaunch:
      case OperationKind::vmresume:
        // 27.8, 28.2: a VM entry that fails after loading began, or the guest's VM exit,
        // leaves the exit reason and qualification in the VMCS.
        p.operations.push_back(op.kind == OperationKind::vmlaunch ? qemu::vmlaunch_command(0, 0, own_host_state)
                                                                  : qemu::vmresume_command(0, 0, own_host_state));
        p.operations.push_back(qemu::vmread_command(f::exit_reason));
        p.operations.push_back(qemu::vmread_command(f::exit_qualification));
        break;
      default:
        out.error = fmt::format("{}: not a VMX instruction the L1 runs", model::describe(op));
        return out;
    }
  }
  p.after.push_back(qemu::vmxoff_command(true));
  for (const Command& c : qemu::vmx_enable_commands(caps)) p.after.push_back(c);
  return out;
}

std::vector<model::Event> decode(const vectors::Vector& v, const Plan& p, std::span<const Command> list, std::size_t at) {
  if (at + p.before.size() + p.operations.size() > list.size()) throw std::runtime_error("the list came back short");
  for (std::size_t i = 1; i < p.before.size(); ++i) {  // [0] leaves the proxy's VMX operation: nothing to check
    const Command& c = list[at + i];
    if (c.status != 0 || c.vmx_fail != 0)
      throw std::runtime_error(fmt::format("entering the vector's VMX state: setup command {} (kind {}) failed ({}, error {})", i,
                                           c.kind, qemu::describe_vmx_fail(c.vmx_fail), c.mask));
  }
  const std::size_t base = at + p.before.size();
  std::vector<model::Event> events;
  for (std::size_t k = 0; k < v.operations.size(); ++k) {
    const model::Operation& op = v.operations[k];
    const Command& c = list[base + p.first_command[k]];
    if (c.status != 0) throw std::runtime_error(fmt::format("{}: the proxy did not run it (status {})", model::describe(op), c.status));
    // 31.2: VMfailInvalid (CF), VMfailValid (ZF) with the error number the proxy read.
    if (c.vmx_fail == VT_VMX_FAIL_INVALID) events.push_back(model::Event::vm_fail_invalid());
    else if (c.vmx_fail == VT_VMX_FAIL_VALID) events.push_back(model::Event::vm_fail_valid(static_cast<unsigned>(c.mask)));
    else if (op.kind == OperationKind::vmlaunch || op.kind == OperationKind::vmresume) {
      const Command& reason = list[base + p.first_command[k] + 1];
      const Command& qualification = list[base + p.first_command[k] + 2];
      if (reason.vmx_fail) throw std::runtime_error(fmt::format("{}: the exit reason could not be read", model::describe(op)));
      // 27.8: bit 31 of the exit reason says the entry failed; otherwise the guest ran and exited.
      if ((reason.result >> 31) & 1)
        events.push_back(model::Event::vm_entry_failure(static_cast<unsigned>(reason.result & 0xffff), qualification.result));
      else
        events.push_back(model::Event::completed());
    } else if (op.kind == OperationKind::vmread || op.kind == OperationKind::vmptrst) {
      events.push_back(model::Event::completed(c.result));
    } else {
      events.push_back(model::Event::completed());
    }
  }
  return events;
}

}  // namespace vtspec::conformance::vmx_root
