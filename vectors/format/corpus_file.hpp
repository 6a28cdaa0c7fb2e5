// The files of a corpus and what each holds. `vtspec run` lists the files (files as named,
// directories searched), then takes one file at a time; a vector file's vectors are parsed
// one at a time too (VectorList), so a run's memory is bounded by its largest vector, not by
// its corpus nor by its largest file. No file is dropped without a word: every file found
// is run, or reported as an error, a note (another vtspec file) or a warning (YAML that is
// not vtspec's). Rules: vectors/SCHEMA.md, "Files".
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "vectors/format/state_file.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::vectors {

// The schemas of vtspec files that are not vector files: found in a vector directory, they
// are counted and not run.
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

// The vectors of one checked file, parsed when asked for. A file whose vector lists are
// block sequences without anchors or aliases (every file vtspec gen writes) is cut into one
// slice per vector; any other is held whole (its memory is then the file's, at most
// input_file.hpp's limit).
class VectorList {
 public:
  std::size_t size() const;
  // Vector i. The check of the file parsed every vector once and kept the first ones, up to
  // kKeptBytes: the first load of such a vector hands it over, any other parses its slice.
  // Throws LoadError (not for a checked file's vectors).
  Vector load(std::size_t i) const;
  std::vector<Vector> all() const;
  bool sliced() const { return whole_.empty() && !units_.empty(); }

 private:
  friend struct CorpusReader;
  struct Unit {
    std::optional<std::size_t> group;
    std::size_t index = 0;
    std::vector<std::pair<int, int>> lines;  // kept line ranges [first, end), sorted, disjoint
  };
  std::string slice_text(const Unit& unit) const;

  std::string file_;
  std::vector<Vector> whole_;
  std::string text_;
  std::vector<std::size_t> line_starts_;  // offset of each line; one more entry: the text's size
  std::vector<Unit> units_;
  // What the check kept, to spare a second parse of small files (16 MiB: a small file
  // keeps all, a large one keeps a few and re-parses the rest as they run).
  static constexpr std::size_t kKeptBytes = std::size_t{16} << 20;
  mutable std::vector<std::optional<Vector>> kept_;
};

// What a corpus file holds. A named file must be a vector file. A file found in a
// directory may also be another vtspec file (a state, a known-divergences list:
// other_vtspec) or YAML that is not vtspec's (foreign); the run lists both, the second as
// a warning. A file that looks meant as a vector file (a schema within a few letters of
// vtspec/vector/1, an unknown vtspec/ schema, vectors: or groups: without schema:, a key
// within two letters of schema) is an error. Unreadable and unparsable files are errors.
// The whole file is checked before anything of it runs: every vector is parsed once.
struct CorpusFileContents {
  enum class Kind { vectors, other_vtspec, foreign } kind = Kind::vectors;
  VectorList vectors;
  std::string note;  // other_vtspec / foreign: what the file is
};
CorpusFileContents load_corpus_file(const CorpusFile& file);  // throws LoadError
// The same for a file's text already read (file.path names it in errors; the fuzzer).
CorpusFileContents load_corpus_text(std::string text, const CorpusFile& file);

}  // namespace vtspec::vectors
