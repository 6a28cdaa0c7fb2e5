// The symbolic instantiation of the value domain (see domain.hpp): Words are 64-bit Z3
// bit-vectors and Bools are Z3 booleans, so a rule evaluated here yields the Z3 term that
// the checker's proof obligations reason about. Only checker/ includes this header.
#pragma once

#include <z3++.h>

#include "spec/domain.hpp"

namespace vtspec::spec {

struct Symbolic {
  using Word = z3::expr;
  using Bool = z3::expr;

  // One context per thread; every term built by the rules lives in it.
  static z3::context& context() {
    thread_local z3::context ctx;
    return ctx;
  }
  static Word word(std::uint64_t v) { return context().bv_val(static_cast<uint64_t>(v), 64); }
  static Bool truth(bool b) { return context().bool_val(b); }
  static Word ite(const Bool& c, const Word& a, const Word& b) { return z3::ite(c, a, b); }
  static Bool bit(const Word& w, unsigned n) { return w.extract(n, n) == context().bv_val(1, 1); }
  static Bool any(const Word& w, std::uint64_t mask) { return (w & word(mask)) != word(0); }
  static Word field(const Word& w, unsigned hi, unsigned lo) {
    return hi - lo == 63 ? w : z3::zext(w.extract(hi, lo), 63 - (hi - lo));
  }
  static Word shift_left(const Word& w, unsigned n) { return z3::shl(w, word(n)); }
  static Word shift_right(const Word& w, unsigned n) { return z3::lshr(w, word(n)); }
  static Word shift_right(const Word& w, const Word& n) { return z3::lshr(w, n); }
  static Word from_bool(const Bool& b) { return z3::ite(b, word(1), word(0)); }
  static Bool ult(const Word& a, const Word& b) { return z3::ult(a, b); }
  static bool may_be_true(const Bool&) { return true; }

  // Fresh unknowns for proof obligations.
  static Word unknown_word(const char* name) { return context().bv_const(name, 64); }
  static Bool unknown_bool(const char* name) { return context().bool_const(name); }
};

static_assert(ValueDomain<Symbolic>);

}  // namespace vtspec::spec
