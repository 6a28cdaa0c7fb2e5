// Human-readable rendering of a walk: one row per memory reference with the entry's decoded
// bits, then every allowed outcome. This is what a user reads when a target disagrees.
#pragma once

#include <string>
#include <vector>

#include "model/translation.hpp"

namespace vtspec::model {

// One memory reference of a walk, named and decoded: a row of the text trace, a cell of the
// HTML report's table of levels or of its two-dimensional grid.
struct TraceRow {
  spec::Reference reference;
  std::string structure;  // "guest PML4E", "EPT PDE for PDPTE", "EPT PTE for data", ...
  std::string decoded;    // the entry's bits in words
};
std::vector<TraceRow> trace_rows(const MachineState& state, const Translation& t);

std::string decode_guest_entry(std::uint64_t entry, unsigned level, unsigned maxphyaddr);
std::string decode_ept_entry(std::uint64_t entry, unsigned level, unsigned maxphyaddr);
std::string format_walk(const MachineState& state, const AccessRequest& request, const Translation& t);

}  // namespace vtspec::model
