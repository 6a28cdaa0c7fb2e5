#include "model/processor/processor.hpp"

#include "model/instruction_checks.hpp"
#include "spec/svm/vmcb_clean_bits.hpp"
#include "spec/svm/vmcb_layout.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace vtspec::model {

using spec::Concrete;
using spec::bit_at;

namespace {

constexpr std::uint64_t kEp4taMask = spec::bit_range(51, 12);  // 29.4.1: EP4TA = EPTP[51:12]
constexpr std::uint64_t kPcidMask = spec::bit_range(11, 0);    // 4.10.1: PCID = CR3[11:0]

}  // namespace

Processor::Processor(MachineState state, VmxState vmx, TlbConfig config)
    : state_(std::move(state)), vmx_(std::move(vmx)), tlb_(config) {
  if (!vmx_.other_registers) vmx_.other_registers = state_.regs;
  if (state_.ept) {
    vmx_.non_root = true;  // a state with EPT describes a guest in VMX non-root operation
    vmx_.ept_caps = state_.ept->caps;
  }
  if (const auto& l1 = state_.vmx) {
    // A VMX L1 (vtspec/vector/4): its capability MSRs, and VMX root operation after VMXON,
    // with its current VMCS clear and holding the state's fields, if the state says so.
    vmx_.caps = l1->caps;
    if (l1->vmxon) {
      vmx_.in_vmx_operation = true;
      vmx_.vmxon_pointer = *l1->vmxon;
    }
    if (l1->current_vmcs) {
      vmx_.current_vmcs = *l1->current_vmcs;
      vmx_.vmcs_regions[*l1->current_vmcs].fields = l1->vmcs;
    }
  }
}

spec::LookupContext<Concrete> Processor::context() const {
  spec::LookupContext<Concrete> c;
  c.vpid = vmx_.non_root ? vmx_.vpid : 0;
  c.pcid = (state_.regs.cr4 & cr4::pcide) ? (state_.regs.cr3 & kPcidMask) : 0;
  c.ep4ta = state_.ept ? (state_.ept->eptp & kEp4taMask) : 0;
  c.ept_active = state_.ept.has_value();
  c.asid = state_.npt ? state_.npt->asid : 0;  // APM Vol. 2 15.16: the host runs with ASID 0
  return c;
}

