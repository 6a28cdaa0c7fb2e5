// Shard assignment (shard.hpp): the hash against FNV-1a's published test vectors, the
// parsing of --shard and of GoogleTest's variables.
#include "conformance/runner/shard.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace vtspec::conformance {
namespace {

// The FNV reference test suite's values for FNV-1a 64 (Fowler, Noll, Vo: "FNV hash" test
// vectors, fnv1a64 of "", "a", "foobar").
TEST(Shard, HashIsFnv1a64) {
  EXPECT_EQ(shard_hash(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(shard_hash("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(shard_hash("foobar"), 0x85944171f73967e8ull);
}

TEST(Shard, ParsesKOfNCountedFromOne) {
  EXPECT_EQ(parse_shard("1/1"), (Shard{0, 1}));
  EXPECT_EQ(parse_shard("3/4"), (Shard{2, 4}));
  EXPECT_EQ(parse_shard("3/4").describe(), "3/4");
}

std::string error_of(const std::string& text) {
  try {
    parse_shard(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(Shard, RefusesWhatIsNoShard) {
  EXPECT_EQ(error_of("3/2"), "--shard 3/2: K must be between 1 and N=2 (shards are counted from 1)");
  EXPECT_EQ(error_of("0/2"), "--shard 0/2: K must be between 1 and N=2 (shards are counted from 1)");
  EXPECT_EQ(error_of("1/0"), "--shard 1/0: N (the number of shards) must be at least 1");
  for (const char* bad : {"", "1", "/2", "1/", "1/2/3", "-1/2", "1 /2", "a/b", "99999999999/2"})
    EXPECT_EQ(error_of(bad), std::string("--shard ") + bad + ": expected K/N, two whole numbers (e.g. 1/4)") << bad;
}

TEST(Shard, OneShardHoldsEverything) {
  for (const char* id : {"", "a", "perm/wp1", "tlb/invlpg-remap"}) EXPECT_TRUE((Shard{0, 1}).contains(id));
}

TEST(Shard, GoogleTestVariablesAreZeroBased) {
  EXPECT_EQ(shard_from_environment({}), std::nullopt);
  EXPECT_EQ(shard_from_environment({{"GTEST_SHARD_INDEX", "0"}, {"GTEST_TOTAL_SHARDS", "3"}}), (Shard{0, 3}));
  EXPECT_EQ(shard_from_environment({{"GTEST_SHARD_INDEX", "2"}, {"GTEST_TOTAL_SHARDS", "3"}}), (Shard{2, 3}));
}

TEST(Shard, RefusesHalfOrBadGoogleTestVariables) {
  EXPECT_THROW(shard_from_environment({{"GTEST_SHARD_INDEX", "0"}}), std::invalid_argument);
  EXPECT_THROW(shard_from_environment({{"GTEST_TOTAL_SHARDS", "2"}}), std::invalid_argument);
  EXPECT_THROW(shard_from_environment({{"GTEST_SHARD_INDEX", "2"}, {"GTEST_TOTAL_SHARDS", "2"}}), std::invalid_argument);
  EXPECT_THROW(shard_from_environment({{"GTEST_SHARD_INDEX", "x"}, {"GTEST_TOTAL_SHARDS", "2"}}), std::invalid_argument);
  EXPECT_THROW(shard_from_environment({{"GTEST_SHARD_INDEX", "0"}, {"GTEST_TOTAL_SHARDS", "0"}}), std::invalid_argument);
}

}  // namespace
}  // namespace vtspec::conformance
