// A conformance vector (schema `vtspec/vector/1`, or `vtspec/vector/2` for a guest under EPT;
// see vectors/SCHEMA.md): a self-contained test
// case in the style of a Wycheproof test. An initial machine state, a sequence of guest
// operations, and for each operation every outcome the architecture allows: the model's
// canonical one (`valid`) and the alternatives it also permits (`acceptable`), e.g. a read
// through a stale TLB entry next to a read through the new paging-structure entry
// (SDM Vol. 3A 4.10.4.3: software must not rely on either after changing an entry without
// invalidating it).
//
// Plain data: the loader (vector_file.hpp) fills it, the generator (checker/generate) writes
// it, targets (conformance/targets) execute `operations` on `initial`, and the runner
// (conformance/runner) compares what a target observed with `expectations`.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/cpu_needs.hpp"
#include "model/event.hpp"
#include "model/machine_state.hpp"
#include "model/operation.hpp"

namespace vtspec::vectors {

inline constexpr const char* kVectorSchema = "vtspec/vector/1";
// v2 = v1 and a guest in VMX non-root operation under an EPT of the vector's (`state.ept`),
// whose accesses may end in EPT-violation and EPT-misconfiguration VM exits.
inline constexpr const char* kVectorSchemaV2 = "vtspec/vector/2";
// v3 = v2 and an AMD-V guest under nested paging (`state.npt`), whose accesses may end in
// #VMEXIT(NPF) (AMD64 APM Vol. 2 15.25.6).
inline constexpr const char* kVectorSchemaV3 = "vtspec/vector/3";
// v4 = v3 and a processor that is a VMX L1 (`state.vmx`): its operations are VMX
// instructions in root operation, whose outcomes are VMsucceed, VMfailInvalid,
// VMfailValid(n), a VM-entry failure or an exception (SDM Vol. 3C 31.2, 27.8).
inline constexpr const char* kVectorSchemaV4 = "vtspec/vector/4";

// The ability a vtspec/vector/4 vector needs when one of its VMX instructions may raise an
// exception in VMX root operation (#UD, #GP(0)): a target must observe it and go on.
inline constexpr const char* kVmxRootException = "exception in VMX root operation";

// One accessed/dirty bit's expected value after an operation. `either` where the SDM lets
// the processor choose (e.g. a paging-structure entry's A flag on a walk that faults lower
// down, SDM Vol. 3A 4.8).
enum class FlagExpectation : std::uint8_t { clear, set, either };

// A paging-structure entry whose A/D bits a vector checks, named so expectations read
// "pte.A = set" rather than "0x3008 bit 5 = 1". `physical` is the entry's host-physical
// address (guest-physical == host-physical without EPT); a target reads the 8 bytes there
// after each operation (conformance::Observation::entries_after).
struct CheckedEntry {
  std::string name;
  std::uint64_t physical = 0;
};

struct EntryFlags {
  std::string name;  // a CheckedEntry::name
  FlagExpectation accessed = FlagExpectation::either;
  FlagExpectation dirty = FlagExpectation::either;
  friend bool operator==(const EntryFlags&, const EntryFlags&) = default;
};

// One architecturally allowed outcome of one operation: the event (model/event.hpp, the type
// targets report too) and the A/D bits of the vector's checked entries afterwards.
// Wycheproof-style, an `acceptable` outcome carries `flags` naming why the SDM allows it
// (e.g. StaleTlbEntry); the vector file's `notes:` explain each flag.
struct ExpectedOutcome {
  enum class Result : std::uint8_t { valid, acceptable };
  Result result = Result::valid;
  model::Event event;
  std::vector<EntryFlags> entries;  // A/D bits of named entries after the operation
  std::vector<std::string> flags;   // why this outcome is allowed (acceptable outcomes)
  friend bool operator==(const ExpectedOutcome&, const ExpectedOutcome&) = default;
};

// Every allowed outcome of one operation; outcomes[0] is the `valid` one.
struct Expectation {
  std::vector<ExpectedOutcome> outcomes;
};

// Where something came from in a vector file (1-based; 0 when generated in memory).
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

struct Vector {
  std::string id;                  // unique across the corpus, e.g. "perm/wp1-smep1-smap1-ac0-nxe1"
  std::string description;
  std::vector<std::string> sdm;    // references, e.g. "Vol. 3A 4.6.1"
  // Features the vector's virtual CPU must have, besides what needs_of() derives (optional;
  // names: model/virtual_cpu.hpp).
  std::vector<std::string> requires_features;
  model::MachineState initial;     // registers, features, memory (paging structures included); EPT in v2
  // Executed in order on one CPU; the members each kind uses are its row of the operation
  // table (model/operation_table.hpp). A fetch executes at `access.linear`: vectors place a
  // RET (0xc3) there, so a successful fetch returns to the harness. No VMX operations: in a v2
  // vector an access that exits (EPT violation or misconfiguration) is followed by the VMM's
  // VM entry with the same controls before the next operation (model_evaluation.hpp).
  std::vector<model::Operation> operations;
  std::vector<Expectation> expectations;  // one per operation
  std::vector<CheckedEntry> entries;      // entries whose A/D bits expectations name
  // Why each flag used by an acceptable outcome is allowed, with its SDM reference
  // (the file's `notes:`; every flag a vector uses is explained there).
  std::map<std::string, std::string> notes;
  SourceLocation source;                  // the vector's position in its file
  std::string content_hash;               // content_hash.hpp; filled by the loader
  std::vector<SourceLocation> operation_sources;  // one per operation (empty when generated)
};

// The schema a vector needs: v2 for a guest under EPT, else v1.
const char* schema_of(const Vector& vector);

// What the vector needs from a target: derived from its state and operations
// (model/cpu_needs.hpp), plus the features a hand-written `requires:` lists.
model::CpuNeeds needs_of(const Vector& vector);

// An operation and an outcome in words, e.g. "write 8 bytes 0x1 at 0x400000, CPL 3", for
// reports. The operation's words are its operation-table row's (model::describe).
std::string describe_operation(const model::Operation& operation);
std::string describe_outcome(const ExpectedOutcome& outcome);

}  // namespace vtspec::vectors
