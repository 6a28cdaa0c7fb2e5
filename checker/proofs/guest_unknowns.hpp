// The free inputs of a guest translation in proofs - every control bit, PKRU/PKRS, CR3, the
// linear address and the access - and how a Z3 model of them becomes a concrete
// MachineState + AccessRequest (SDM Vol. 3A 2.5 register layouts).
#pragma once

#include <string>

#include "checker/declarative/access_rights_table.hpp"
#include "checker/proofs/symbolic_memory.hpp"
#include "model/machine_state.hpp"
#include "model/translation.hpp"
#include "spec/paging_control.hpp"
#include "spec/paging_walk.hpp"

namespace vtspec::checker {

using S = spec::Symbolic;

struct GuestUnknowns {
  spec::PagingControl<S> ctl;
  spec::Access<S> access;
  z3::expr cr3;
  z3::expr linear;

  explicit GuestUnknowns(const std::string& prefix);
  // Well-formedness: an access is one kind; implicit accesses are supervisor-mode; PKRU and
  // IA32_PKRS are 32-bit registers.
  z3::expr well_formed() const;
  // The same facts, in the declarative table's vocabulary (translation facts left unset).
  declarative::RightsFacts<S> facts() const;

  // Concrete registers, features and access from a model. Memory is filled separately.
  void to_state(const z3::model& m, const spec::PagingShape& shape, model::MachineState& state,
                model::AccessRequest& request) const;
};

// Writes every recorded read of `memory` (address and value under `m`) into `state.memory`.
void fill_memory(const z3::model& m, const SymbolicMemory& memory, model::MachineState& state);

std::uint64_t eval_u64(const z3::model& m, const z3::expr& e);
bool eval_bool(const z3::model& m, const z3::expr& e);

}  // namespace vtspec::checker
