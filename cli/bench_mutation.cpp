// `vtspec bench mutation ARGS...`: the systematic mutation bench of spec/ (issue 18,
// docs/mutation-score.md), checker/mutants/spec_mutation_bench.py of the source tree this
// binary was built from, run with Debian's python3 and ARGS as given:
//   vtspec bench mutation sites | build | run --sample 150 --seed 18 | check --ids KEY[,KEY]
// The bench is a script because it writes and builds a second source tree (mutant schemata);
// this command is its place in the one CLI. It replaces this process, so its exit status is
// the bench's.
#include "cli/bench_mutation.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

namespace vtspec::cli {

int run_mutation_bench(const std::vector<std::string>& args) {
  const std::string script = std::string(VTSPEC_SOURCE_DIR) + "/checker/mutants/spec_mutation_bench.py";
  const char* python = "/usr/bin/python3";
  if (!std::filesystem::exists(script)) {
    std::cerr << "vtspec bench mutation: " << script << " is not there (the bench runs in the source tree vtspec was built from)\n";
    return 2;
  }
  std::vector<std::string> argv_text = {python, script};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The bench works from the repository root (build/mutation/ is under it).
  if (chdir(VTSPEC_SOURCE_DIR) != 0) {
    std::cerr << "vtspec bench mutation: cannot enter " << VTSPEC_SOURCE_DIR << ": " << std::strerror(errno) << "\n";
    return 2;
  }
  execv(python, argv.data());
  std::cerr << "vtspec bench mutation: cannot run " << python << ": " << std::strerror(errno) << "\n";
  return 2;
}

}  // namespace vtspec::cli