std::vector<AllowedOutcome> Processor::allowed(const AccessRequest& request) const {
  auto out = tlb_.allowed(state_, context(), request);
  for (const std::uint64_t asid : cached_asids_) {
    auto c = context();
    c.asid = asid;
    auto more = tlb_.allowed(state_, c, request);
    out.insert(out.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  return out;
}

spec::InvalidationRequest<Concrete> Processor::invalidation_request(const Operation& op) const {
  spec::InvalidationRequest<Concrete> r;
  const auto ctx = context();
  r.current_vpid = ctx.vpid;
  r.current_pcid = ctx.pcid;
  r.current_ep4ta = ctx.ep4ta;
  r.current_asid = ctx.asid;
  r.asid = op.asid;
  r.pcide = (state_.regs.cr4 & cr4::pcide) != 0;
  r.type = op.type;
  r.linear = op.address;
  r.pcid = op.pcid;
  r.vpid = op.vpid;
  r.ep4ta = op.eptp & kEp4taMask;
  r.new_value = op.value;
  switch (op.kind) {
    case OperationKind::invlpg: r.kind = spec::InvalidationKind::invlpg; break;
    case OperationKind::mov_cr3: r.kind = spec::InvalidationKind::mov_cr3; break;
    case OperationKind::mov_cr4:
      r.kind = spec::InvalidationKind::mov_cr4;
      r.old_value = state_.regs.cr4;
      break;
    case OperationKind::mov_cr0:
      r.kind = spec::InvalidationKind::mov_cr0;
      r.old_value = state_.regs.cr0;
      break;
    case OperationKind::invpcid: r.kind = spec::InvalidationKind::invpcid; break;
    case OperationKind::invvpid: r.kind = spec::InvalidationKind::invvpid; break;
    case OperationKind::invept: r.kind = spec::InvalidationKind::invept; break;
    case OperationKind::vm_entry:
      r.kind = spec::InvalidationKind::vmx_transition;
      r.vpid_enabled = op.vpid != 0;
      break;
    case OperationKind::vm_exit:
      r.kind = spec::InvalidationKind::vmx_transition;
      r.vpid_enabled = vmx_.vpid != 0;
      break;
    case OperationKind::invlpga: r.kind = spec::InvalidationKind::invlpga; break;
    case OperationKind::vmrun: r.kind = spec::InvalidationKind::svm_tlb_control; break;
    default: throw std::invalid_argument("operation invalidates nothing by itself");
  }
  return r;
}

void Processor::invalidate_for(const Operation& op) {
  tlb_.invalidate(spec::required_invalidation<Concrete>(invalidation_request(op)), step_, describe(op));
}

void Processor::apply_access(const Operation& op, const AllowedOutcome& chosen) {
  apply_flag_updates(state_, chosen.outcome);
  Operation at_address;
  at_address.kind = OperationKind::invlpg;
  at_address.address = op.access.linear;
  const auto base = invalidation_request(at_address);
  // The walk's fills happen before the fault it ends in: an EPT violation then removes
  // those of them that would translate its guest-physical address (29.4.3.1), e.g. EPT
  // paging-structure-cache entries filled from the walk's guest paging-structure references.
  // (A #PF reaches no guest-physical mapping, the only fills a faulting walk makes.)
  tlb_.record(chosen, step_);
  if (!cached_asids_.empty()) {
    // Which ASID the processor runs in is not known (15.15.3): the fills in each, and no
    // invalidation tied to the current ASID (a #PF's) - a superset of every possibility.
    tlb_.fill_as(chosen, context().asid, step_);
    for (const std::uint64_t asid : cached_asids_) tlb_.fill_as(chosen, asid, step_);
    return;
  }
  if (chosen.outcome.kind == OutcomeKind::page_fault) {
    auto r = base;
    r.kind = spec::InvalidationKind::page_fault;
    tlb_.invalidate(spec::required_invalidation<Concrete>(r), step_, fmt::format("#PF at {:#x}", op.access.linear));
  } else if (chosen.outcome.kind == OutcomeKind::ept_violation) {
    auto r = base;
    r.kind = spec::InvalidationKind::ept_violation;
    r.guest_physical = chosen.outcome.guest_physical;
    r.linear_valid = (chosen.outcome.qualification >> spec::ept_qualification::final_translation) & 1u;
    tlb_.invalidate(spec::required_invalidation<Concrete>(r), step_,
                    fmt::format("EPT violation at GPA {:#x}", chosen.outcome.guest_physical));
  }
}

void Processor::apply(const Operation& op, const AllowedOutcome* chosen) {
  last_allowed_ = {Event::completed()};
  switch (op.kind) {
    case OperationKind::access: {
      if (chosen) {
        apply_access(op, *chosen);
      } else {
        const auto set = allowed(op.access);
        apply_access(op, set.front());
      }
      break;
    }
    case OperationKind::store_entry: {
      // A guest store lands where the guest-physical view maps the address; permissions are
      // not checked (the store is the test's way of editing paging structures).
      const auto host = state_.guest_physical().host_address(op.address);
      if (!host)
        throw std::invalid_argument(
            fmt::format("store_entry: guest-physical {:#x} is not mapped by the current EPT (an entry on the way "
                        "is not present or misconfigured)", op.address));
      state_.memory.write64(*host, op.value);
      tlb_.stored(*host);
      break;
    }
    // AMD-V: the guest's hypervisor, between two guest operations (APM Vol. 2 15.16).
    // INVLPGA reaches the ASID it names, wherever the guest runs; VMRUN applies TLB_CONTROL
    // for the guest ASID it enters with (15.16.1), and the guest then runs in that ASID.
    case OperationKind::invlpga:
    case OperationKind::vmrun:
      if (!state_.npt) throw std::invalid_argument(fmt::format("{}: there is no guest under nested paging", describe(op)));
      // A VMRUN that fails a consistency check ends in #VMEXIT(INVALID) before it loads any
      // guest state (15.5.1): the guest, its ASID and the TLB stay as they were.
      if (op.kind == OperationKind::vmrun && failed_vmrun_check(state_, op)) break;
      if (op.kind == OperationKind::invlpga) {
        invalidate_for(op);  // names its ASID: the same whatever the guest runs in
        break;
      }
      run_guest(op);
      break;
    case OperationKind::invpcid:
      if (op.type > 3) throw std::invalid_argument("INVPCID type must be 0-3");
      invalidate_for(op);
      break;
    case OperationKind::invvpid:
    case OperationKind::invept:
      // A VMX L1's own INVVPID/INVEPT (vtspec/vector/4): the instruction's checks first (31.3).
      if (state_.vmx) {
        execute_vmx(op);
        break;
      }
      if (op.kind == OperationKind::invept) {
        if (op.type != 1 && op.type != 2) throw std::invalid_argument("INVEPT type must be 1 or 2");
        invalidate_for(op);
        break;
      }
      if (op.type > 3) throw std::invalid_argument("INVVPID type must be 0-3");
      // INVVPID fails (VMfailValid) without invalidating for VPID 0 unless all-context.
      if (op.type != 2 && op.vpid == 0) break;
      invalidate_for(op);
      break;
    case OperationKind::invlpg:
      if (!cached_asids_.empty()) {
        tlb_.lenient();  // which ASID's entry it removes is not known (run_guest): none
        break;
      }
      invalidate_for(op);
      break;
    case OperationKind::mov_cr3:
      invalidate_for(op);
      state_.regs.cr3 = op.value & ~spec::cr3::no_flush;  // bit 63 is not stored
      break;
    case OperationKind::mov_cr4:
      invalidate_for(op);
      state_.regs.cr4 = op.value;
      break;
    case OperationKind::mov_cr0:
      invalidate_for(op);
      state_.regs.cr0 = op.value;
      break;
    // WRMSR to IA32_EFER and WRPKRU invalidate nothing (they are not among the operations of
    // SDM Vol. 3A 4.10.4.1). EFER.NXE and PKRU are access-rights inputs (4.6, 4.6.2) that
    // the model reads at every use of a translation, cached or not. IA32_EFER.LMA is
    // read-only (Vol. 4 IA32_EFER: "IA-32e Mode Active (R)"): a write keeps the current one.
    case OperationKind::wrmsr_efer:
      state_.regs.efer = (op.value & ~efer::lma) | (state_.regs.efer & efer::lma);
      break;
    case OperationKind::wrpkru: state_.regs.pkru = op.value & 0xffffffff; break;
    case OperationKind::vm_entry: enter_non_root(op); break;
    case OperationKind::vm_exit: leave_non_root(op); break;
    default: execute_vmx(op); break;  // the VMX instructions (vmx_instructions.cpp)
  }
  ++step_;
}

// VMRUN of the guest with the `vmrun` operation's ASID and TLB_CONTROL (APM Vol. 2 15.16.1).
// The guest then runs in that ASID - or, with the ASID clean bit set (15.15.3; vtspec's L1
// runs each guest from one VMCB, so the bit applies), possibly in the one the processor
// cached, which is any it may have been running in before. TLB_CONTROL 1 flushes every ASID
// whichever it is; 3 and 7 reach "this guest's" ASID, unknown then: left out (lenient).
void Processor::run_guest(const Operation& op) {
  std::vector<std::uint64_t> others;
  if (spec::svm::may_use_cached(spec::svm::CleanGroup::asid, static_cast<std::uint32_t>(op.clean_bits), true)) {
    others = cached_asids_;
    others.push_back(state_.npt->asid);
    std::erase(others, op.asid);
    std::sort(others.begin(), others.end());
    others.erase(std::unique(others.begin(), others.end()), others.end());
  }
  if (others.empty() || op.type == spec::svm::tlb_control::flush_all) invalidate_for(op);
  else if (op.type != spec::svm::tlb_control::do_nothing) tlb_.lenient();
  state_.npt->asid = static_cast<unsigned>(op.asid);
  cached_asids_ = std::move(others);
}

void Processor::enter_non_root(const Operation& op) {
  invalidate_for(op);
  if (!vmx_.non_root) switch_registers();
  vmx_.non_root = true;
  vmx_.vpid = static_cast<std::uint16_t>(op.vpid);
  if (op.eptp) {
    // 27.2.1.1: VM entry checks the EPTP against the processor's EPT capabilities.
    const auto check = spec::check_ept_pointer(op.eptp, vmx_.ept_caps);
    if (!check.valid) throw std::invalid_argument(fmt::format("vm_entry: {}", check.reason));
    state_.ept = EptSettings{op.eptp, vmx_.ept_caps};
  } else {
    state_.ept.reset();
  }
}

void Processor::leave_non_root(const Operation& op) {
  invalidate_for(op);
  if (vmx_.non_root) switch_registers();
  vmx_.non_root = false;
  state_.ept.reset();  // the host runs without EPT
}

// VM entry loads the guest's control registers (from the VMCS guest-state area, SDM Vol. 3C
// 27.3.2.1) and VM exit the host's (host-state area, 28.5.1); the side left keeps its values
// for the next transition. Paging in VMX non-root operation uses the guest's CR0/CR3/CR4
// (with EPT under it), in root operation the host's.
void Processor::switch_registers() { std::swap(state_.regs, *vmx_.other_registers); }

}  // namespace vtspec::model
