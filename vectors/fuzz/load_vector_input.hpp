// The one input the fuzzer and the corpus replay feed to the vector loader: arbitrary bytes
// as a vector file. LoadError is the expected answer to bad input; anything else (another
// exception, a crash, a sanitizer report) is a loader bug.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "vectors/format/load_error.hpp"
#include "vectors/format/vector_file.hpp"

namespace vtspec::vectors {

inline bool load_vector_input(const std::uint8_t* data, std::size_t size) {
  try {
    load_vector_text(std::string(reinterpret_cast<const char*>(data), size), "<fuzz>");
    return true;
  } catch (const LoadError&) {
    return false;
  }
}

}  // namespace vtspec::vectors
