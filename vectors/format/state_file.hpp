// The machine-state format (schema `vtspec/state/1`), the first piece of the vector schema:
// registers, CPU features, guest page tables and EPT given as readable mappings that the
// loader expands into paging structures, and raw physical writes for anything a mapping
// cannot say (malformed entries). See vectors/SCHEMA.md.
#pragma once

#include <string>

#include "model/machine_state.hpp"

namespace YAML { class Node; }

namespace vtspec::vectors {

inline constexpr const char* kStateSchema = "vtspec/state/1";

// Parse a state document. `file` is used in error messages; `field_prefix` is the state
// block's path inside an enclosing document (e.g. "vectors[3].state"), which every field an
// error names gets in front. Throws LoadError.
model::MachineState load_state(const YAML::Node& document, const std::string& file, const std::string& field_prefix = "");
model::MachineState load_state_file(const std::string& path);

// Parse a number (decimal, 0x hex, 0b binary, with optional _ separators) or a size (4K, 2M, 1G).
std::uint64_t parse_number(const YAML::Node& node, const std::string& file, const std::string& field);

// A register (cr0, cr4, efer, rflags) given as a number or a list of flag names, as in `registers:`.
std::uint64_t parse_register_value(const YAML::Node& node, const std::string& file, const std::string& reg);

}  // namespace vtspec::vectors
