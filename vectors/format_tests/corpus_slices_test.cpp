// A corpus file is parsed one vector at a time (corpus_file.hpp): each vector from a slice
// of the file's text. The independent answer is the whole-file loader (load_vector_file),
// which the slices must match exactly: the same vectors, with the same content hashes and
// the same source lines, for every file of the corpus and for the shapes written here.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "vectors/format/corpus_file.hpp"
#include "vectors/format/load_error.hpp"
#include "vectors/format/vector_file.hpp"

namespace vtspec::vectors {
namespace {

void expect_same(const std::vector<Vector>& whole, const VectorList& list, const std::string& what) {
  ASSERT_EQ(list.size(), whole.size()) << what;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    const Vector v = list.load(i);
    EXPECT_EQ(v.id, whole[i].id) << what;
    EXPECT_EQ(v.content_hash, whole[i].content_hash) << what << ": " << v.id;
    EXPECT_EQ(v.source.line, whole[i].source.line) << what << ": " << v.id;
    ASSERT_EQ(v.operation_sources.size(), whole[i].operation_sources.size()) << what;
    for (std::size_t k = 0; k < v.operation_sources.size(); ++k)
      EXPECT_EQ(v.operation_sources[k].line, whole[i].operation_sources[k].line) << what << ": " << v.id << " op " << k;
  }
}

TEST(CorpusSlices, EveryCorpusFileIsCutAndMatchesTheWholeFile) {
  const auto listing = find_corpus_files({VTSPEC_SOURCE_DIR "/vectors/corpus"});
  ASSERT_GE(listing.files.size(), 10u);
  for (const auto& file : listing.files) {
    const CorpusFileContents c = load_corpus_file(file);
    ASSERT_EQ(c.kind, CorpusFileContents::Kind::vectors) << file.path;
    EXPECT_TRUE(c.vectors.sliced()) << file.path << ": a generated file is cut into slices";
    expect_same(load_vector_file(file.path), c.vectors, file.path);
  }
}

struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const std::string& text)
      : path(std::filesystem::temp_directory_path() /
             ("vtspec_slices_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".yaml")) {
    std::ofstream(path) << text;
  }
  ~TempFile() { std::filesystem::remove(path); }
};

// One operation, as an item indented by `indent` spaces.
std::string op(int indent) {
  return std::string(indent, ' ') + "- { op: read, va: 0x400000, expect: { value: 0x0 }, acceptable: [ { value: 0x1, flags: [Stale] } ] }\n";
}

// Groups and plain vectors, notes after them, comments and a block scalar between items.
std::string mixed_file() {
  const std::string state = "      paging: { root: 0x1000, map: [ \"map VA 0x400000 -> PA 0x20000, 4K, [P, RW, US]\" ] }\n";
  std::string t = "schema: vtspec/vector/1\n"
                  "description: |\n"
                  "  several lines\n"
                  "  of text\n"
                  "vectors:\n"
                  "  # a comment before the first item\n"
                  "  - id: plain/1\n"
                  "    state:\n" + state +
                  "    operations:\n" + op(6) +
                  "\n"
                  "  - id: plain/2\n"
                  "    description: >\n"
                  "      folded\n"
                  "    state:\n" + state +
                  "    operations:\n" + op(6) +
                  "groups:\n"
                  "  - description: one\n"
                  "    state:\n" + state +
                  "    vectors:\n"
                  "      - id: g0/1\n"
                  "        operations:\n" + op(10) +
                  "      - id: g0/2\n"
                  "        operations:\n" + op(10) +
                  "  - state:\n" + state +
                  "    entries: { pte: 0x4000 }\n"
                  "    vectors:\n"
                  "      - id: g1/1\n"
                  "        operations:\n" + op(10) +
                  "notes:\n"
                  "  Stale: \"why\"\n";
  return t;
}

TEST(CorpusSlices, GroupsVectorsNotesAndCommentsAreCutAndMatchTheWholeFile) {
  const TempFile f(mixed_file());
  const CorpusFileContents c = load_corpus_file({f.path.string(), true});
  ASSERT_EQ(c.vectors.size(), 5u);
  EXPECT_TRUE(c.vectors.sliced());
  expect_same(load_vector_file(f.path.string()), c.vectors, "mixed");
  EXPECT_EQ(c.vectors.load(4).id, "g1/1");
  EXPECT_EQ(c.vectors.load(4).entries.size(), 1u);
}

TEST(CorpusSlices, FlowStyleAndAnchoredFilesAreReadWholeAndMatch) {
  const std::string flow =
      "schema: vtspec/vector/1\n"
      "vectors: [ { id: f/1, state: { paging: { root: 0x1000 } }, operations: [ { op: invlpg, va: 0x1000, expect: ok } ] } ]\n";
  const std::string anchored =
      "schema: vtspec/vector/1\n"
      "vectors:\n"
      "  - id: a/1\n"
      "    state: &s { paging: { root: 0x1000 } }\n"
      "    operations: [ { op: invlpg, va: 0x1000, expect: ok } ]\n"
      "  - id: a/2\n"
      "    state: *s\n"
      "    operations: [ { op: invlpg, va: 0x2000, expect: ok } ]\n";
  for (const std::string& text : {flow, anchored}) {
    const TempFile f(text);
    const CorpusFileContents c = load_corpus_file({f.path.string(), true});
    EXPECT_FALSE(c.vectors.sliced());
    expect_same(load_vector_file(f.path.string()), c.vectors, text);
  }
}

// An error in one slice is reported as the whole file reports it.
TEST(CorpusSlices, AnErrorInASliceIsTheWholeFilesError) {
  const std::string text = mixed_file();
  for (const std::string& edit : {std::string("plain/2\n"), std::string("g1/1\n")}) {
    std::string bad = text;
    const std::size_t at = bad.find(edit);
    bad.replace(at, edit.size(), "plain/1\n");  // a duplicate id
    const TempFile f(bad);
    std::string whole, sliced;
    try {
      load_vector_file(f.path.string());
    } catch (const LoadError& e) {
      whole = e.what();
    }
    try {
      load_corpus_file({f.path.string(), true});
    } catch (const LoadError& e) {
      sliced = e.what();
    }
    EXPECT_NE(whole, "");
    EXPECT_EQ(sliced, whole);
  }
}

}  // namespace
}  // namespace vtspec::vectors
