// `vtspec run --list`: the vectors a run would take, with what each needs from a target,
// without running anything (like GoogleTest's --gtest_list_tests: a file line, then one
// indented line per vector). The shard filter applies as it does to a run.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "conformance/runner/shard.hpp"
#include "model/cpu_needs.hpp"

namespace vtspec::conformance {

// "MAXPHYADDR 36; nx, no smep; read, write at CPL 3": the MAXPHYADDR, each touched feature
// (present, or "no X" when the vector needs a CPU without it), the guest abilities.
std::string describe_needs(const model::CpuNeeds& needs);

// Exit code per cli/exit_codes.hpp: 0 listed, 2 a file failed to load or none was found
// (the error, naming file, line and column, on `err`).
int list_vectors(const std::vector<std::string>& paths, const Shard& shard, std::ostream& out, std::ostream& err);

}  // namespace vtspec::conformance
