// `vtspec gen --space NAME`: a generated test space streamed as vector files (gen_space.cpp).
#pragma once

#include <cstdint>
#include <string>

namespace vtspec::cli {

struct SpaceGenOptions {
  std::string space;            // "access": checker/generate/access_space.hpp
  std::string out;              // directory; empty: stdout
  std::string target = "model"; // whose virtual CPUs bound what is generated
  unsigned maxphyaddr = 36;
  bool kvm_unit_tests_only = false;
  std::uint64_t limit = 0;      // stop after this many cases (0: all)
  std::uint64_t every = 1;      // one vector group in `every` (a sample)
};

int run_space_generation(const SpaceGenOptions& options);

}  // namespace vtspec::cli
