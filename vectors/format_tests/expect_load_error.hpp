// The LoadError the loader answers `text` with; a test failure when it accepts the text.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "vectors/format/load_error.hpp"
#include "vectors/format/vector_file.hpp"

namespace vtspec::vectors {

inline LoadError load_error(const std::string& text) {
  try {
    load_vector_text(text, "t.yaml");
  } catch (const LoadError& e) {
    return e;
  }
  ADD_FAILURE() << "the loader accepted:\n" << text;
  return LoadError("", 0, 0, "", "");
}

}  // namespace vtspec::vectors
