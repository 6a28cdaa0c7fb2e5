#include "conformance/runner/shard.hpp"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

namespace vtspec::conformance {

namespace {

std::optional<unsigned> whole_number(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::uint64_t shard_hash(std::string_view id) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const unsigned char c : id) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

bool Shard::contains(std::string_view id) const { return shard_hash(id) % total == index; }

std::string Shard::describe() const { return fmt::format("{}/{}", index + 1, total); }

Shard parse_shard(const std::string& text) {
  const std::size_t slash = text.find('/');
  const auto k = slash == std::string::npos ? std::nullopt : whole_number(std::string_view(text).substr(0, slash));
  const auto n = slash == std::string::npos ? std::nullopt : whole_number(std::string_view(text).substr(slash + 1));
  if (!k || !n) throw std::invalid_argument(fmt::format("--shard {}: expected K/N, two whole numbers (e.g. 1/4)", text));
  if (*n == 0) throw std::invalid_argument(fmt::format("--shard {}: N (the number of shards) must be at least 1", text));
  if (*k < 1 || *k > *n)
    throw std::invalid_argument(fmt::format("--shard {}: K must be between 1 and N={} (shards are counted from 1)", text, *n));
  return {*k - 1, *n};
}

std::optional<Shard> shard_from_environment(const std::map<std::string, std::string>& env) {
  const auto index = env.find("GTEST_SHARD_INDEX"), total = env.find("GTEST_TOTAL_SHARDS");
  if (index == env.end() && total == env.end()) return std::nullopt;
  if (index == env.end() || total == env.end())
    throw std::invalid_argument(fmt::format("{} is set but {} is not: set both or neither",
                                            index == env.end() ? "GTEST_TOTAL_SHARDS" : "GTEST_SHARD_INDEX",
                                            index == env.end() ? "GTEST_SHARD_INDEX" : "GTEST_TOTAL_SHARDS"));
  const auto i = whole_number(index->second), n = whole_number(total->second);
  if (!i || !n || *n == 0 || *i >= *n)
    throw std::invalid_argument(fmt::format(
        "GTEST_SHARD_INDEX={} GTEST_TOTAL_SHARDS={}: expected 0 <= GTEST_SHARD_INDEX < GTEST_TOTAL_SHARDS", index->second,
        total->second));
  return Shard{*i, *n};
}

std::optional<Shard> shard_from_process_environment() {
  std::map<std::string, std::string> env;
  for (const char* name : {"GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS"})
    if (const char* value = std::getenv(name)) env[name] = value;
  if (const char* status = std::getenv("GTEST_SHARD_STATUS_FILE"); status && *status) std::ofstream{status};
  return shard_from_environment(env);
}

}  // namespace vtspec::conformance
