#include "vectors/format/load_error.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace vtspec::vectors {

LoadError::LoadError(const std::string& file, int line, int column, const std::string& field, const std::string& message)
    : std::runtime_error(fmt::format("{}:{}:{}: {}: {}", file, line, column, field.empty() ? "(document)" : field, message)),
      file_(file), line_(line), column_(column), field_(field), message_(message) {}

LoadError::LoadError(const std::string& file, const YAML::Node& node, const std::string& field, const std::string& message)
    : LoadError(file, node.Mark().line + 1, node.Mark().column + 1, field, message) {}

YAML::Node load_yaml_file(const std::string& path) {
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw LoadError(path, 0, 0, "", "cannot open file");
  } catch (const YAML::ParserException& e) {
    throw LoadError(path, e.mark.line + 1, e.mark.column + 1, "", e.msg);
  }
}

}  // namespace vtspec::vectors
