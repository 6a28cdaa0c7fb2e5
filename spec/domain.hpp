// The value domain every architectural rule in spec/ is written over.
//
// A rule is a function template over a domain D that supplies
//   D::Word  - a 64-bit bit-vector (an entry, an address, a register);
//   D::Bool  - a truth value;
// and a handful of static operations. `&, |, ^, ~` on Words and `&&, ||, !` on Bools are
// the language's own operators, which both domains support. Constants always go through
// D::word()/D::truth() so that the symbolic domain can build them in its Z3 context.
//
// Rules never branch on a Word or Bool with `if`: they compute with D::ite instead, so the
// same text is an executable function (Concrete) and a Z3 term (Symbolic, in
// symbolic_domain.hpp). The one concession is D::may_be_true, which lets a concrete walk
// stop early when a condition is already known false; the symbolic domain answers "maybe"
// and the walk unrolls to its full, statically bounded length.
#pragma once

#include <concepts>
#include <cstdint>

namespace vtspec::spec {

// Mask of bits hi..lo inclusive (hi >= lo, hi <= 63).
constexpr std::uint64_t bit_range(unsigned hi, unsigned lo) {
  const std::uint64_t upper = hi >= 63 ? ~std::uint64_t{0} : ((std::uint64_t{1} << (hi + 1)) - 1);
  return upper & ~((std::uint64_t{1} << lo) - 1);
}

constexpr std::uint64_t bit_at(unsigned n) { return std::uint64_t{1} << n; }

struct Concrete {
  using Word = std::uint64_t;
  using Bool = bool;

  static Word word(std::uint64_t v) { return v; }
  static Bool truth(bool b) { return b; }
  static Word ite(Bool c, Word a, Word b) { return c ? a : b; }
  static Bool ite(Bool c, Bool a, Bool b) { return c ? a : b; }
  static Bool bit(Word w, unsigned n) { return ((w >> n) & 1u) != 0; }
  static Bool any(Word w, std::uint64_t mask) { return (w & mask) != 0; }
  static Word field(Word w, unsigned hi, unsigned lo) { return (w & bit_range(hi, lo)) >> lo; }
  static Word shift_left(Word w, unsigned n) { return w << n; }
  static Word shift_right(Word w, unsigned n) { return w >> n; }
  // Shift by a Word amount (amount < 64).
  static Word shift_right(Word w, Word n) { return w >> n; }
  // A literal amount (an int) is neither of the two above exactly: this one takes it.
  static Word shift_right(Word w, int n) { return w >> n; }
  static Word from_bool(Bool b) { return b ? 1u : 0u; }
  static Bool ult(Word a, Word b) { return a < b; }  // unsigned a < b
  static bool may_be_true(Bool b) { return b; }
};

template <class D>
concept ValueDomain = requires(typename D::Word w, typename D::Bool b) {
  { D::word(std::uint64_t{0}) } -> std::convertible_to<typename D::Word>;
  { D::truth(true) } -> std::convertible_to<typename D::Bool>;
  { D::ite(b, w, w) } -> std::convertible_to<typename D::Word>;
  { D::ite(b, b, b) } -> std::convertible_to<typename D::Bool>;
  { D::bit(w, 0u) } -> std::convertible_to<typename D::Bool>;
  { D::any(w, std::uint64_t{1}) } -> std::convertible_to<typename D::Bool>;
  { D::field(w, 1u, 0u) } -> std::convertible_to<typename D::Word>;
  { D::from_bool(b) } -> std::convertible_to<typename D::Word>;
  { D::may_be_true(b) } -> std::same_as<bool>;
};

static_assert(ValueDomain<Concrete>);

}  // namespace vtspec::spec
