// The free inputs of one EPT translation in proofs: the EPTP (every valid setting for a
// walk length), the guest-physical address and the access; plus how a counterexample is made
// replayable by `vtspec walk` - a small guest page table, reached through fresh EPT entries,
// that maps linear 0 onto the counterexample's guest-physical page.
#pragma once

#include <string>

#include "checker/proofs/guest_unknowns.hpp"
#include "spec/ept_violation_qualification.hpp"
#include "spec/ept_walk.hpp"

namespace vtspec::checker {

struct EptUnknowns {
  z3::expr eptp;
  z3::expr gpa;
  spec::EptAccess<S> access;
  spec::EptAccessOrigin<S> origin;  // how the access arose (Table 28-7 bits 0 and 7-11)
  EptUnknowns(const std::string& prefix);
  // SDM 27.2.1.1 (VM entry checks on the EPTP): memory type UC or WB, the walk length
  // `levels`, A/D only when supported, bits 11:8 and 63:M zero. The access: bit 8 of the
  // qualification is meaningful only with bit 7 (Table 28-7).
  z3::expr well_formed(const spec::EptShape& shape) const;
  // An access the final step of a two-dimensional walk makes (so it can be replayed).
  z3::expr final_translation() const;
};

// Builds a replayable state from a model: `memory`'s recorded reads plus a guest mapping of
// linear address (gpa & 0xfff) to the counterexample's gpa, CPL 0, with the guest rights
// the access's linear facts describe. Returns false if the access cannot arise from a guest
// walk (a paging-structure access, or a fetch from an XD page that the guest would fault).
bool ept_counterexample_state(const z3::model& m, const EptUnknowns& u, const spec::EptShape& shape,
                              const SymbolicMemory& memory, model::MachineState& state, model::AccessRequest& request);

}  // namespace vtspec::checker
