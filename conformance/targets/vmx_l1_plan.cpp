#include "conformance/targets/vmx_l1_plan.hpp"

#include <fmt/format.h>

#include "model/operation_table.hpp"
#include "model/vmx/vmx_profiles.hpp"
#include "spec/control_registers.hpp"
#include "spec/vmx/vm_entry_guest_state_checks.hpp"
#include "spec/vmx/vmcs_fields.hpp"
#include "spec/vmx/vmx_controls.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::conformance::vmx_l1 {

namespace {

namespace f = spec::vmx::vmcs_field;
using spec::bit_at;

// The VMX-preemption timer bounds a guest that runs away (SDM Vol. 3C 26.5.1: it counts down
// at the TSC rate >> IA32_VMX_MISC[4:0] and exits, reason 52): a stub runs a handful of
// instructions, so 2^20 ticks is never reached by one that works.
constexpr std::uint64_t kPreemptionTicks = 1u << 20;

}  // namespace

bool runs(const model::Operation& op) {
  switch (op.kind) {
    case model::OperationKind::access: return !op.access.implicit_supervisor;
    case model::OperationKind::invlpg:
    case model::OperationKind::store_entry:
    case model::OperationKind::invvpid:
    case model::OperationKind::invept:
    case model::OperationKind::vm_entry: return true;
    // A VMX L1's own instructions (vtspec/vector/4, conformance/targets/vmx_root_plan.hpp), in ring 0.
    case model::OperationKind::vmxon:
    case model::OperationKind::vmxoff:
    case model::OperationKind::vmclear:
    case model::OperationKind::vmptrld:
    case model::OperationKind::vmptrst:
    case model::OperationKind::vmread:
    case model::OperationKind::vmwrite:
    case model::OperationKind::vmlaunch:
    case model::OperationKind::vmresume:
    case model::OperationKind::vmcall: return op.access.cpl == 0;
    default: return false;
  }
}

std::vector<std::pair<std::uint32_t, std::uint64_t>> vmcs_fields(const model::MachineState& s, const l1::GuestRun& run,
                                                                 const spec::vmx::VmxCapabilities& caps, std::uint16_t vpid,
                                                                 std::uint64_t eptp) {
  using namespace spec::vmx;
  // A VMCS that passes every VM-entry check on these capabilities (its controls at their
  // allowed-0 settings plus EPT, a 64-bit guest), then the vector's guest in it.
  auto v = model::vmx::valid_vmcs(caps);
  auto set = [&](std::uint32_t field, std::uint64_t value) { v.values[*field_position(field)] = value; };
  auto get = [&](std::uint32_t field) { return v.values[*field_position(field)]; };
  // The guest's VPID: 0000H ("enable VPID" = 0, SDM Vol. 3C 29.1) until a `vm_entry`
  // operation gives it one.
  const std::uint64_t secondary = get(f::secondary_processor_based_controls) & ~bit_at(proc2::enable_vpid);
  set(f::secondary_processor_based_controls, secondary | (vpid ? bit_at(proc2::enable_vpid) : 0));
  set(f::vpid, vpid);
  if (VmxCapabilities::may_be_1(caps.pinbased_settings(), pin::preemption_timer)) {
    set(f::pin_based_controls, get(f::pin_based_controls) | bit_at(pin::preemption_timer));
    set(f::vmx_preemption_timer_value, kPreemptionTicks);
  }
  // IA32_EFER: the guest's loaded at entry (EFER.NXE decides XD), the L1's at exit (27.3.2.1, 28.5.1).
  set(f::vm_entry_controls, get(f::vm_entry_controls) | bit_at(entry_ctl::load_efer));
  set(f::vm_exit_controls, get(f::vm_exit_controls) | bit_at(exit_ctl::load_efer));
  set(f::ept_pointer, eptp);
  // Every exception exits (25.6.3; #PF whatever its error code: mask = match = 0): the L1
  // sees the guest's exception instead of a guest IDT.
  set(f::exception_bitmap, 0xffffffff);
  // CR0 and CR4 as the vector has them, with the bits VMX operation fixes to 1 (A.7, A.8:
  // CR0.NE, CR4.VMXE; neither takes part in paging).
  set(f::guest_cr0, (s.regs.cr0 | caps.cr0_fixed0) & (caps.cr0_fixed1 | ~std::uint64_t{0xffffffff}));
  set(f::guest_cr3, s.regs.cr3);
  set(f::guest_cr4, s.regs.cr4 | caps.cr4_fixed0);
  set(f::guest_ia32_efer, s.regs.efer);
  set(f::guest_rflags, s.regs.rflags | 2);
  set(f::guest_rip, run.stub);
  set(f::guest_rsp, run.cpl == 3 ? l1::kUserStack : l1::kSupervisorStack);
  // CPL = SS.DPL (27.3.2.2): the code and data segments at the stub's privilege level, with
  // selectors of that RPL.
  const std::uint64_t dpl = std::uint64_t{run.cpl} << 5;
  set(f::guest_cs_selector, 0x08 | run.cpl);
  set(f::guest_cs_access_rights, 0xa09b | dpl);  // type 11, S, P, L, G
  for (unsigned seg : {es, ss, ds, fs, gs}) {
    set(guest_selector(seg), 0x10 | run.cpl);
    set(guest_access_rights(seg), 0xc093 | dpl);  // type 3, S, P, D/B, G
  }
  std::vector<std::pair<std::uint32_t, std::uint64_t>> fields;
  for (std::size_t i = 0; i < kVmcsFieldCount; ++i) {
    const std::uint32_t encoding = kVmcsFieldTable[i].encoding;
    // The host-state area is the proxy's own (it writes it before VMLAUNCH).
    if (field_type(encoding) == FieldType::host || v.values[i] == 0) continue;
    fields.emplace_back(encoding, v.values[i]);
  }
  return fields;
}

