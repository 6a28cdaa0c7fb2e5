// The check that a vector stays inside what vector_address_space.h gives it. The loader
// makes it for every vector (a violation is a LoadError at the operation or entry it
// names) and the harness encoder makes the same check with its target's window, so the
// model and every target agree on which vectors are valid.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "model/machine_state.hpp"
#include "model/operation.hpp"
#include "vectors/format/vector_address_space.h"

namespace vtspec::vectors {

inline constexpr std::uint64_t kVectorGpaLimit = VTSPEC_VECTOR_GPA_LIMIT;
inline constexpr unsigned kReservedPml4Index = VTSPEC_RESERVED_PML4_INDEX;
inline constexpr std::uint64_t kVectorLinearLimit = VTSPEC_VECTOR_LINEAR_LIMIT;
inline constexpr std::size_t kMaxVectorOperations = VTSPEC_VECTOR_MAX_OPERATIONS;
inline constexpr std::size_t kMaxCheckedEntries = VTSPEC_VECTOR_MAX_CHECKED_ENTRIES;

struct AddressSpaceViolation {
  enum class Where { state, operation, entry } where = Where::state;
  std::size_t index = 0;  // the operation or checked entry
  std::string message;
};

// `gpa_limit` is the guest-physical window (a target may offer less than the format's).
std::optional<AddressSpaceViolation> check_vector_address_space(const model::MachineState& initial,
                                                                std::span<const model::Operation> operations,
                                                                std::span<const std::uint64_t> checked_entries,
                                                                std::uint64_t gpa_limit = kVectorGpaLimit);

// The top-level paging-structure address a CR3 value selects (4-level paging, SDM Vol. 3A
// 4.5, Table 4-12: bits MAXPHYADDR-1:12).
std::uint64_t top_table_address(std::uint64_t cr3, unsigned maxphyaddr);

}  // namespace vtspec::vectors
