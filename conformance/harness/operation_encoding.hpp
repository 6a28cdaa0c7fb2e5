// The harness-encoding column of the operation table (model/operation_table.hpp): for each
// operation kind, the vt_op_kind the guest interpreter executes (harness_abi.h), or why the
// harness cannot run it, and the per-operation checks of encode(). Kept here so that model/
// does not depend on the harness; a test checks it covers every row of the model's table.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>

#include "conformance/harness/harness_abi.h"
#include "model/operation.hpp"

namespace vtspec::conformance::harness {

struct Layout;

// What the per-operation checks see besides the operation.
struct EncodeContext {
  const Layout& layout;
  const std::set<std::uint64_t>& top_tables;  // the PML4s that carry the harness entry
};

struct OperationEncoding {
  model::OperationKind kind;
  std::uint8_t code;            // vt_op_kind; 0 = the harness cannot run this kind
  const char* unsupported;      // code == 0: why
  // Variants the harness cannot run or operands it cannot accept: empty, or the reason.
  std::string (*check)(const model::Operation&, const EncodeContext&);
};

std::span<const OperationEncoding> operation_encodings();

// Every ability (model::ability names, e.g. "read at CPL 1", "wrmsr_efer") of the operation
// table, with why the harness cannot execute it, empty when it can: every row it has a code
// for, each access variant its checks accept. Targets built on the harness report these in
// their capabilities (conformance/capabilities.hpp).
std::map<std::string, std::string> ability_support();
const OperationEncoding* operation_encoding(model::OperationKind kind);

// The vt_op record of `op` (kind, access, size, CPL, type, operands), or the reason the
// harness cannot run it.
struct EncodedOperation {
  vt_op record{};
  std::string error;
};
EncodedOperation encode_operation(const model::Operation& op, const EncodeContext& context);

}  // namespace vtspec::conformance::harness
