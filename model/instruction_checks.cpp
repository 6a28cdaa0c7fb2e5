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

}  // namespace vtspec::model
