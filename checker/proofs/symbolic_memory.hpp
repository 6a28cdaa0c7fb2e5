// A bounded symbolic physical memory for proofs: a Z3 function from 64-bit byte addresses
// to 64-bit values, read 8 bytes at a time at the (8-byte aligned) entry addresses the walks
// form. Implements the `read_host(address, level, active)` interface of spec/ walks and
// records every read, so a counterexample can be turned back into concrete memory.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "spec/symbolic_domain.hpp"

namespace vtspec::checker {

struct SymbolicMemory {
  struct Read {
    z3::expr address;
    z3::expr value;
    unsigned level;
    z3::expr active;  // the read really happens (see spec/guest_physical_port.hpp)
  };
  // An optional one-entry patch: the 8 bytes at `patch_address` read as
  // (contents | patch_set) & ~patch_clear. Monotonicity compares a memory with its patch.
  std::optional<z3::expr> patch_address;
  std::uint64_t patch_set = 0, patch_clear = 0;
  // An uninterpreted function rather than an array: reads are all there is (no stores), and
  // functions let the solver use Ackermann reduction to pure bit-vectors.
  z3::func_decl contents;
  std::vector<Read> reads;

  explicit SymbolicMemory(const std::string& name)
      : contents(spec::Symbolic::context().function(name.c_str(), spec::Symbolic::context().bv_sort(64),
                                                    spec::Symbolic::context().bv_sort(64))) {}
  SymbolicMemory(const z3::func_decl& f) : contents(f) {}

  z3::expr value_at(const z3::expr& address) const {
    z3::expr v = contents(address);
    if (!patch_address) return v;
    return z3::ite(address == *patch_address,
                   (v | spec::Symbolic::word(patch_set)) & spec::Symbolic::word(~patch_clear), v);
  }
  z3::expr read(const z3::expr& address) {
    z3::expr v = value_at(address);
    reads.push_back({address, v, 0, spec::Symbolic::truth(true)});
    return v;
  }
  z3::expr read_host(const z3::expr& address, unsigned level, const z3::expr& active) {
    z3::expr v = value_at(address);
    reads.push_back({address, v, level, active});
    return v;
  }
};

}  // namespace vtspec::checker
