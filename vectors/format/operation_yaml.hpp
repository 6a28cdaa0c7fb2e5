// One YAML grammar for an operation, in vectors (`operations:`) and in state histories
// (`history:`): `op:` names a row of the operation table (model/operation_table.hpp) and the
// other keys are that row's fields. Reading and writing are generic over the table.
// See vectors/SCHEMA.md, "Operations".
#pragma once

#include <string>
#include <vector>

#include "model/operation.hpp"

namespace YAML { class Node; }

namespace vtspec::vectors {

struct CheckedEntry;

// What the checks of a field need to know about where the operation appears.
struct OperationContext {
  unsigned paging_levels = 4;  // for canonical linear addresses (SDM Vol. 3A 3.3.7.1)
  unsigned maxphyaddr = 36;
  const std::vector<CheckedEntry>* entries = nullptr;  // names `entry:` may use (vectors only)
  // Where VMX operations are refused, the reason (vtspec/vector/1 vectors have no VMX state).
  const char* vmx_refused = nullptr;
  // Where DMA-remapping operations are refused (no `iommu:` section), the reason.
  const char* iommu_refused = nullptr;
  // Where AMD-V operations are refused (no guest under nested paging, `npt:`), the reason.
  const char* svm_refused = nullptr;
  std::vector<std::string> other_keys;  // keys of the enclosing item that are not fields (expect, ...)
};

// Reads one operation; throws LoadError naming file, position and `field`.key.
model::Operation parse_operation(const YAML::Node& item, const std::string& file, const std::string& field,
                                 const OperationContext& context);

// The operation's keys as the writer puts them out: {"op: read", "va: 0x400000", ...}.
std::vector<std::string> render_operation_fields(const model::Operation& operation);

}  // namespace vtspec::vectors
