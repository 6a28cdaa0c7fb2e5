// One step of a guest program as the model and every target understand it. Vectors are
// lists of these; the processor model (model/processor) gives each its architectural
// effect, and the guest harness (conformance/harness) executes each as real instructions.
#pragma once

#include <cstdint>
#include <string>

#include "model/translation.hpp"

namespace vtspec::model {

enum class OperationKind : std::uint8_t {
  access,          // read / write / fetch at a linear address (AccessRequest + size + value)
  store_entry,     // guest store of `value` to the paging-structure entry at guest-physical `address`
  invlpg,          // INVLPG `address` (SDM Vol. 3A 4.10.4.1)
  mov_cr3,         // MOV to CR3 with `value` (bit 63 = no-flush when CR4.PCIDE = 1)
  mov_cr4,         // MOV to CR4 with `value`
  mov_cr0,         // MOV to CR0 with `value`
  invpcid,         // INVPCID type `type` (0-3) for `pcid` / `address`
  invvpid,         // INVVPID type `type` (0-3) for `vpid` / `address`
  invept,          // INVEPT type `type` (1-2) for `eptp`
  vm_entry,        // VM entry with `vpid` (0 = VPIDs off) and `eptp` (0 = EPT off)
  vm_exit,         // VM exit
};

struct Operation {
  OperationKind kind = OperationKind::access;
  AccessRequest access;        // kind == access
  unsigned size = 8;           // access size in bytes: 1, 2, 4 or 8
  std::uint64_t value = 0;     // written value, register value, or stored entry
  std::uint64_t address = 0;   // linear address (invlpg/invpcid/invvpid) or entry GPA (store_entry)
  unsigned type = 0;           // INVPCID / INVVPID / INVEPT type
  std::uint64_t pcid = 0;
  std::uint64_t vpid = 0;
  std::uint64_t eptp = 0;
};

const char* to_string(OperationKind kind);

// What the guest must be able to execute for `operation`, in words a target's capabilities
// list: the operation kind, with its variant where targets differ ("read", "read at CPL 1",
// "implicit supervisor read", "invpcid", ...).
std::string ability(const Operation& operation);

// One line naming the operation and its operands ("invlpg 0x400000"), for logs.
std::string describe(const Operation& op);

}  // namespace vtspec::model
