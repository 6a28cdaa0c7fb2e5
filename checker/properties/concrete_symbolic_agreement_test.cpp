// The spec's rules are written once over a value domain (spec/domain.hpp). This property
// checks that the two instantiations are the same function: the Z3 term built by the
// Symbolic domain - over unknown control registers, addresses, accesses and an unknown
// memory array - evaluates, once the unknowns are replaced by random concrete values, to
// exactly what the Concrete walk computes on those values, field by field.
#include <gtest/gtest.h>
// rapidcheck's gtest integration needs gtest declared first.
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "checker/properties/random_walk_inputs.hpp"
#include "spec/symbolic_domain.hpp"
#include "spec/two_dimensional_walk.hpp"

namespace vtspec::checker {
namespace {

using spec::Concrete;
using spec::Symbolic;
using Expr = z3::expr;

z3::sort word_sort() { return Symbolic::context().bv_sort(64); }

// Memory as a Z3 array from 64-bit addresses to 64-bit words. An inactive reference reads
// zero, as the concrete memory's does.
struct SymbolicMemory {
  Expr array;
  Expr read_host(const Expr& address, unsigned /*level*/, const Expr& active) const {
    return z3::ite(active, z3::select(array, address), Symbolic::word(0));
  }
};

// The unknowns of a term and the concrete values they take.
class Bindings {
 public:
  Expr word(const char* name, std::uint64_t value) {
    Expr v = Symbolic::unknown_word(name);
    add(v, Symbolic::word(value));
    return v;
  }
  Expr truth(const char* name, bool value) {
    Expr v = Symbolic::unknown_bool(name);
    add(v, Symbolic::truth(value));
    return v;
  }
  // The memory array, bound to exactly the words the concrete walk read (others read 0
  // in both, since a reference the concrete walk did not make is inactive).
  Expr memory(const RandomMemory& concrete) {
    auto& ctx = Symbolic::context();
    Expr array = ctx.constant("memory", ctx.array_sort(word_sort(), word_sort()));
    Expr contents = z3::const_array(word_sort(), Symbolic::word(0));
    for (const auto& [address, value] : concrete.touched)
      contents = z3::store(contents, Symbolic::word(address), Symbolic::word(value));
    add(array, contents);
    return array;
  }
  spec::PagingControl<Symbolic> control(const spec::PagingControl<Concrete>& c) {
    spec::PagingControl<Symbolic> s;
    s.cr0_wp = truth("cr0.wp", c.cr0_wp);
    s.cr4_pge = truth("cr4.pge", c.cr4_pge);
    s.cr4_smep = truth("cr4.smep", c.cr4_smep);
    s.cr4_smap = truth("cr4.smap", c.cr4_smap);
    s.cr4_pke = truth("cr4.pke", c.cr4_pke);
    s.cr4_pks = truth("cr4.pks", c.cr4_pks);
    s.efer_nxe = truth("efer.nxe", c.efer_nxe);
    s.rflags_ac = truth("rflags.ac", c.rflags_ac);
    s.pkru = word("pkru", c.pkru);
    s.pkrs = word("pkrs", c.pkrs);
    return s;
  }
  spec::Access<Symbolic> access(const spec::Access<Concrete>& a) {
    spec::Access<Symbolic> s;
    s.write = truth("access.write", a.write);
    s.fetch = truth("access.fetch", a.fetch);
    s.user = truth("access.user", a.user);
    s.implicit = truth("access.implicit", a.implicit);
    return s;
  }
  spec::EptAccess<Symbolic> ept_access(const spec::EptAccess<Concrete>& a) {
    spec::EptAccess<Symbolic> s;
    s.read = truth("ept.read", a.read);
    s.write = truth("ept.write", a.write);
    s.fetch = truth("ept.fetch", a.fetch);
    s.linear_user = truth("ept.linear_user", a.linear_user);
    return s;
  }
  spec::EptAccessOrigin<Symbolic> ept_origin(const spec::EptAccessOrigin<Concrete>& o) {
    spec::EptAccessOrigin<Symbolic> s;
    s.read_modify_write = truth("ept.rmw", o.read_modify_write);
    s.linear_valid = truth("ept.linear_valid", o.linear_valid);
    s.to_final_translation = truth("ept.final", o.to_final_translation);
    s.linear_writable = truth("ept.linear_writable", o.linear_writable);
    s.linear_exec_disabled = truth("ept.linear_xd", o.linear_exec_disabled);
    return s;
  }