Encoded encode_vector(const vectors::Vector& v, const spec::vmx::VmxCapabilities& caps) {
  Encoded out;
  const model::MachineState& s = v.initial;
  if (!s.ept) {
    out.error = "not a guest under EPT (the bochs target runs vtspec/vector/2 ept: vectors)";
    return out;
  }
  if (s.regs.pkru || (s.regs.cr4 & spec::cr4::pke) || (s.regs.cr4 & spec::cr4::pks)) {
    out.error = "protection keys: the L1 harness does not set a PKRU for the guest";
    return out;
  }
  // Bochs's RAM has the PC's legacy hole (VGA memory and the BIOS ROMs at [640 KiB, 1 MiB)).
  for (std::uint64_t n : s.memory.frame_numbers())
    if (n * 0x1000 >= 0xa0000 && n * 0x1000 < 0x100000) {
      out.error = fmt::format("the vector's memory at {:#x} is in the PC's legacy hole [0xa0000, 0x100000)", n * 0x1000);
      return out;
    }
  Plan& plan = out.plan;
  plan.maxphyaddr = s.features.maxphyaddr;
  if (std::string why = l1::lay_out(s, l1::Vendor::intel, plan.layout); !why.empty()) {
    out.error = why;
    return out;
  }
  std::vector<std::uint64_t> read_back;
  for (const auto& e : v.entries) read_back.push_back(e.physical);
  // The model's TLBs start empty: the plan's first step flushes every EPTP's and VPID's
  // cached translations (INVEPT and INVVPID all-context, 29.4.3.3) and enters the guest once.
  Step flush;
  flush.observed = false;
  flush.run = l1::exit_call_run();
  flush.request.host_before = {qemu::invept_command(2, 0), qemu::invvpid_command(2, 0, 0)};
  flush.request.fields = vmcs_fields(s, flush.run, caps, 0, s.ept->eptp);
  plan.steps.push_back(flush);
  model::MachineState now = s;  // guest-physical memory as the operations leave it
  std::uint16_t vpid = 0;        // the guest's VPID and EPTP, as the VMM's VM entries set them
  std::uint64_t eptp = s.ept->eptp;
  for (const auto& op : v.operations) {
    if (!runs(op)) {
      out.error = fmt::format("operation {}: {}", model::describe(op), kWhatRuns);
      return out;
    }
    Step step;
    step.operation = op;
    step.request.read_back = read_back;
    if (op.kind == model::OperationKind::vm_entry) {
      // The VMM's VM entry: the guest's next entries run with its VPID and EPTP (the plan
      // enters the guest for each of its operations).
      vpid = static_cast<std::uint16_t>(op.vpid);
      eptp = op.eptp;
      step.request.enter_guest = false;
    } else if (op.kind == model::OperationKind::invvpid || op.kind == model::OperationKind::invept) {
      // The VMM's INVVPID / INVEPT, between two of the guest's VM entries (31.3).
      step.request.enter_guest = false;
      step.request.host_before.push_back(op.kind == model::OperationKind::invvpid
                                             ? qemu::invvpid_command(op.type, static_cast<std::uint16_t>(op.vpid), op.address)
                                             : qemu::invept_command(op.type, op.eptp));
    } else if (op.kind == model::OperationKind::store_entry) {
      // The guest's store, made by the L1 between two VM entries at the host-physical address
      // EPT gives it then (a store changes memory, never a TLB: no flush follows).
      const auto host = now.guest_physical().host_address(op.address);
      if (!host) {
        out.error = fmt::format("operation {}: guest-physical {:#x} is not mapped by the EPT", model::describe(op), op.address);
        return out;
      }
      now.memory.write64(*host, op.value);
      step.request.enter_guest = false;
      step.request.host_before.push_back(qemu::write_command(*host, op.value));
    } else {
      step.run = *l1::guest_run(op);
      step.request.fields = vmcs_fields(s, step.run, caps, vpid, eptp);
      step.request.rax = step.run.rax;
      step.request.rbx = step.run.rbx;
    }
    plan.steps.push_back(std::move(step));
  }
  return out;
}

}  // namespace vtspec::conformance::vmx_l1
