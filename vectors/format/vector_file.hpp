// The loader of vector files (schema `vtspec/vector/1`, vectors/SCHEMA.md). A file holds one
// or more vectors; each is self-contained. Bad input raises LoadError naming the file, line,
// column and field; the loader never crashes on any input (fuzzed: vectors/fuzz).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "vectors/format/vector.hpp"

namespace YAML { class Node; }

namespace vtspec::vectors {

// Parse a vector document. `file` is used in error messages. Throws LoadError. The text and
// file forms parse as yaml_document.hpp says (UTF-8, one document, no duplicate keys) and
// read only regular files up to input_file.hpp's limit.
std::vector<Vector> load_vectors(const YAML::Node& document, const std::string& file);
std::vector<Vector> load_vector_file(const std::string& path);
// Parse YAML text (for in-memory documents and the fuzzer). Throws LoadError only.
std::vector<Vector> load_vector_text(const std::string& text, const std::string& file);

// One vector of a file, from a YAML text holding only that vector (and the file's other
// top-level keys) at the lines it has in the file: corpus_file.cpp cuts a large file into
// such slices so a run never holds more than one vector's YAML. `group` and `index` name
// the vector as the whole file does (`groups[2].vectors[7]`); checks across vectors (unique
// ids, every note used) are the caller's.
std::vector<Vector> load_vector_slice(const YAML::Node& slice, const std::string& file, std::optional<std::size_t> group,
                                      std::size_t index);

}  // namespace vtspec::vectors