  // All `terms` at once under the bindings (one traversal of their shared DAG): each
  // must simplify to a constant.
  std::vector<Expr> evaluate(const std::vector<Expr>& terms) const {
    auto& ctx = Symbolic::context();
    z3::sort_vector domain(ctx);
    z3::expr_vector args(ctx);
    for (const auto& t : terms) {
      domain.push_back(t.get_sort());
      args.push_back(t);
    }
    const z3::func_decl tuple = ctx.function("outputs", domain, ctx.bool_sort());
    Expr packed = tuple(args);
    const Expr done = packed.substitute(from_, to_).simplify();
    std::vector<Expr> out;
    for (unsigned i = 0; i < done.num_args(); ++i) out.push_back(done.arg(i));
    return out;
  }

 private:
  void add(const Expr& var, const Expr& value) {
    from_.push_back(var);
    to_.push_back(value);
  }
  mutable z3::expr_vector from_{Symbolic::context()};
  mutable z3::expr_vector to_{Symbolic::context()};
};

// Pairs of (symbolic term, concrete value) that must agree.
class Comparison {
 public:
  void truth(const char* name, const Expr& term, bool value, unsigned level = 0) { add(name, level, term, value); }
  void word(const char* name, const Expr& term, std::uint64_t value, unsigned level = 0) { add(name, level, term, value); }

  void check(const Bindings& b) const {
    const std::vector<Expr> values = b.evaluate(terms_);
    RC_ASSERT(values.size() == terms_.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      std::uint64_t v = 0;
      if (values[i].is_true()) v = 1;
      else if (values[i].is_false()) v = 0;
      else if (!values[i].is_numeral_u64(v)) RC_FAIL(names_[i] + " did not evaluate to a constant");
      if (v != expected_[i])
        RC_FAIL(names_[i] + ": symbolic " + std::to_string(v) + ", concrete " + std::to_string(expected_[i]));
    }
  }

