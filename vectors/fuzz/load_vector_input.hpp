// The one input the fuzzer and the corpus replay feed to the vector loader: arbitrary bytes
// as a vector file. LoadError is the expected answer to bad input; anything else (another
// exception, a crash, a sanitizer report) is a loader bug.
//
// Each input goes through both loaders a run can use: the whole-file loader
// (load_vector_text) and the corpus loader that parses one vector at a time from slices of
// the text (load_corpus_text). They must agree: the same vectors with the same content
// hashes and lines, or the same error. A disagreement aborts, as a crash would.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "vectors/format/corpus_file.hpp"
#include "vectors/format/load_error.hpp"
#include "vectors/format/vector_file.hpp"

namespace vtspec::vectors {

namespace detail {

// id, hash and line of every vector, or the error: what the two loaders must agree on.
inline std::string loader_answer(const std::vector<Vector>& vectors) {
  std::string out;
  for (const auto& v : vectors) out += v.id + " " + v.content_hash + " " + std::to_string(v.source.line) + "\n";
  return out;
}

[[noreturn]] inline void loaders_disagree(const std::string& whole, const std::string& sliced) {
  std::fprintf(stderr, "the whole-file and per-vector loaders disagree:\n--- whole:\n%s\n--- sliced:\n%s\n", whole.c_str(),
               sliced.c_str());
  std::abort();
}

}  // namespace detail

inline bool load_vector_input(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::optional<std::string> whole_error, sliced_error;
  std::string whole, sliced;
  try {
    whole = detail::loader_answer(load_vector_text(text, "<fuzz>"));
  } catch (const LoadError& e) {
    whole_error = e.what();
  }
  try {
    sliced = detail::loader_answer(load_corpus_text(text, {"<fuzz>", true}).vectors.all());
  } catch (const LoadError& e) {
    sliced_error = e.what();
  }
  if (whole_error != sliced_error || whole != sliced)
    detail::loaders_disagree(whole_error.value_or(whole), sliced_error.value_or(sliced));
  return !whole_error;
}

}  // namespace vtspec::vectors
