#include "model/instruction_checks.hpp"

namespace vtspec::model {

using spec::Concrete;

std::uint64_t cr4_reserved_bits(const CpuFeatures& features) {
  const std::pair<std::uint64_t, bool> needs[] = {{cr4::smep, features.smep}, {cr4::smap, features.smap},
                                                  {cr4::pke, features.pku},   {cr4::pks, features.pks},
                                                  {cr4::la57, features.la57}, {cr4::pcide, features.pcid}};
  std::uint64_t reserved = 0;
  for (const auto& [bit, have] : needs)
    if (!have) reserved |= bit;
  return reserved;
}

spec::ControlRegisterCheck instruction_check(const MachineState& state, const Operation& op) {
  spec::ControlRegisterState<Concrete> regs;
  regs.cr0 = state.regs.cr0;
  regs.cr3 = state.regs.cr3;
  regs.cr4 = state.regs.cr4;
  regs.efer = state.regs.efer;
  const spec::ControlRegisterSupport support{cr4_reserved_bits(state.features), state.features.maxphyaddr,
                                             state.features.nx, state.features.invpcid};
  std::uint64_t failed = 0;
  switch (op.kind) {
    case OperationKind::mov_cr0: failed = spec::mov_to_cr0_check<Concrete>(regs, op.value); break;
    case OperationKind::mov_cr3: failed = spec::mov_to_cr3_check<Concrete>(regs, op.value, support); break;
    case OperationKind::mov_cr4: failed = spec::mov_to_cr4_check<Concrete>(regs, op.value, support); break;
    case OperationKind::invpcid:
      // #UD without the instruction comes before any #GP (Vol. 2B INVPCID, exception order).
      failed = support.invpcid ? spec::invpcid_check<Concrete>(regs, op.type, op.pcid, op.address)
                               : static_cast<std::uint64_t>(spec::ControlRegisterCheck::invpcid_unsupported);
      break;
    case OperationKind::wrmsr_efer: failed = spec::wrmsr_efer_check<Concrete>(regs, op.value, support); break;
    case OperationKind::wrpkru: failed = spec::wrpkru_check<Concrete>(regs); break;
    default: break;
  }
  return static_cast<spec::ControlRegisterCheck>(failed);
}

spec::svm::VmrunInput<Concrete> vmrun_input(const MachineState& state, const Operation& op) {
  spec::svm::VmrunInput<Concrete> in;
  in.efer = state.regs.efer | spec::svm::efer::svme;
  in.cr0 = state.regs.cr0;
  in.cr3 = state.regs.cr3;
  in.cr4 = state.regs.cr4;
  in.dr6 = 0xffff0ff0;  // DR6 and DR7 at reset (APM Vol. 2 13.1.1)
  in.dr7 = 0x400;
  in.cs_attrib = 0x29b;  // present, DPL 0, code execute/read accessed, L = 1 (Table B-2 packing)
  in.intercept_misc2 = (std::uint64_t{1} << spec::svm::intercept2::vmrun) | (std::uint64_t{1} << spec::svm::intercept2::vmmcall);
  in.asid = op.asid;
  std::uint64_t* fields[kVmcbFields] = {&in.efer, &in.cr0, &in.cr3, &in.cr4, &in.dr6, &in.dr7, &in.cs_attrib,
                                        &in.intercept_misc2, &in.iopm_base, &in.msrpm_base, &in.event_injection};
  for (std::size_t i = 0; i < kVmcbFields; ++i)
    if (op.vmcb[i] != kVmcbAsBuilt) *fields[i] = op.vmcb[i];
  return in;
}

spec::svm::SvmCapabilities svm_capabilities(const MachineState& state) {
  spec::svm::SvmCapabilities caps;
  caps.maxphyaddr = state.features.maxphyaddr;
  caps.cr4_defined &= ~cr4_reserved_bits(state.features);
  return caps;
}

std::optional<std::string> failed_vmrun_check(const MachineState& state, const Operation& op) {
  const auto in = vmrun_input(state, op);
  const auto caps = svm_capabilities(state);
  for (const auto& row : spec::svm::vmrun_consistency_checks<Concrete>())
    if (!row.holds(in, caps)) return row.id + " (" + row.apm + "): " + row.rule;
  return std::nullopt;
}

}  // namespace vtspec::model
