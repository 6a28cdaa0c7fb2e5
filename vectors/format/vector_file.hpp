// The loader of vector files (schema `vtspec/vector/1`, vectors/SCHEMA.md). A file holds one
// or more vectors; each is self-contained. Bad input raises LoadError naming the file, line,
// column and field; the loader never crashes on any input (fuzzed: vectors/fuzz).
#pragma once

#include <string>
#include <vector>

#include "vectors/format/vector.hpp"

namespace YAML { class Node; }

namespace vtspec::vectors {

// Parse a vector document. `file` is used in error messages. Throws LoadError.
std::vector<Vector> load_vectors(const YAML::Node& document, const std::string& file);
std::vector<Vector> load_vector_file(const std::string& path);
// Parse YAML text (for in-memory documents and the fuzzer). Throws LoadError only.
std::vector<Vector> load_vector_text(const std::string& text, const std::string& file);

// The vector files named by `paths`: files as given, directories searched recursively for
// *.yaml files whose schema is vtspec/vector/* (other YAML, e.g. state files, is skipped).
// Sorted, so a run visits vectors in a stable order.
std::vector<std::string> find_vector_files(const std::vector<std::string>& paths);

}  // namespace vtspec::vectors
