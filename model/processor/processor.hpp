// One logical processor with its memory: the architectural registers of both VMX sides, the
// VMX state (vmx_state.hpp), the TLBs and paging-structure caches (model/tlb), and the
// machine's host-physical memory with the EPT in use (MachineState).
//
// apply() gives each operation of the vocabulary (model/operation.hpp) its architectural
// effect: register writes, VM entries and exits (which switch the register set, VPID and
// EPTP), guest stores, and the TLB invalidations the SDM requires of it (computed by
// spec::required_invalidation, SDM Vol. 3A 4.10.4.1, Vol. 3C 29.4.3.1). allowed() asks the
// TLB for every outcome an access may have in the current context.
#pragma once

#include <cstddef>
#include <cstdint>

#include "model/event.hpp"
#include "model/machine_state.hpp"
#include "model/operation.hpp"
#include "model/processor/vmx_state.hpp"
#include "model/tlb/tlb.hpp"
#include "spec/tlb_invalidation.hpp"
#include "spec/tlb_tags.hpp"

namespace vtspec::model {

class Processor {
 public:
  // `state` is the side the processor starts on; a state with EPT describes a guest in VMX
  // non-root operation.
  explicit Processor(MachineState state, VmxState vmx = {}, TlbConfig config = {});

  const MachineState& state() const { return state_; }
  // Host-physical memory as a device sees it: a DMA write lands here without the processor
  // (model/iommu); the TLB model does not snoop it, as it does not snoop guest stores.
  HostPhysicalMemory& device_memory() { return state_.memory; }
  const VmxState& vmx() const { return vmx_; }
  const Tlb& tlb() const { return tlb_; }
  // A data store the caller made to host-physical `address` (through device_memory()): the
  // TLB model learns of it only to know whether its set is still exact (Tlb::stored).
  void data_stored(std::uint64_t address) { tlb_.stored(address); }
  // Operations applied so far (the history step the next one will be).
  std::size_t steps() const { return step_; }

  // The tags a lookup is made with now (4.10.1, 29.1, 29.4.1).
  spec::LookupContext<spec::Concrete> context() const;

  // Every allowed outcome of `request` now (Tlb::allowed in the current state and context;
  // under nested paging, in each ASID the guest may be running in).
  std::vector<AllowedOutcome> allowed(const AccessRequest& request) const;

  // Advance by one operation. For an access, `chosen` is the outcome that happened (one of
  // allowed(op.access)); without it the fresh walk's canonical outcome is taken.
  void apply(const Operation& op, const AllowedOutcome* chosen = nullptr);

  // The outcome of the last operation applied: a VMX instruction's VMsucceed (completed,
  // with VMREAD's or VMPTRST's value), VMfailInvalid, VMfailValid(n), #UD, #GP(0), its VM
  // exit in VMX non-root operation, or a VM-entry failure; `completed` for the others.
  // last_allowed() is every outcome the SDM allows (a VM entry whose failing checks the
  // SDM leaves unordered, SDM Vol. 3C 27.2, 27.3.1); last_event() is the one taken.
  const Event& last_event() const { return last_allowed_.front(); }
  const std::vector<Event>& last_allowed() const { return last_allowed_; }

  // The SDM-required reach of an operation in the current context, as spec/tlb_invalidation
  // takes it. Throws for an operation that invalidates nothing by itself.
  spec::InvalidationRequest<spec::Concrete> invalidation_request(const Operation& op) const;

 private:
  void apply_access(const Operation& op, const AllowedOutcome& chosen);
  void invalidate_for(const Operation& op);
  void run_guest(const Operation& vmrun);  // AMD-V: a successful `vmrun` operation
  void switch_registers();
  // VMX non-root operation with the entry's VPID and EPTP (the TLB effects of 29.4.3.1).
  void enter_non_root(const Operation& entry);
  void leave_non_root(const Operation& exit);
  // The VMX instructions (model/processor/vmx_instructions.cpp).
  void execute_vmx(const Operation& op);
  void vm_launch_or_resume(const Operation& op);
  void finish_vmx(const spec::vmx::VmxVerdict& verdict, std::optional<std::uint64_t> value = std::nullopt);
  VmcsRegion* current_vmcs();
  spec::vmx::VmxContext vmx_context(const Operation& op) const;

  MachineState state_;
  VmxState vmx_;
  Tlb tlb_;
  // AMD-V: ASIDs besides the VMCB's that the guest may be running in - a VMRUN changed the
  // guest ASID with the ASID clean bit set, so the processor may have kept the one it
  // cached (APM Vol. 2 15.15.3). allowed() is then the union over them; fills are made in
  // each, and invalidations tied to "the current ASID" are left out (Tlb::lenient()).
  std::vector<std::uint64_t> cached_asids_;
  std::size_t step_ = 0;
  std::vector<Event> last_allowed_{Event::completed()};
};

}  // namespace vtspec::model
