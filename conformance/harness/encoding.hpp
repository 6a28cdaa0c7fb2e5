// Host side of the guest harness: turns a vector (initial state + operations) into what a
// target loads — the vector's guest-physical memory with the harness's mappings inserted,
// and the harness region (image, harness paging structures, program) — and turns the
// results area back into conformance::Observations.
//
// Address-space choice (see README.md in this directory): the harness does NOT switch to a
// CR3 of its own. A CR3 write flushes non-global TLB entries (SDM Vol. 3A 4.10.4.1), which
// would erase exactly the stale entries TLB vectors observe. Instead the encoder puts one
// PML4 entry (index 511) into every top-level table the vector runs on — the initial CR3
// and every MOV CR3 target — so harness code, data and the direct map of guest-physical
// memory stay mapped whatever the vector does. What a vector may use is defined once, in
// vectors/format/vector_address_space.h (the loader refuses vectors outside it); a vector
// outside the target's window is rejected with an EncodeError for that vector.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "conformance/harness/harness_abi.h"
#include "conformance/target.hpp"
#include "model/machine_state.hpp"
#include "model/operation.hpp"

namespace vtspec::conformance::harness {

// Where a target places things in guest-physical space.
struct Layout {
  std::uint64_t vector_window = VT_KVM_VECTOR_WINDOW;  // vector memory must lie in [0, window)
  std::uint64_t region_gpa = VT_KVM_REGION_GPA;        // the harness region's base (>= window)
  // Run the one-instruction privileged operations (store_entry, INVLPG, MOV to CR0/CR3/CR4,
  // INVPCID, WRMSR, WRPKRU) in the batch loop (guest/batch.S) too; false: in the interpreter
  // (for investigations, and the test that the two routes observe the same).
  bool batch_privileged = true;
};

struct EncodedVector {
  model::PhysicalMemory memory;          // vector memory + harness PML4 entries
  std::vector<std::uint64_t> top_tables; // guest-physical PML4s that carry the harness entry
  std::uint64_t harness_pml4e = 0;       // the value of that entry (index 511)
  std::vector<std::uint8_t> program;     // bytes for VT_PROGRAM_OFFSET: header, operations, read-back list
  std::uint32_t op_count = 0;
  std::vector<std::uint64_t> readback;   // guest-physical addresses read after every operation
  std::uint64_t rflags = 0x2;            // RFLAGS at entry (bit 1 and AC from the vector)
};

struct EncodeError {
  std::string message;  // what in the vector the harness cannot run, e.g. "uses PML4 entry 511"
};

// Either an EncodedVector or the reason the vector cannot be encoded.
struct EncodeResult {
  EncodedVector encoded;
  std::string error;  // empty on success
};

EncodeResult encode(const model::MachineState& initial, std::span<const model::Operation> operations,
                    std::span<const std::uint64_t> readback, const Layout& layout = {});

// The lower-half PML4 slot where the batch loop runs (harness_abi.h, VT_USER_ALIAS_LINEAR):
// the highest of 0-255 that the vector provably never reaches - zero in every top-level
// table it runs on (`top_tables`), no operation's linear operand in its 512 GiB, no
// store_entry to it in those tables - or none. Its entry is then the harness's, like 511.
std::optional<unsigned> batch_alias_slot(const model::MachineState& initial, std::span<const model::Operation> operations,
                                         const std::set<std::uint64_t>& top_tables);

// The region bytes with the harness image and the harness paging structures only (what a
// boot shim needs before any program is written).
std::vector<std::uint8_t> build_region(const Layout& layout);

// Stages the stores that turn guest memory as it is (`current`: the target's vector window,
// guest-physical 0 up; frames `nonzero_frames` may be non-zero, all others are zero) into the
// vector's initial memory `encoded.memory`, in the staging area (`staging`: the
// VT_STAGING_SIZE bytes at layout.region_gpa + VT_STAGING_OFFSET). Returns the number of
// stores, for vt_program_header.store_count, or an error when they do not fit.
struct StageResult {
  std::size_t stores = 0;
  std::string error;
};
StageResult stage_memory(const EncodedVector& encoded, std::span<const std::uint64_t> nonzero_frames,
                         std::span<const std::uint8_t> current, std::span<std::uint8_t> staging);

struct DecodedResults {
  std::vector<Observation> observations;  // one per operation (ran = false where none recorded)
  std::uint32_t ops_done = 0;
  std::uint32_t current_op = 0;
  std::string failure;                    // harness failure, empty if none
  std::uint32_t cpuid[4][4] = {};          // VT_FLAG_CPUID: leaves 1, 7.0, 0x80000001, 0x80000008
};

// Asks the harness to record the CPUID leaves the guest sees (VT_FLAG_CPUID).
void request_cpuid(EncodedVector& encoded);

// `results` is the VT_RESULTS_SIZE bytes of the results area.
DecodedResults decode(std::span<const std::uint8_t> results, std::uint32_t op_count,
                      std::span<const std::uint64_t> readback);

}  // namespace vtspec::conformance::harness
