#include "model/operation.hpp"

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

}  // namespace vtspec::model
