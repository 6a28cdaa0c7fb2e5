// Test scaffolding shared by the spec tests: a sparse 64-bit-word memory that walks read
// through `read_host`, and the entry bits of SDM Vol. 3A Table 4-19 / Vol. 3C Table 29-6
// written out by hand (deliberately not taken from spec/, so a wrong constant there shows).
#pragma once

#include <cstdint>
#include <map>

namespace vtspec::spec::sdm {

// Guest paging-structure entry bits, SDM Vol. 3A 4.5, Tables 4-15 .. 4-20.
namespace g {
inline constexpr std::uint64_t P = 1ull << 0, RW = 1ull << 1, US = 1ull << 2, A = 1ull << 5, D = 1ull << 6,
                               PS = 1ull << 7, PAT_LARGE = 1ull << 12, XD = 1ull << 63;
inline constexpr std::uint64_t key(unsigned k) { return std::uint64_t{k} << 59; }  // bits 62:59
}  // namespace g

// EPT entry bits, SDM Vol. 3C 29.3.2, Tables 29-1 .. 29-7.
namespace e {
inline constexpr std::uint64_t R = 1ull << 0, W = 1ull << 1, X = 1ull << 2, WB = 6ull << 3, PS = 1ull << 7,
                               A = 1ull << 8, D = 1ull << 9, XU = 1ull << 10;
}  // namespace e

// #PF error-code bits, SDM Vol. 3A 4.7, Figure 4-12.
namespace pfec {
inline constexpr std::uint64_t P = 1, W = 2, U = 4, RSVD = 8, ID = 16, PK = 32;
}

// EPT-violation exit qualification bits, SDM Vol. 3C Table 28-7.
namespace qual {
inline constexpr std::uint64_t read = 1ull << 0, write = 1ull << 1, fetch = 1ull << 2, readable = 1ull << 3,
                               writable = 1ull << 4, executable = 1ull << 5, user_exec = 1ull << 6,
                               linear_valid = 1ull << 7, final_translation = 1ull << 8;
}

// Sparse memory of aligned 64-bit words; unwritten words read as zero.
struct TestMemory {
  std::map<std::uint64_t, std::uint64_t> words;
  mutable unsigned reads = 0;

  void set(std::uint64_t address, std::uint64_t value) { words[address] = value; }
  std::uint64_t get(std::uint64_t address) const {
    auto it = words.find(address);
    return it == words.end() ? 0 : it->second;
  }
  std::uint64_t read_host(std::uint64_t address, unsigned /*level*/, bool active) const {
    if (!active) return 0;
    ++reads;
    return get(address);
  }
};

}  // namespace vtspec::spec::sdm
