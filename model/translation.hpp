// The model's answer to "what may this access do?": every architecturally allowed outcome
// of one TLB-less access, with the trace of the memory references of the canonical walk.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "model/event.hpp"
#include "model/machine_state.hpp"
#include "spec/svm/nested_paging_walk.hpp"
#include "spec/two_dimensional_walk.hpp"

namespace vtspec::model {

struct AccessRequest {
  std::uint64_t linear = 0;
  spec::AccessKind kind = spec::AccessKind::read;
  unsigned cpl = 0;
  bool implicit_supervisor = false;
};

enum class OutcomeKind { translated, page_fault, ept_violation, ept_misconfig, nested_page_fault };
const char* to_string(OutcomeKind kind);

// Setting accessed/dirty bits in one entry (guest paging structure or EPT), at its
// host-physical address.
struct FlagUpdate {
  std::uint64_t physical;
  std::uint64_t bits;
  bool ept;                 // a second-level entry: EPT or nested page table (else a guest paging-structure entry)
  unsigned level;
  friend bool operator==(const FlagUpdate&, const FlagUpdate&) = default;
};

struct Outcome {
  OutcomeKind kind = OutcomeKind::translated;
  std::uint64_t physical = 0;          // host-physical address of the access (translated)
  std::uint64_t error_code = 0;        // #PF
  std::uint64_t cr2 = 0;               // #PF
  std::uint64_t guest_physical = 0;    // EPT violation / misconfiguration; #VMEXIT(NPF): EXITINFO2
  std::uint64_t qualification = 0;     // EPT violation; #VMEXIT(NPF): EXITINFO1
  std::uint64_t qualification_undefined = 0;  // qualification bits that may take either value
  std::vector<FlagUpdate> required;    // flag updates this outcome always makes
  std::vector<FlagUpdate> permitted;   // updates it may also make (superset of required)

  // Same architecturally visible result (ignoring A/D updates).
  bool same_result(const Outcome& other) const;
  std::string describe() const;
};

struct Translation {
  std::vector<Outcome> allowed;        // distinct results; allowed[0] is the canonical walk's
  std::vector<spec::Reference> trace;  // every memory reference of the canonical walk, in order
  spec::PagingWalk<spec::Concrete> guest_walk;  // the canonical guest walk
  // Under nested paging, of the canonical walk: the nested walk of the final guest-physical
  // address, and the host-physical address each guest level's entry was read from.
  spec::PagingWalk<spec::Concrete> nested_final;
  std::array<std::uint64_t, 6> guest_entry_host{};
  bool two_dimensional = false;
  unsigned references = 0;
};

// The architecturally visible result of one walk (A/D updates are left to the caller):
// a native guest walk, or a two-dimensional one.
Outcome outcome_of_walk(const spec::PagingWalk<spec::Concrete>& walk, std::uint64_t linear);
Outcome outcome_of_walk(const spec::TwoDimensionalWalk<spec::Concrete>& walk, std::uint64_t linear);
Outcome outcome_of_walk(const spec::svm::NestedPagingWalk<spec::Concrete>& walk, std::uint64_t linear);

// The architectural event of a walk outcome for an access to `linear`: a #PF with its error
// code and CR2 (SDM Vol. 3A 4.7), an EPT-violation VM exit with its qualification, the
// guest-physical address and, when qualification bit 7 says it is valid, the guest-linear
// address (Vol. 3C 28.2.1, Table 28-7), an EPT-misconfiguration VM exit with the
// guest-physical address (Vol. 3C 29.3.3.1); a translation completes (the caller adds the
// value a read returns).
Event event_of(const Outcome& outcome, std::uint64_t linear);

// Every allowed outcome of one access on `state`, without TLBs (the TLB model filters
// and extends this set).
Translation translate(const MachineState& state, const AccessRequest& request);

// Apply an outcome's required flag updates to memory.
void apply_flag_updates(MachineState& state, const Outcome& outcome);

// Does the outcome set admit `observed` (same result, and A/D updates within bounds)?
bool outcome_allowed(const std::vector<Outcome>& allowed, const Outcome& observed);

}  // namespace vtspec::model
