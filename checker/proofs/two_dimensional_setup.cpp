#include "checker/proofs/two_dimensional_setup.hpp"

#include "checker/mutants/access_rights_mutant.hpp"
#include "checker/mutants/two_dimensional_mutant.hpp"

namespace vtspec::checker {

spec::TwoDimensionalWalk<S> TwoDimensionalSetup::walk(Mutation m) {
  return mutants::walk_two_dimensional_mutant<S>(m, guest_shape, ept_shape, guest.ctl, ept.eptp, guest.cr3, guest.linear,
                                                 guest.access, memory);
}

Counterexample TwoDimensionalSetup::counterexample(const z3::model& m, const std::string& case_name) const {
  Counterexample c;
  c.case_name = case_name;
  guest.to_state(m, guest_shape, c.state, c.access);
  c.state.ept = model::EptSettings{eval_u64(m, ept.eptp), ept_shape.caps};
  c.state.ept->caps.maxphyaddr = c.state.features.maxphyaddr;
  fill_memory(m, memory, c.state);
  return c;
}

}  // namespace vtspec::checker
