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

}  // namespace vtspec::model
