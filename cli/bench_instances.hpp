// `vtspec bench corpus`: a target's throughput on checked-in vectors with several instances
// of the target running side by side (bench_instances.cpp).
#pragma once

#include <string>
#include <vector>

namespace vtspec::cli {

struct InstancesBenchOptions {
  std::string target = "qemu-svm";
  std::vector<std::string> paths;
  unsigned instances = 1;
  unsigned repeat = 1;
  std::string known_path;
};

// Exit code per cli/exit_codes.hpp: 0 every run passed or diverged only in known ways, 1 a
// divergence or target error, 2 bad input, 3 the target is unavailable or ran nothing.
int run_instances_bench(const InstancesBenchOptions& options);

}  // namespace vtspec::cli
