// libFuzzer entry point for the vector loader (build with clang: see vectors/fuzz/README.md).
#include "vectors/fuzz/load_vector_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  vtspec::vectors::load_vector_input(data, size);
  return 0;
}