 private:
  void add(const char* name, unsigned level, const Expr& term, std::uint64_t value) {
    names_.push_back(level ? std::string(name) + " level " + std::to_string(level) : std::string(name));
    terms_.push_back(term);
    expected_.push_back(value);
  }
  std::vector<std::string> names_;
  std::vector<Expr> terms_;
  std::vector<std::uint64_t> expected_;
};

void expect_same_guest_walk(Comparison& cmp, const spec::PagingWalk<Symbolic>& s, const spec::PagingWalk<Concrete>& c,
                            unsigned levels) {
  cmp.truth("s.translated", s.translated, c.translated);
  cmp.truth("s.page_fault", s.page_fault, c.page_fault);
  cmp.truth("s.port_fault", s.port_fault, c.port_fault);
  cmp.word("s.physical", s.physical, c.physical);
  cmp.word("s.error_code", s.error_code, c.error_code);
  cmp.word("s.leaf_level", s.leaf_level, c.leaf_level);
  cmp.truth("s.reached_leaf", s.reached_leaf, c.reached_leaf);
  cmp.truth("s.key_fault", s.key_fault, c.key_fault);
  cmp.truth("s.rights.user", s.rights.user, c.rights.user);
  cmp.truth("s.rights.writable", s.rights.writable, c.rights.writable);
  cmp.truth("s.rights.exec_disabled", s.rights.exec_disabled, c.rights.exec_disabled);
  cmp.word("s.rights.protection_key", s.rights.protection_key, c.rights.protection_key);
  cmp.truth("s.sets_dirty", s.sets_dirty, c.sets_dirty);
  for (unsigned level = 1; level <= levels; ++level) {
    cmp.truth("s.read[level]", s.read[level], c.read[level], level);
    if (c.read[level]) {  // a concrete walk leaves the levels it never reached untouched
      cmp.word("s.entry_address[level]", s.entry_address[level], c.entry_address[level], level);
      cmp.word("s.entry[level]", s.entry[level], c.entry[level], level);
    }
    cmp.truth("s.used[level]", s.used[level], c.used[level], level);
    cmp.truth("s.sets_accessed[level]", s.sets_accessed[level], c.sets_accessed[level], level);
    cmp.truth("s.may_set_accessed[level]", s.may_set_accessed[level], c.may_set_accessed[level], level);
  }
}

void expect_same_ept_walk(Comparison& cmp, const spec::EptWalk<Symbolic>& s, const spec::EptWalk<Concrete>& c,
                          unsigned levels) {
  cmp.truth("s.translated", s.translated, c.translated);
  cmp.truth("s.violation", s.violation, c.violation);
  cmp.truth("s.misconfig", s.misconfig, c.misconfig);
  cmp.word("s.physical", s.physical, c.physical);
  cmp.word("s.leaf_level", s.leaf_level, c.leaf_level);
  cmp.truth("s.rights.readable", s.rights.readable, c.rights.readable);
  cmp.truth("s.rights.writable", s.rights.writable, c.rights.writable);
  cmp.truth("s.rights.executable", s.rights.executable, c.rights.executable);
  cmp.truth("s.rights.user_executable", s.rights.user_executable, c.rights.user_executable);
  cmp.truth("s.not_present", s.not_present, c.not_present);
  cmp.truth("s.misconfiguration.reserved_bit", s.misconfiguration.reserved_bit, c.misconfiguration.reserved_bit);
  cmp.truth("s.misconfiguration.write_without_read", s.misconfiguration.write_without_read,
            c.misconfiguration.write_without_read);
  cmp.truth("s.misconfiguration.execute_only_unsupported", s.misconfiguration.execute_only_unsupported,
            c.misconfiguration.execute_only_unsupported);
  cmp.truth("s.misconfiguration.memory_type", s.misconfiguration.memory_type, c.misconfiguration.memory_type);
  cmp.word("s.misconfiguration.level", s.misconfiguration.level, c.misconfiguration.level);
  cmp.truth("s.sets_dirty", s.sets_dirty, c.sets_dirty);
  for (unsigned level = 1; level <= levels; ++level) {
    cmp.truth("s.read[level]", s.read[level], c.read[level], level);
    if (c.read[level]) {
      cmp.word("s.entry_address[level]", s.entry_address[level], c.entry_address[level], level);
      cmp.word("s.entry[level]", s.entry[level], c.entry[level], level);
    }
    cmp.truth("s.sets_accessed[level]", s.sets_accessed[level], c.sets_accessed[level], level);
    cmp.truth("s.may_set_accessed[level]", s.may_set_accessed[level], c.may_set_accessed[level], level);
  }
}

RC_GTEST_PROP(ConcreteSymbolicAgreement, GuestPagingWalk, ()) {
  const RandomPools pools = *gen_pools();
  const GuestInputs in = *gen_guest_inputs();
  RC_TAG(in.shape.levels);

  RandomMemory memory{pools, {}, {}};
  spec::NoObserver none;
  spec::DirectPort<Concrete, RandomMemory> port{memory, none};
  const auto concrete = spec::walk_paging<Concrete>(in.shape, in.ctl, in.cr3, in.linear, in.access(), port, in.policy());
  RC_CLASSIFY(concrete.translated, "translated");
  RC_CLASSIFY(concrete.page_fault, "page fault");

  Bindings b;
  SymbolicMemory sym_memory{b.memory(memory)};
  spec::DirectPort<Symbolic, SymbolicMemory> sym_port{sym_memory, none};
  const auto symbolic = spec::walk_paging<Symbolic>(in.shape, b.control(in.ctl), b.word("cr3", in.cr3),
                                                    b.word("linear", in.linear), b.access(in.access()), sym_port,
                                                    in.policy());
  Comparison cmp;
  expect_same_guest_walk(cmp, symbolic, concrete, in.shape.levels);
  cmp.check(b);
}

RC_GTEST_PROP(ConcreteSymbolicAgreement, EptWalk, ()) {
  const RandomPools pools = *gen_pools();
  const EptInputs ept = *gen_ept_inputs();
  const auto in = *gen_ept_access();
  const std::uint64_t gpa = *gen_guest_physical();

  RandomMemory memory{pools, {}, {}};
  const auto concrete = spec::walk_ept<Concrete>(ept.shape, ept.eptp, gpa, in.access, memory);
  const auto concrete_q = spec::ept_violation_qualification<Concrete>(ept.shape.caps, concrete, in.origin);
  RC_CLASSIFY(concrete.translated, "translated");
  RC_CLASSIFY(concrete.violation, "violation");
  RC_CLASSIFY(concrete.misconfig, "misconfiguration");

  Bindings b;
  SymbolicMemory sym_memory{b.memory(memory)};
  const auto symbolic = spec::walk_ept<Symbolic>(ept.shape, b.word("eptp", ept.eptp), b.word("gpa", gpa),
                                                 b.ept_access(in.access), sym_memory);
  const auto symbolic_q = spec::ept_violation_qualification<Symbolic>(ept.shape.caps, symbolic, b.ept_origin(in.origin));
  Comparison cmp;
  expect_same_ept_walk(cmp, symbolic, concrete, ept.shape.levels);
  cmp.word("qualification", symbolic_q.value, concrete_q.value);
  cmp.word("qualification undefined", symbolic_q.undefined, concrete_q.undefined);
  cmp.check(b);
}

RC_GTEST_PROP(ConcreteSymbolicAgreement, TwoDimensionalWalk, ()) {
  const RandomPools pools = *gen_pools();
  const GuestInputs in = *gen_guest_inputs();
  EptInputs ept = *gen_ept_inputs();
  ept.shape.caps.maxphyaddr = in.shape.maxphyaddr;  // one machine, one physical-address width

  RandomMemory memory{pools, {}, {}};
  spec::NoObserver none;
  const auto concrete = spec::walk_two_dimensional<Concrete>(in.shape, ept.shape, in.ctl, ept.eptp, in.cr3, in.linear,
                                                             in.access(), memory, none, in.policy());
  RC_CLASSIFY(concrete.translated, "translated");
  RC_CLASSIFY(concrete.page_fault, "page fault");
  RC_CLASSIFY(concrete.ept_violation, "EPT violation");
  RC_CLASSIFY(concrete.ept_misconfig, "EPT misconfiguration");

  Bindings b;
  SymbolicMemory sym_memory{b.memory(memory)};
  const auto symbolic = spec::walk_two_dimensional<Symbolic>(
      in.shape, ept.shape, b.control(in.ctl), b.word("eptp", ept.eptp), b.word("cr3", in.cr3),
      b.word("linear", in.linear), b.access(in.access()), sym_memory, none, in.policy());

  Comparison cmp;
  cmp.truth("symbolic.translated", symbolic.translated, concrete.translated);
  cmp.truth("symbolic.page_fault", symbolic.page_fault, concrete.page_fault);
  cmp.truth("symbolic.ept_violation", symbolic.ept_violation, concrete.ept_violation);
  cmp.truth("symbolic.ept_misconfig", symbolic.ept_misconfig, concrete.ept_misconfig);
  cmp.word("symbolic.physical", symbolic.physical, concrete.physical);
  cmp.word("symbolic.error_code", symbolic.error_code, concrete.error_code);
  cmp.word("symbolic.guest_physical", symbolic.guest_physical, concrete.guest_physical);
  cmp.word("symbolic.qualification", symbolic.qualification, concrete.qualification);
  cmp.word("symbolic.qualification_undefined", symbolic.qualification_undefined, concrete.qualification_undefined);
  expect_same_guest_walk(cmp, symbolic.guest, concrete.guest, in.shape.levels);
  expect_same_ept_walk(cmp, symbolic.final_access, concrete.final_access, ept.shape.levels);
  cmp.check(b);
}

}  // namespace
}  // namespace vtspec::checker
