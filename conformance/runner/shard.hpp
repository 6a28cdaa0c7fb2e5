// Sharding a run (`vtspec run --shard K/N`): a deterministic 1/N of the vectors, so a fleet
// of hosts or CI jobs shares a corpus. A vector's shard depends on its id alone (FNV-1a,
// 64-bit, of the id's bytes, modulo N), never on the files, their order or the other
// vectors: shards partition any corpus, and adding a vector moves no other one.
//
// Without --shard, the GoogleTest variables GTEST_TOTAL_SHARDS and GTEST_SHARD_INDEX
// (0-based) shard the run as they shard a GoogleTest binary, and GTEST_SHARD_STATUS_FILE, when
// set, is created to tell the launcher that sharding is supported (GoogleTest's protocol).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace vtspec::conformance {

struct Shard {
  unsigned index = 0;  // 0-based: --shard K/N is {K - 1, N}
  unsigned total = 1;
  bool contains(std::string_view vector_id) const;
  std::string describe() const;  // "K/N", as --shard takes it
  friend bool operator==(const Shard&, const Shard&) = default;
};

// FNV-1a 64 (offset basis 0xcbf29ce484222325, prime 0x100000001b3) of the id's bytes.
std::uint64_t shard_hash(std::string_view vector_id);

// "K/N" with 1 <= K <= N (K of N, counted from 1). Throws std::invalid_argument naming the
// option and what is wrong.
Shard parse_shard(const std::string& text);

// The shard the GoogleTest variables in `environment` choose, nullopt when neither is set.
// Throws std::invalid_argument when only one is set or they are not a valid shard.
std::optional<Shard> shard_from_environment(const std::map<std::string, std::string>& environment);
// The same for this process's environment; also creates GTEST_SHARD_STATUS_FILE if set.
std::optional<Shard> shard_from_process_environment();

}  // namespace vtspec::conformance
