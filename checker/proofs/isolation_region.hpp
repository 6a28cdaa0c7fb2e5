// A host-physical region [lo, hi) with free bounds, for the isolation obligations
// ("ept-isolation", "npt-isolation"): the VM's memory R and the second-stage tables T.
#pragma once

#include <string>

#include "spec/symbolic_domain.hpp"

namespace vtspec::checker {

struct Region {
  using S = spec::Symbolic;
  z3::expr lo, hi;
  explicit Region(const std::string& name)
      : lo(S::unknown_word((name + ".lo").c_str())), hi(S::unknown_word((name + ".hi").c_str())) {}
  // Page-aligned, not empty, below 2^maxphyaddr.
  z3::expr well_formed(unsigned maxphyaddr) const {
    return (lo & S::word(0xfff)) == S::word(0) && (hi & S::word(0xfff)) == S::word(0) && z3::ult(lo, hi) &&
           z3::ule(hi, S::word(std::uint64_t{1} << maxphyaddr));
  }
  z3::expr contains(const z3::expr& a) const { return z3::uge(a, lo) && z3::ult(a, hi); }
  // [base, base + size) lies in the region (no wrap-around: base < 2^52 in every use).
  z3::expr holds(const z3::expr& base, std::uint64_t size) const {
    return z3::uge(base, lo) && z3::ule(base + S::word(size), hi);
  }
  z3::expr disjoint(const Region& o) const { return z3::ule(hi, o.lo) || z3::ule(o.hi, lo); }
};

}  // namespace vtspec::checker
