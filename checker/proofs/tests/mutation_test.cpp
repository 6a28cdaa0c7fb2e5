// Mutation tests: each known bug, injected into a copy of the rules (checker/mutants), must
// make `vtspec prove` report a counterexample, and that counterexample - read back from the
// `vtspec/state/1` file it was written to - must replay on the real model
// (model::translate) to the architectural behaviour, which the mutant gets wrong.
#include <gtest/gtest.h>

#include <filesystem>

#include "checker/declarative/ept_translation.hpp"
#include "checker/declarative/linear_translation.hpp"
#include "checker/mutants/access_rights_mutant.hpp"
#include "checker/mutants/ept_mutant.hpp"
#include "checker/mutants/tlb_mutant.hpp"
#include "checker/mutants/two_dimensional_mutant.hpp"
#include "checker/proofs/obligation.hpp"
#include "model/translation.hpp"
#include "vectors/format/state_file.hpp"

namespace vtspec::checker {
namespace {

using spec::Concrete;

declarative::RightsFacts<Concrete> facts_of(const model::MachineState& s, const model::AccessRequest& a) {
  using namespace model;
  const bool user = a.cpl == 3 && !a.implicit_supervisor;
  return {user,
          a.kind == spec::AccessKind::write,
          a.kind == spec::AccessKind::fetch,
          a.implicit_supervisor,
          (s.regs.cr0 & cr0::wp) != 0,
          (s.regs.cr4 & cr4::smep) != 0,
          (s.regs.cr4 & cr4::smap) != 0,
          (s.regs.cr4 & cr4::pke) != 0,
          (s.regs.cr4 & cr4::pks) != 0,
          (s.regs.efer & efer::nxe) != 0,
          (s.regs.rflags & rflags::ac) != 0,
          s.regs.pkru,
          s.regs.pkrs,
          false, false, false, 0};
}

// The outcome a mutant gives on a replayed state, in the model's vocabulary.
model::Outcome mutant_outcome(Mutation m, const model::MachineState& s, const model::AccessRequest& req) {
  const auto access = spec::Access<Concrete>::make(req.kind, req.cpl, req.implicit_supervisor);
  const auto ctl = s.paging_control();
  model::Outcome o;
  spec::NoObserver none;
  if (!s.ept) {
    spec::DirectPort<Concrete, const model::PhysicalMemory> port{s.memory, none};
    auto w = spec::walk_paging<Concrete>(s.paging_shape(), ctl, s.regs.cr3, req.linear, access, port);
    mutants::redecide(m, ctl, access, w);
    o.kind = w.translated ? model::OutcomeKind::translated : model::OutcomeKind::page_fault;
    o.physical = w.translated ? w.physical : 0;
    o.error_code = w.page_fault ? w.error_code : 0;
    o.cr2 = w.page_fault ? req.linear : 0;
    return o;
  }
  auto w = mutants::walk_two_dimensional_mutant<Concrete>(m, s.paging_shape(), s.ept_shape(), ctl, s.ept->eptp, s.regs.cr3,
                                                          req.linear, access, s.memory);
  if (m == Mutation::ept_write_only_violation && w.guest.translated) {
    // The final access's EPT translation, classified by the mutant.
    auto fin = w.final_access;
    mutants::apply_ept_mutation<Concrete>(m, fin, s.ept_shape().levels);
    w.ept_violation = fin.violation;
    w.ept_misconfig = fin.misconfig;
    w.translated = fin.translated;
  }
  o.kind = w.translated ? model::OutcomeKind::translated
           : w.page_fault ? model::OutcomeKind::page_fault
           : w.ept_misconfig ? model::OutcomeKind::ept_misconfig
                             : model::OutcomeKind::ept_violation;
  o.physical = w.translated ? w.physical : 0;
  o.error_code = w.page_fault ? w.error_code : 0;
  o.cr2 = w.page_fault ? req.linear : 0;
  o.guest_physical = (w.ept_violation || w.ept_misconfig) ? w.guest_physical : 0;
  o.qualification = w.ept_violation && !w.ept_misconfig ? w.qualification : 0;
  return o;
}

// The declarative SDM transcription's outcome for a native state.
model::Outcome declared_outcome(const model::MachineState& s, const model::AccessRequest& req) {
  const declarative::LinearShape shape{s.paging_levels(), s.features.maxphyaddr, s.features.page1gb};
  const auto v = declarative::translate_linear<Concrete>(shape, facts_of(s, req), s.regs.cr3, req.linear,
                                                         [&](std::uint64_t a) { return s.memory.read64(a); });
  model::Outcome o;
  o.kind = v.page_fault ? model::OutcomeKind::page_fault : model::OutcomeKind::translated;
  o.physical = v.page_fault ? 0 : v.physical;
  o.error_code = v.error_code;
  o.cr2 = v.page_fault ? req.linear : 0;
  return o;
}

class Mutations : public ::testing::TestWithParam<std::size_t> {};

TEST_P(Mutations, EveryObligationThatShouldCatchTheBugReportsAReplayableCounterexample) {
  const MutationInfo& info = mutations().at(GetParam());
  const std::string dir = (std::filesystem::temp_directory_path() / ("vtspec-mutation-" + std::string(info.name))).string();
  std::filesystem::remove_all(dir);
  for (const std::string& name : info.caught_by) {
    const Obligation* ob = nullptr;
    for (const auto& o : obligations()) if (name == o.name) ob = &o;
    ASSERT_NE(ob, nullptr) << name;
    ProveOptions options;
    options.mutation = info.mutation;
    options.counterexample_dir = dir;
    const ObligationResult r = run_obligation(*ob, options);
    ASSERT_EQ(r.verdict, Verdict::counterexample) << info.name << " not caught by " << name << ": " << r.detail;
    ASSERT_TRUE(r.counterexample.has_value());
    if (r.counterexample->tlb_entry) {
      // Replay on the rules model/tlb applies (Tlb::invalidate erases exactly the
      // entries spec::removes selects): the real rule removes the entry, the mutant keeps it.
      ASSERT_TRUE(r.counterexample->tlb_request.has_value());
      const auto& req = *r.counterexample->tlb_request;
      const auto scope = spec::required_invalidation<Concrete>(req);
      EXPECT_TRUE(spec::removes<Concrete>(scope, *r.counterexample->tlb_entry)) << r.counterexample->document;
      EXPECT_FALSE(mutants::removes<Concrete>(info.mutation, req.kind, scope, *r.counterexample->tlb_entry));
      std::printf("%s caught by %s: %s", info.name, name.c_str(), r.counterexample->document.c_str());
      continue;
    }
    if (!r.counterexample->document.empty()) {
      // A claim about a rule's inputs, not a walk (ept-access-derivation): no state to replay.
      std::printf("%s caught by %s: %s", info.name, name.c_str(), r.counterexample->document.c_str());
      continue;
    }
    ASSERT_FALSE(r.counterexample->file.empty());

    // Replay from the file, as `vtspec walk` would.
    const model::MachineState state = vectors::load_state_file(r.counterexample->file);
    const model::AccessRequest& req = r.counterexample->access;
    const model::Translation t = model::translate(state, req);
    const model::Outcome mutant = mutant_outcome(info.mutation, state, req);
    EXPECT_FALSE(t.allowed.at(0).same_result(mutant))
        << name << ": model " << t.allowed[0].describe() << " vs mutant " << mutant.describe();
    if (!state.ept) {
      const model::Outcome declared = declared_outcome(state, req);
      EXPECT_TRUE(t.allowed.at(0).same_result(declared))
          << name << ": model " << t.allowed[0].describe() << " vs SDM table " << declared.describe();
    }
    std::printf("%s caught by %s: model %s, mutant %s (%s)\n", info.name, name.c_str(), t.allowed[0].describe().c_str(),
                mutant.describe().c_str(), r.counterexample->file.c_str());
  }
}

// Entry 0 is the unmodified rules (Mutation::none), which no obligation is meant to catch.
INSTANTIATE_TEST_SUITE_P(All, Mutations, ::testing::Range<std::size_t>(1, mutations().size()), [](const auto& info) {
  std::string n = mutations().at(info.param).name;
  for (char& c : n) if (c == '-') c = '_';
  return n;
});

}  // namespace
}  // namespace vtspec::checker
