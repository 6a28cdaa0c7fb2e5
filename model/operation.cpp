#include "model/operation.hpp"

#include "model/operation_table.hpp"

namespace vtspec::model {

const char* to_string(OperationKind kind) {
  if (kind == OperationKind::access) return "access";
  for (const auto& row : operation_table())
    if (row.kind == kind) return row.name;
  return "?";
}

std::string describe(const Operation& op) { return row_of(op).describe(op); }

std::string ability(const Operation& op) {
  const std::string name = row_of(op).name;
  // A VMX instruction outside ring 0 (#GP(0), or a VM exit in non-root operation, SDM Vol. 3C 31.3).
  if (row_of(op).vmx && op.access.cpl > 0) return name + " at CPL " + std::to_string(op.access.cpl);
  if (op.kind != OperationKind::access) return name;
  if (op.access.implicit_supervisor) return "implicit supervisor " + name;
  if (op.access.cpl == 1 || op.access.cpl == 2) return name + " at CPL " + std::to_string(op.access.cpl);
  // A user-mode access in the upper half of the linear address space (bit 63 set: canonical
  // for 4- and 5-level paging). The SDM treats both halves alike (Vol. 3A 4.6); a hypervisor
  // that keeps the upper half for its guest's kernel does not (docs/kvm-divergences.md §8).
  if (op.access.cpl == 3 && (op.access.linear >> 63)) return name + " at CPL 3 in the upper half";
  return name;
}


}  // namespace vtspec::model
