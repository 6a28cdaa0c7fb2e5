// A conformance target: something that executes a vector's operations for real (KVM through
// /dev/kvm, QEMU, Bochs, Xen) or the model itself. The runner compares what a target
// observed with the model's allowed set.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "conformance/capabilities.hpp"
#include "model/event.hpp"

namespace vtspec::vectors { struct Vector; }

namespace vtspec::conformance {

// What a target saw for one operation: the architectural event (model/event.hpp, the type
// the vector's expectations use too) and the checked entries read back afterwards.
struct Observation {
  bool ran = false;               // the target executed the operation to an event
  model::Event event;
  std::uint64_t rip = 0;          // where an exception was raised (diagnostics only)
  // Entries the vector asked about, read back after the operation: physical address -> value.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> entries_after;
};

struct VectorResult {
  enum class Status { ran, skipped, target_error } status = Status::ran;
  std::string reason;                   // why skipped, or what went wrong (timeout, KVM_EXIT_SHUTDOWN, ...)
  std::vector<Observation> observations;  // one per operation (possibly fewer on target_error)
};

class Target {
 public:
  virtual ~Target() = default;
  virtual std::string name() const = 0;
  // What this target can build and run here (probed once, then cached). The runner alone
  // decides from it which vectors are SKIPPED (conformance/runner/skip_decision.hpp).
  virtual const Capabilities& capabilities() = 0;
  // Runs a vector the capabilities admit. A vector they do not admit comes back SKIPPED with
  // the same reason the runner would give (the same skip_decision), never half-run.
  virtual VectorResult run(const vectors::Vector& vector) = 0;
  // How many vectors the runner hands run_many at once; 1: it calls `run` for each.
  virtual std::size_t batch_size() const { return 1; }
  // Runs several, as `run` runs each, in order of the results. A target whose machine costs
  // a boot (Bochs) runs them in batches per boot and in parallel; the others need no
  // override. The runner hands it a file's vectors at a time.
  virtual std::vector<VectorResult> run_many(std::span<const vectors::Vector* const> vectors) {
    std::vector<VectorResult> results;
    for (const vectors::Vector* v : vectors) results.push_back(run(*v));
    return results;
  }
  // Runs them as `run` does, one after another, on a machine built for them alone and
  // discarded afterwards. What a target keeps between vectors (a reused VM, its shadow pages)
  // must not change an outcome; the fuzzer's order-dependence check compares the two. A
  // target that keeps nothing needs no override.
  virtual std::vector<VectorResult> run_on_fresh_machine(const std::vector<const vectors::Vector*>& vectors) {
    std::vector<VectorResult> results;
    for (const vectors::Vector* v : vectors) results.push_back(run(*v));
    return results;
  }
};

}  // namespace vtspec::conformance
