// Writes a machine state in the `vtspec/state/1` format (vectors/format/state_file.hpp) with
// raw memory writes, so that `vtspec walk` and the model replay it exactly; the access is
// recorded in the description and as the replay command.
#pragma once

#include <string>

#include "model/machine_state.hpp"
#include "model/translation.hpp"

namespace vtspec::checker {

std::string state_yaml(const model::MachineState& state, const std::string& description);
std::string replay_command(const std::string& file, const model::AccessRequest& access);
const char* access_name(spec::AccessKind kind);
// Writes `text` to `path`, creating parent directories; returns false on failure.
bool write_text_file(const std::string& path, const std::string& text);

}  // namespace vtspec::checker
