// Human-readable rendering of a walk: one row per memory reference with the entry's decoded
// bits, then every allowed outcome. This is what a user reads when a target disagrees.
#pragma once

#include <string>

#include "model/translation.hpp"

namespace vtspec::model {

std::string decode_guest_entry(std::uint64_t entry, unsigned level, unsigned maxphyaddr);
std::string decode_ept_entry(std::uint64_t entry, unsigned level, unsigned maxphyaddr);
std::string format_walk(const MachineState& state, const AccessRequest& request, const Translation& t);

}  // namespace vtspec::model
