// The VMX instructions on the processor model: SDM Vol. 3C 31.3 for their checks (the pure
// rules of spec/vmx/vmx_instructions.hpp) and effects, 31.2 for the RFLAGS conventions,
// chapter 27 for VMLAUNCH/VMRESUME (the check table spec/vmx/vm_entry_checks.hpp, then
// guest-state loading, 27.3.2, and the VPID/EPTP transition the TLB model already knows).
#include <algorithm>

#include "model/processor/processor.hpp"
#include "spec/vmx/vm_entry_checks.hpp"
#include "spec/vmx/vmread_vmwrite.hpp"

namespace vtspec::model {

namespace {

using namespace spec::vmx;
namespace f = spec::vmx::vmcs_field;

// 31.2: VMsucceed clears CF, PF, AF, ZF, SF, OF; VMfailInvalid sets CF; VMfailValid sets ZF.
constexpr std::uint64_t kArithmeticFlags = 0x8d5;
constexpr std::uint64_t kCf = 0x1, kZf = 0x40;

std::uint64_t get(const VmcsRegion& r, std::uint32_t field) { return r.fields.values[*field_position(field)]; }
void put(VmcsRegion& r, std::uint32_t field, std::uint64_t v) { r.fields.values[*field_position(field)] = v; }

bool control(const VmcsRegion& r, std::uint32_t field, unsigned bit) { return (get(r, field) >> bit) & 1u; }

// 27.3.2.1: the guest's control registers, RFLAGS and (with "load IA32_EFER") IA32_EFER;
// without it, IA32_EFER.LMA and LME take the value of "IA-32e mode guest".
GuestRegisters guest_registers(const VmcsRegion& r, const GuestRegisters& now) {
  GuestRegisters g = now;
  g.cr0 = get(r, f::guest_cr0);
  g.cr3 = get(r, f::guest_cr3);
  g.cr4 = get(r, f::guest_cr4);
  g.rflags = get(r, f::guest_rflags);
  const bool ia32e = control(r, f::vm_entry_controls, entry_ctl::ia32e_mode_guest);
  if (control(r, f::vm_entry_controls, entry_ctl::load_efer)) {
    g.efer = get(r, f::guest_ia32_efer);
  } else {
    g.efer = (g.efer & ~(spec::efer::lma | spec::efer::lme)) | (ia32e ? spec::efer::lma | spec::efer::lme : 0);
  }
  if (control(r, f::vm_entry_controls, entry_ctl::load_pkrs)) g.pkrs = get(r, f::guest_ia32_pkrs);
  return g;
}

// 28.5.1: the host's control registers, IA32_EFER ("load IA32_EFER", or LMA/LME from "host
// address-space size"); RFLAGS is 2 after a VM exit (28.5.3).
GuestRegisters host_registers(const VmcsRegion& r, const GuestRegisters& now) {
  GuestRegisters h = now;
  h.cr0 = get(r, f::host_cr0);
  h.cr3 = get(r, f::host_cr3);
  h.cr4 = get(r, f::host_cr4);
  h.rflags = 0x2;
  const bool host64 = control(r, f::vm_exit_controls, exit_ctl::host_address_space_size);
  if (control(r, f::vm_exit_controls, exit_ctl::load_efer)) {
    h.efer = get(r, f::host_ia32_efer);
  } else {
    h.efer = (h.efer & ~(spec::efer::lma | spec::efer::lme)) | (host64 ? spec::efer::lma | spec::efer::lme : 0);
  }
  if (control(r, f::vm_exit_controls, exit_ctl::load_pkrs)) h.pkrs = get(r, f::host_ia32_pkrs);
  return h;
}

Event event_of(const EntryOutcome& o) {
  switch (o.kind) {
    case EntryOutcomeKind::success: return Event::completed();
    case EntryOutcomeKind::vm_fail_valid: return Event::vm_fail_valid(o.number);
    case EntryOutcomeKind::entry_failure: return Event::vm_entry_failure(o.number, o.qualification);
  }
  return Event::completed();
}

}  // namespace

VmxContext Processor::vmx_context(const Operation& op) const {
  VmxContext c;
  c.cr0 = state_.regs.cr0;
  c.cr4 = state_.regs.cr4;
  c.rflags = state_.regs.rflags;
  c.cpl = op.access.cpl;
  c.in_vmx_operation = vmx_.in_vmx_operation;
  c.non_root = vmx_.non_root;
  c.current_vmcs = vmx_.current_vmcs;
  c.vmxon_pointer = vmx_.vmxon_pointer;
  c.blocked_by_mov_ss = vmx_.blocked_by_mov_ss;
  return c;
}

VmcsRegion* Processor::current_vmcs() {
  if (vmx_.current_vmcs == kNoCurrentVmcs) return nullptr;
  return &vmx_.vmcs_regions[vmx_.current_vmcs];
}

void Processor::finish_vmx(const VmxVerdict& v, std::optional<std::uint64_t> value) {
  auto& rflags = state_.regs.rflags;
  switch (v.kind) {
    case VmxVerdictKind::proceed:
      rflags &= ~kArithmeticFlags;
      last_allowed_ = {Event::completed(value)};
      break;
    case VmxVerdictKind::undefined_opcode: last_allowed_ = {Event::exception(kInvalidOpcodeVector)}; break;
    case VmxVerdictKind::general_protection: last_allowed_ = {Event::exception(kGeneralProtectionVector, 0)}; break;
    case VmxVerdictKind::fail_invalid:
      rflags = (rflags & ~kArithmeticFlags) | kCf;
      last_allowed_ = {Event::vm_fail_invalid()};
      break;
    case VmxVerdictKind::fail_valid:
      rflags = (rflags & ~kArithmeticFlags) | kZf;
      // 31.2: VMfailValid(n) stores n in the VM-instruction error field of the current VMCS.
      if (auto* r = current_vmcs()) put(*r, f::vm_instruction_error, v.number);
      last_allowed_ = {Event::vm_fail_valid(v.number)};
      break;
    case VmxVerdictKind::vm_exit: {
      // The instruction causes a VM exit (Appendix C reason, 28.2.1): the guest state is
      // saved and the host's loaded by the transition every VM exit makes.
      if (auto* r = current_vmcs()) {
        put(*r, f::exit_reason, v.number);
        put(*r, f::exit_qualification, 0);
      }
      Operation exit;
      exit.kind = OperationKind::vm_exit;
      leave_non_root(exit);
      last_allowed_ = {Event::vm_exit(v.number, 0, std::nullopt, std::nullopt)};
      break;
    }
  }
}

void Processor::execute_vmx(const Operation& op) {
  const auto& caps = vmx_.caps;
  const VmxContext c = vmx_context(op);
  // The first 32 bits of a region: revision identifier (30:0), shadow-VMCS indicator (31).
  const auto header = [&](std::uint64_t a) {
    return vmx_region_address_ok(a, caps) ? static_cast<std::uint32_t>(state_.memory.read64(a)) : 0u;
  };
  switch (op.kind) {
    case OperationKind::vmxon: {
      const auto v = vmxon_check(c, op.address, header(op.address), caps);
      if (v.kind == VmxVerdictKind::proceed) {
        vmx_.in_vmx_operation = true;
        vmx_.vmxon_pointer = op.address;
        vmx_.current_vmcs = kNoCurrentVmcs;
      }
      return finish_vmx(v);
    }
    case OperationKind::vmxoff: {
      const auto v = vmxoff_check(c);
      if (v.kind == VmxVerdictKind::proceed) {
        vmx_.in_vmx_operation = false;
        vmx_.current_vmcs = kNoCurrentVmcs;
      }
      return finish_vmx(v);
    }
    case OperationKind::vmclear: {
      const auto v = vmclear_check(c, op.address, caps);
      if (v.kind == VmxVerdictKind::proceed) {
        vmx_.vmcs_regions[op.address].launch_state = LaunchState::clear;
        if (vmx_.current_vmcs == op.address) vmx_.current_vmcs = kNoCurrentVmcs;
      }
      return finish_vmx(v);
    }
    case OperationKind::vmptrld: {
      const auto v = vmptrld_check(c, op.address, header(op.address), caps);
      if (v.kind == VmxVerdictKind::proceed) {
        vmx_.current_vmcs = op.address;
        vmx_.vmcs_regions.try_emplace(op.address);
      }
      return finish_vmx(v);
    }
    case OperationKind::vmptrst: {
      const auto v = vmptrst_check(c);
      return finish_vmx(v, v.kind == VmxVerdictKind::proceed ? std::optional(vmx_.current_vmcs) : std::nullopt);
    }
    case OperationKind::vmread:
    case OperationKind::vmwrite: {
      const bool read = op.kind == OperationKind::vmread;
      const auto error = read ? vmread_error(op.field, caps) : vmwrite_error(op.field, caps);
      const auto v = vmread_vmwrite_check(read ? VmxInstruction::vmread : VmxInstruction::vmwrite, c, error);
      if (v.kind != VmxVerdictKind::proceed) return finish_vmx(v);
      const auto ref = *component_of(op.field);
      auto& stored = current_vmcs()->fields.values[ref.position];
      if (read) return finish_vmx(v, read_component(ref, stored));
      stored = write_component(ref, stored, op.value);
      return finish_vmx(v);
    }
    case OperationKind::vmlaunch:
    case OperationKind::vmresume: return vm_launch_or_resume(op);
    case OperationKind::vmcall: return finish_vmx(vmcall_check(c));
    case OperationKind::invept:
    case OperationKind::invvpid: {
      // 31.3 INVEPT/INVVPID: the type (EPT_VPID_CAP), the VPID and the address checked; then
      // the invalidation 29.4.3.3 requires, through the TLB model.
      const auto v = op.kind == OperationKind::invept ? invept_check(c, op.type, caps)
                                                      : invvpid_check(c, op.type, op.vpid, op.address, caps);
      if (v.kind == VmxVerdictKind::proceed) invalidate_for(op);
      return finish_vmx(v);
    }
    default: break;
  }
}

void Processor::vm_launch_or_resume(const Operation& op) {
  const bool launch = op.kind == OperationKind::vmlaunch;
  const VmxContext c = vmx_context(op);
  VmcsRegion* r = current_vmcs();
  const auto v = vm_launch_resume_check(launch ? VmxInstruction::vmlaunch : VmxInstruction::vmresume, c,
                                        r ? r->launch_state : LaunchState::clear);
  if (v.kind != VmxVerdictKind::proceed) return finish_vmx(v);

  // 27.4: the MSR-load area, at most the recommended maximum 512 * (MISC[27:25] + 1) entries.
  std::vector<MsrLoadEntry<spec::Concrete>> msrs;
  const std::uint64_t count = std::min<std::uint64_t>(get(*r, f::vm_entry_msr_load_count),
                                                      512 * (((vmx_.caps.misc >> 25) & 7) + 1));
  const std::uint64_t area = get(*r, f::vm_entry_msr_load_address);
  for (std::uint64_t i = 0; i < count; ++i) msrs.push_back({state_.memory.read64(area + 16 * i), state_.memory.read64(area + 16 * i + 8)});
  const auto evaluation = evaluate_entry(r->fields, vmx_.caps, msrs);
  last_allowed_.clear();
  for (const auto& o : evaluation.allowed) last_allowed_.push_back(event_of(o));
  const auto& taken = evaluation.allowed.front();
  switch (taken.kind) {
    case EntryOutcomeKind::vm_fail_valid:
      return finish_vmx({VmxVerdictKind::fail_valid, taken.number, "27.2"});
    case EntryOutcomeKind::entry_failure: {
      // 27.8: exit reason with bit 31 set, the qualification, and the host state loaded as
      // by a VM exit; the processor stays in VMX root operation.
      put(*r, f::exit_reason, taken.number | 0x80000000u);
      put(*r, f::exit_qualification, taken.qualification);
      state_.regs = host_registers(*r, state_.regs);
      return;
    }
    case EntryOutcomeKind::success: break;
  }
  // 27.3.2: load the guest state; the next VM exit loads the host-state area (28.5).
  if (launch) r->launch_state = LaunchState::launched;
  const bool vpid_on = control(*r, f::primary_processor_based_controls, proc::activate_secondary) &&
                       control(*r, f::secondary_processor_based_controls, proc2::enable_vpid);
  const bool ept_on = control(*r, f::primary_processor_based_controls, proc::activate_secondary) &&
                      control(*r, f::secondary_processor_based_controls, proc2::enable_ept);
  vmx_.ept_caps = ept_capabilities(vmx_.caps, control(*r, f::secondary_processor_based_controls, proc2::mode_based_execute));
  const GuestRegisters host = host_registers(*r, state_.regs);
  vmx_.other_registers = guest_registers(*r, state_.regs);
  Operation entry;
  entry.kind = OperationKind::vm_entry;
  entry.vpid = vpid_on ? get(*r, f::vpid) : 0;
  entry.eptp = ept_on ? get(*r, f::ept_pointer) : 0;
  enter_non_root(entry);
  vmx_.other_registers = host;
  state_.regs.rflags &= ~kArithmeticFlags;
  last_allowed_ = {Event::completed()};
}

}  // namespace vtspec::model
