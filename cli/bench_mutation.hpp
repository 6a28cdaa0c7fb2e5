// `vtspec bench mutation`: the mutation bench of spec/ (bench_mutation.cpp).
#pragma once

#include <string>
#include <vector>

namespace vtspec::cli {

// Runs checker/mutants/spec_mutation_bench.py with `args`; returns only on failure to start it.
int run_mutation_bench(const std::vector<std::string>& args);

}  // namespace vtspec::cli
