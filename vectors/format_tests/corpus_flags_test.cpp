// Wycheproof-style: in the generated corpus every acceptable outcome names why the SDM allows
// it, and every flag is explained in its file's notes (the loader checks the second).
#include <gtest/gtest.h>

#include "vectors/format/corpus_file.hpp"

namespace vtspec::vectors {
namespace {

TEST(CorpusFlags, EveryAcceptableOutcomeSaysWhyItIsAllowed) {
  const auto listing = find_corpus_files({VTSPEC_SOURCE_DIR "/vectors/corpus"});
  ASSERT_FALSE(listing.files.empty());
  ASSERT_TRUE(listing.unlisted.empty());
  std::size_t acceptable = 0;
  for (const auto& file : listing.files)
    for (const auto& v : load_corpus_file(file).vectors.all())
      for (std::size_t i = 0; i < v.expectations.size(); ++i)
        for (const auto& o : v.expectations[i].outcomes) {
          if (o.result != ExpectedOutcome::Result::acceptable) continue;
          ++acceptable;
          EXPECT_FALSE(o.flags.empty()) << file.path << ": " << v.id << " operation " << i << ": " << describe_outcome(o);
          for (const auto& flag : o.flags) EXPECT_TRUE(v.notes.count(flag)) << flag;
        }
  EXPECT_GT(acceptable, 0u) << "the corpus has TLB vectors with acceptable outcomes";
}

}  // namespace
}  // namespace vtspec::vectors
