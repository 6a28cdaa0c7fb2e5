// The free inputs of a two-dimensional walk in proofs: guest registers and access
// (GuestUnknowns), a valid EPTP (EptUnknowns) and one symbolic host-physical memory that
// holds both the guest's paging structures and the EPT tables.
#pragma once

#include <string>

#include "checker/proofs/ept_unknowns.hpp"
#include "checker/proofs/obligation.hpp"
#include "spec/two_dimensional_walk.hpp"

namespace vtspec::checker {

struct TwoDimensionalSetup {
  spec::PagingShape guest_shape;
  spec::EptShape ept_shape;
  GuestUnknowns guest{"g."};
  EptUnknowns ept{"e."};
  SymbolicMemory memory{"host"};

  // MAXPHYADDR is the smallest the architecture allows (36): the rules are uniform in M
  // (obligations 1 and 2 cover M = 46 and 52), and fewer free address bits keep these
  // whole-walk queries small.
  TwoDimensionalSetup(unsigned guest_levels, unsigned ept_levels, unsigned maxphyaddr = 36) {
    guest_shape.levels = guest_levels;
    guest_shape.maxphyaddr = maxphyaddr;
    ept_shape.caps.maxphyaddr = maxphyaddr;
    ept_shape.levels = ept_levels;
    ept_shape.caps.walk_length_5 = true;
  }
  z3::expr well_formed() const { return guest.well_formed() && ept.well_formed(ept_shape); }
  spec::TwoDimensionalWalk<S> walk(Mutation m);
  // The concrete state (registers, EPT, every memory word read) of a model.
  Counterexample counterexample(const z3::model& model, const std::string& case_name) const;
};

}  // namespace vtspec::checker
