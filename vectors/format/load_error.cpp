#include "vectors/format/load_error.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace vtspec::vectors {

LoadError::LoadError(const std::string& file, int line, int column, const std::string& field, const std::string& message)
    // Line 0: an error about the file itself (cannot open, not a regular file), which has no position.
    : std::runtime_error(line == 0 ? fmt::format("{}: {}{}", file, field.empty() ? "" : field + ": ", message)
                                   : fmt::format("{}:{}:{}: {}: {}", file, line, column, field.empty() ? "(document)" : field,
                                                 message)),
      file_(file), line_(line), column_(column), field_(field), message_(message) {}

LoadError::LoadError(const std::string& file, const YAML::Node& node, const std::string& field, const std::string& message)
    : LoadError(file, node.Mark().line + 1, node.Mark().column + 1, field, message) {}

}  // namespace vtspec::vectors
