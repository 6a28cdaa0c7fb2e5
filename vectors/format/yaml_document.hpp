// Parsing the text of a vtspec input file into one YAML document, refusing what YAML tools
// would read differently from us (vectors/SCHEMA.md, "Files"):
//   - text that is not UTF-8, or holds characters YAML does not allow (YAML 1.2, 5.1): the
//     reports that quote it would not parse;
//   - a key given twice in one mapping: yaml-cpp keeps the first, PyYAML and JSON-Schema
//     tools the last, so two tools would see two different vectors;
//   - a second document ('---'): a file is one document, so nothing in it goes unread;
//   - nesting deeper than kMaxYamlDepth: no vtspec file needs a tenth of it;
//   - a mapping key that is not plain text (a sequence, a mapping, an alias, null).
// Every refusal is a LoadError with file, line, column and the field's path.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

namespace vtspec::vectors {

inline constexpr unsigned kMaxYamlDepth = 64;

YAML::Node parse_yaml_document(const std::string& text, const std::string& file);

// read_input_file (input_file.hpp) + parse_yaml_document.
YAML::Node load_yaml_file(const std::string& path);

}  // namespace vtspec::vectors
