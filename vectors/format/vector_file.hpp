// The loader of vector files (schema `vtspec/vector/1`, vectors/SCHEMA.md). A file holds one
// or more vectors; each is self-contained. Bad input raises LoadError naming the file, line,
// column and field; the loader never crashes on any input (fuzzed: vectors/fuzz).
#pragma once

#include <string>
#include <vector>

#include "vectors/format/state_file.hpp"
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

// The schemas of vtspec files that are not vector files: found in a vector directory, they
// are noted and not run.
inline constexpr const char* kKnownDivergencesSchema = "vtspec/known-divergences/1";
inline constexpr const char* kOtherVtspecSchemas[] = {kStateSchema, kKnownDivergencesSchema};

// A file a run reads: named on the command line, or found in a directory named there.
struct CorpusFile {
  std::string path;
  bool named = false;
};

struct CorpusListing {
  std::vector<CorpusFile> files;  // files as given; every *.yaml / *.yml under directories, sorted
  std::vector<std::pair<std::string, std::string>> unlisted;  // directories that could not be read: path, why
};

// The files named by `paths`: files as given (whatever their name), directories searched
// recursively for *.yaml and *.yml. Nothing is filtered out here: what a file holds is
// decided by load_corpus_file, which reports every file it does not run.
CorpusListing find_corpus_files(const std::vector<std::string>& paths);

// What a corpus file holds. A named file must be a vector file. A file found in a
// directory may also be another vtspec file (a state, a known-divergences list:
// other_vtspec) or YAML that is not vtspec's (foreign); the run lists both, the second as
// a warning. A file that looks meant as a vector file (a schema within a few letters of
// vtspec/vector/1, an unknown vtspec/ schema, vectors: or groups: without schema:, a key
// within two letters of schema) is an error. Unreadable and unparsable files are errors.
struct CorpusFileContents {
  enum class Kind { vectors, other_vtspec, foreign } kind = Kind::vectors;
  std::vector<Vector> vectors;
  std::string note;  // other_vtspec / foreign: what the file is
};
CorpusFileContents load_corpus_file(const CorpusFile& file);  // throws LoadError

}  // namespace vtspec::vectors
