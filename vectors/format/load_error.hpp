// Errors in vector and state files: always name the file, line, column and field.
#pragma once

#include <stdexcept>
#include <string>

namespace YAML { class Node; }

namespace vtspec::vectors {

// line 0: the error is about the file as a whole (it cannot be opened, is not a regular
// file, is too large) and the message names no position.
class LoadError : public std::runtime_error {
 public:
  LoadError(const std::string& file, int line, int column, const std::string& field, const std::string& message);
  // `node` supplies the position (yaml-cpp marks are 0-based; messages are 1-based).
  LoadError(const std::string& file, const YAML::Node& node, const std::string& field, const std::string& message);
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int column() const { return column_; }
  const std::string& field() const { return field_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  int line_;
  int column_;
  std::string field_;
  std::string message_;
};

}  // namespace vtspec::vectors
