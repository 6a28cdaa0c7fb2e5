#include "model/operation.hpp"

#include <fmt/format.h>

namespace vtspec::model {

const char* to_string(OperationKind kind) {
  switch (kind) {
    case OperationKind::access: return "access";
    case OperationKind::store_entry: return "store_entry";
    case OperationKind::invlpg: return "invlpg";
    case OperationKind::mov_cr3: return "mov_cr3";
    case OperationKind::mov_cr4: return "mov_cr4";
    case OperationKind::mov_cr0: return "mov_cr0";
    case OperationKind::invpcid: return "invpcid";
    case OperationKind::invvpid: return "invvpid";
    case OperationKind::invept: return "invept";
    case OperationKind::vm_entry: return "vm_entry";
    case OperationKind::vm_exit: return "vm_exit";
  }
  return "?";
}

std::string ability(const Operation& op) {
  if (op.kind != OperationKind::access) return to_string(op.kind);
  const char* kind = op.access.kind == spec::AccessKind::read ? "read" : op.access.kind == spec::AccessKind::write ? "write" : "fetch";
  if (op.access.implicit_supervisor) return std::string("implicit supervisor ") + kind;
  if (op.access.cpl == 1 || op.access.cpl == 2) return std::string(kind) + " at CPL " + std::to_string(op.access.cpl);
  return kind;
}

std::string describe(const Operation& op) {
  switch (op.kind) {
    case OperationKind::access: {
      const char* k = op.access.kind == spec::AccessKind::write ? "write" : op.access.kind == spec::AccessKind::fetch ? "fetch" : "read";
      return fmt::format("access {} {:#x} CPL {}", k, op.access.linear, op.access.cpl);
    }
    case OperationKind::store_entry: return fmt::format("store_entry GPA {:#x} = {:#x}", op.address, op.value);
    case OperationKind::invlpg: return fmt::format("invlpg {:#x}", op.address);
    case OperationKind::mov_cr3: return fmt::format("mov_cr3 {:#x}", op.value);
    case OperationKind::mov_cr4: return fmt::format("mov_cr4 {:#x}", op.value);
    case OperationKind::mov_cr0: return fmt::format("mov_cr0 {:#x}", op.value);
    case OperationKind::invpcid: return fmt::format("invpcid type {} PCID {:#x} address {:#x}", op.type, op.pcid, op.address);
    case OperationKind::invvpid: return fmt::format("invvpid type {} VPID {} address {:#x}", op.type, op.vpid, op.address);
    case OperationKind::invept: return fmt::format("invept type {} EPTP {:#x}", op.type, op.eptp);
    case OperationKind::vm_entry: return fmt::format("vm_entry VPID {} EPTP {:#x}", op.vpid, op.eptp);
    case OperationKind::vm_exit: return "vm_exit";
  }
  return "?";
}

}  // namespace vtspec::model
