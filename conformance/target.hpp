// A conformance target: something that executes a vector's operations for real (KVM through
// /dev/kvm, QEMU, Bochs, Xen) or the model itself. The runner compares what a target
// observed with the model's allowed set.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vtspec::vectors { struct Vector; }

namespace vtspec::conformance {

// What a target saw for one operation.
struct Observation {
  enum class Kind { completed, exception, ept_violation, ept_misconfig, not_run } kind = Kind::not_run;
  std::uint64_t value = 0;        // value read (access reads), else 0
  unsigned vector = 0;            // exception vector (14 = #PF, 13 = #GP, 6 = #UD)
  std::uint64_t error_code = 0;
  std::uint64_t cr2 = 0;
  std::uint64_t rip = 0;
  std::uint64_t guest_physical = 0;
  std::uint64_t qualification = 0;
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
  // Empty when usable; otherwise why not (the run reports SKIPPED with this reason).
  virtual std::string unavailable_reason() = 0;
  virtual VectorResult run(const vectors::Vector& vector) = 0;
};

}  // namespace vtspec::conformance
