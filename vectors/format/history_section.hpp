// The optional `history:` list of a state file: operations replayed on the TLB model
// (model/tlb) before `vtspec walk` translates its access, in the grammar of vector operations
// (operation_yaml.hpp), VMX operations included. See vectors/SCHEMA.md, "history".
#pragma once

#include <string>
#include <vector>

#include "model/operation.hpp"

namespace YAML { class Node; }

namespace vtspec::vectors {

// Parse the `history` node of a state document (absent: empty). Throws LoadError.
std::vector<model::Operation> load_history(const YAML::Node& document, const std::string& file);
std::vector<model::Operation> load_history_file(const std::string& path);

}  // namespace vtspec::vectors
