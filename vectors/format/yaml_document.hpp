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

#include <cstdint>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace vtspec::vectors {

inline constexpr unsigned kMaxYamlDepth = 64;

YAML::Node parse_yaml_document(const std::string& text, const std::string& file);

// The shape of a document's top levels, from the parser's events (no tree is built): for
// each mapping and sequence above kOutlineDepth, its children with the line each starts
// on. vector_file.cpp uses it to parse a large file one vector at a time (the tree
// yaml-cpp builds for a whole file takes ~75 times the file's size).
inline constexpr unsigned kOutlineDepth = 4;  // root, groups, a group, its vectors

struct YamlOutlineChild;

struct YamlOutlineNode {
  enum class Kind : std::uint8_t { scalar, map, sequence, other } kind = Kind::other;  // other: null, alias
  bool block = false;  // a block (not flow) collection
  int line = 0;        // 0-based line and column of the node itself
  int column = 0;
  std::string scalar;  // Kind::scalar: the text
  using Child = YamlOutlineChild;
  std::vector<YamlOutlineChild> children;  // collections above kOutlineDepth
};

struct YamlOutlineChild {
  std::string key;  // maps: the key; sequences: empty
  int line = 0;     // maps: the key's line; sequences: the item's
  int column = 0;
  YamlOutlineNode value;
};

struct YamlOutline {
  using Node = YamlOutlineNode;
  Node root;
  bool anchors = false;  // an anchor or an alias anywhere: parts of the file depend on each other
  int lines = 0;         // lines in the text
};

// Checks the text as parse_yaml_document does (same errors) and returns its outline.
YamlOutline outline_yaml_document(const std::string& text, const std::string& file);

// read_input_file (input_file.hpp) + parse_yaml_document.
YAML::Node load_yaml_file(const std::string& path);

}  // namespace vtspec::vectors
