// Mutation tests: each known bug, injected into a copy of the rules (checker/mutants), must
// make `vtspec prove` report a counterexample, and that counterexample - read back from the
// `vtspec/state/1` file it was written to - must replay on the real model
// (model::translate) to the architectural behaviour, which the mutant gets wrong.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "checker/declarative/ept_translation.hpp"
#include "checker/declarative/linear_translation.hpp"
#include "checker/mutants/access_rights_mutant.hpp"
#include "checker/mutants/ept_mutant.hpp"
#include "checker/mutants/tlb_mutant.hpp"
#include "checker/mutants/two_dimensional_mutant.hpp"
#include "checker/declarative/exception_exiting.hpp"
#include "checker/mutants/vm_entry_mutant.hpp"
#include "checker/mutants/vtd_mutant.hpp"
#include "checker/mutants/vtd_cache_mutant.hpp"
#include "checker/mutants/nested_paging_mutant.hpp"
#include "checker/mutants/vmrun_mutant.hpp"
#include "model/iommu/remapping_unit.hpp"
#include "spec/vmx/exception_exiting.hpp"
#include "checker/proofs/obligation.hpp"
#include "checker/proofs/shadow_coherence.hpp"
#include "checker/proofs/vtd_cached_isolation.hpp"
#include "model/translation.hpp"
#include "vectors/format/state_file.hpp"
#include "vectors/format/vector_file.hpp"
#include "vectors/format/vmx_entry_file.hpp"

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

// The memory words of a VT-d counterexample; words it does not list read as zero.
struct VtdReplayMemory {
  std::map<std::uint64_t, std::uint64_t> words;
  std::uint64_t read_host(std::uint64_t a, unsigned, bool) const {
    const auto it = words.find(a);
    return it == words.end() ? 0 : it->second;
  }
};

// The levels whose flags a native walk of `req` asks to write back (its update_entry_flags
// requests), with the guest-dirty-on-non-leaf mutant planted or not.
std::vector<bool> update_requests(Mutation m, const model::MachineState& s, const model::AccessRequest& req) {
  struct Recording {
    spec::DirectPort<Concrete, const model::PhysicalMemory> direct;
    std::vector<bool> update = std::vector<bool>(6, false);
    spec::PortRead<Concrete> read_entry(std::uint64_t a, unsigned level, bool active) { return direct.read_entry(a, level, active); }
    bool update_entry_flags(std::uint64_t, unsigned level, bool requested) {
      update[level] = update[level] || requested;
      return false;
    }
  };
  spec::NoObserver none;
  Recording port{{s.memory, none}};
  const auto access = spec::Access<Concrete>::make(req.kind, req.cpl, req.implicit_supervisor);
  const auto w = spec::walk_paging<Concrete>(s.paging_shape(), s.paging_control(), s.regs.cr3, req.linear, access, port);
  mutants::redecide_updates<Concrete>(m, access, w, port.update);
  return port.update;
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
    if (const auto& d = r.counterexample->vtd_dma) {
      // Replay the DMA over the counterexample's memory: the real walk (spec::iommu::walk_vtd)
      // faults with the reason VT-d 7.1.3 gives the condition the mutant drops - 5 for a write
      // through W = 0, 4 for an input address beyond min(MGAW, AGAW) - and the mutant's walk
      // does something else.
      VtdReplayMemory mem;
      for (const auto& [a, v] : d->memory) mem.words[a] = v;
      const auto p = model::iommu::profile(d->profile);
      spec::iommu::VtdShape shape;
      shape.cap.raw = p.cap;
      shape.ecap.raw = p.ecap;
      shape.haw = d->haw;  // the profile's, recorded with the counterexample
      EXPECT_EQ(d->haw, p.haw);
      const spec::iommu::DmaAccess<Concrete> dma{d->source_id, d->iova, d->write};
      const auto real = spec::iommu::walk_vtd<Concrete>(shape, d->rtaddr, dma, mem);
      const auto bug = mutants::walk_vtd_mutant<Concrete>(info.mutation, shape, d->rtaddr, dma, mem);
      const unsigned expected = info.mutation == Mutation::vtd_ignore_write_permission ? 0x5 : 0x4;
      EXPECT_FALSE(real.translated) << r.counterexample->document;
      EXPECT_EQ(static_cast<unsigned>(spec::iommu::fault_reason_of(real)), expected) << r.counterexample->document;
      EXPECT_TRUE(bug.translated || bug.failure != real.failure) << r.counterexample->document;
      EXPECT_FALSE(r.counterexample->file.empty());
      std::printf("%s caught by %s: %s (%s)\n", info.name, name.c_str(), r.counterexample->explanation.c_str(),
                  r.counterexample->file.c_str());
      continue;
    }
    if (const auto& x = r.counterexample->vtd_cache) {
      if (x->entry) {
        // Replay on the rule model/iommu applies: after the required invalidations the real rule
        // has removed the stale entry, the mutant's keeps it.
        bool real_removed = false, bug_removed = false;
        for (const auto& q : x->requests) {
          real_removed = real_removed || spec::iommu::removes<Concrete>(spec::iommu::required_invalidation<Concrete>(q), *x->entry);
          bug_removed = bug_removed || spec::iommu::removes<Concrete>(mutants::required_cache_invalidation<Concrete>(info.mutation, q), *x->entry);
        }
        EXPECT_TRUE(real_removed) << r.counterexample->document;
        EXPECT_FALSE(bug_removed) << r.counterexample->document;
      } else {
        // Replay the DMA sequence on the model's remapping unit, without and with the planted
        // bug: the last DMA's allowed outcomes differ, and only the bug's leave the region.
        ASSERT_FALSE(x->sequence.empty());
        auto replay = [&](bool planted) {
          CachedIsolationMachine machine(planted);
          std::vector<model::iommu::DmaOutcome> last;
          for (const auto& op : x->sequence) last = machine.apply(op);
          return last;
        };
        const auto [lo, hi] = CachedIsolationMachine::region(x->sequence.back().source_id);
        auto outside = [&](const std::vector<model::iommu::DmaOutcome>& all) {
          return std::any_of(all.begin(), all.end(), [&](const auto& o) { return o.physical && (*o.physical < lo || *o.physical >= hi); });
        };
        EXPECT_FALSE(outside(replay(false))) << r.counterexample->document;
        EXPECT_TRUE(outside(replay(true))) << r.counterexample->document;
      }
      std::printf("%s caught by %s: %s\n", info.name, name.c_str(), r.counterexample->explanation.c_str());
      continue;
    }
    if (const auto& n = r.counterexample->npt) {
      // Replay the access over the counterexample's memory: the real nested-paging walk
      // (spec::svm::walk_nested_paging) and the mutant's give different outcomes, and the
      // real one follows the declarative reading of APM 15.25.5 (a user access).
      const auto& st = r.counterexample->state;
      const auto& req = r.counterexample->access;
      spec::svm::NestedPagingMode mode;
      mode.levels = n->nested_levels;
      mode.maxphyaddr = n->maxphyaddr;
      mode.nxe = n->nested_nxe;
      spec::PagingShape shape = st.paging_shape();
      const auto access = spec::Access<Concrete>::make(req.kind, req.cpl, req.implicit_supervisor);
      spec::NoObserver none;
      const auto real = spec::svm::walk_nested_paging<Concrete>(shape, mode, st.paging_control(), n->ncr3, st.regs.cr3,
                                                                req.linear, access, st.memory, none);
      const auto bug = mutants::walk_nested_paging_mutant<Concrete>(info.mutation, shape, mode, st.paging_control(), n->ncr3,
                                                                    st.regs.cr3, req.linear, access, st.memory);
      EXPECT_TRUE(real.translated != bug.translated || real.nested_page_fault != bug.nested_page_fault ||
                  real.exit_info1 != bug.exit_info1 || real.physical != bug.physical)
          << r.counterexample->document;
      EXPECT_FALSE(r.counterexample->file.empty());
      std::printf("%s caught by %s: %s\n", info.name, name.c_str(), r.counterexample->explanation.c_str());
      continue;
    }
    if (const auto& x = r.counterexample->vmrun) {
      // Replay the VMCB on the real check and on the mutant's: they disagree on the row.
      spec::svm::VmrunInput<Concrete> in;
      in.efer = x->efer, in.cr0 = x->cr0, in.cr3 = x->cr3, in.cr4 = x->cr4, in.dr6 = x->dr6, in.dr7 = x->dr7;
      in.cs_attrib = x->cs_attrib, in.intercept_misc2 = x->intercept_misc2, in.asid = x->asid;
      in.iopm_base = x->iopm_base, in.msrpm_base = x->msrpm_base, in.event_injection = x->event_injection;
      const spec::svm::SvmCapabilities caps;
      std::optional<bool> real, bug;
      for (const auto& row : spec::svm::vmrun_consistency_checks<Concrete>())
        if (row.id == x->check_id) real = row.holds(in, caps);
      for (const auto& row : mutants::vmrun_consistency_checks<Concrete>(info.mutation))
        if (row.id == x->check_id) bug = row.holds(in, caps);
      ASSERT_TRUE(real && bug) << x->check_id;
      EXPECT_FALSE(*real) << r.counterexample->document;  // the APM's condition: VMEXIT_INVALID
      EXPECT_TRUE(*bug) << r.counterexample->document;
      std::printf("%s caught by %s: %s\n", info.name, name.c_str(), r.counterexample->explanation.c_str());
      continue;
    }
    if (r.counterexample->tlb_entry) {
      // Replay on the rules model/tlb applies (Tlb::invalidate erases exactly the
      // entries spec::removes selects): the real rule and the mutant disagree on the entry -
      // the mutant keeps one the SDM requires removed, or removes one the SDM lets survive.
      ASSERT_TRUE(r.counterexample->tlb_request.has_value());
      const auto& req = *r.counterexample->tlb_request;
      const auto scope = spec::required_invalidation<Concrete>(req);
      const bool real = spec::removes<Concrete>(scope, *r.counterexample->tlb_entry);
      EXPECT_NE(real, mutants::removes<Concrete>(info.mutation, req.kind, scope, *r.counterexample->tlb_entry))
          << r.counterexample->document;
      // Which way round is in the explanation the obligation gives.
      EXPECT_NE(r.counterexample->explanation.find(real ? "leaves entry" : "which the SDM does not require"), std::string::npos)
          << r.counterexample->explanation;
      std::printf("%s caught by %s: %s", info.name, name.c_str(), r.counterexample->document.c_str());
      continue;
    }
    if (const auto& x = r.counterexample->exception_exit) {
      // The real rule agrees with the SDM's two cases (25.6.3); the mutant gives the other answer.
      const bool real = spec::vmx::exception_causes_exit<Concrete>(x->bitmap, x->vector, x->error_code, x->pfec_mask,
                                                                  x->pfec_match);
      EXPECT_EQ(real, declarative::exception_exits<Concrete>(x->bitmap, x->vector, x->error_code, x->pfec_mask,
                                                            x->pfec_match));
      EXPECT_EQ(x->vector, 14u);  // only the #PF rule is mutated
      std::printf("%s caught by %s: %s\n", info.name, name.c_str(), r.counterexample->explanation.c_str());
      continue;
    }
    if (r.counterexample->vmx_entry) {
      // VM entry: the real check table and outcome rule (spec/vmx) decide as SDM 27.2-27.4
      // say, the mutant does not.
      const auto& x = *r.counterexample->vmx_entry;
      if (x.check_id.empty()) {
        const auto real = spec::vmx::entry_outcome_kinds<Concrete>(x.control_fails, x.host_fails, x.guest_fails, x.msr_fails);
        const auto bug = mutants::entry_outcome_kinds<Concrete>(info.mutation, x.control_fails, x.host_fails,
                                                                x.guest_fails, x.msr_fails);
        EXPECT_EQ(real.fail_valid_7, x.control_fails);  // 27.2: error 7 for the control fields
        EXPECT_EQ(real.fail_valid_8, x.host_fails);     // error 8 for the host-state fields
        EXPECT_TRUE(real.fail_valid_7 != bug.fail_valid_7 || real.fail_valid_8 != bug.fail_valid_8);
      } else {
        // Replay the file as `vtspec explain-entry` reads it.
        ASSERT_FALSE(r.counterexample->file.empty());
        const auto in = vectors::load_vmx_entry_file(r.counterexample->file);
        const auto fails = [&](const std::vector<spec::vmx::EntryCheck<Concrete>>& table) {
          for (const auto& row : table)
            if (row.id == x.check_id) {
              const spec::vmx::MsrLoadEntry<Concrete> entry{x.msr_index, x.msr_data};
              const spec::vmx::EntryInput<Concrete> input{in.vmcs, in.caps, row.kind == spec::vmx::EntryCheckClass::msr_load ? &entry : nullptr};
              return spec::vmx::check_fails(row, input);
            }
          ADD_FAILURE() << "no check " << x.check_id;
          return false;
        };
        EXPECT_TRUE(fails(spec::vmx::vm_entry_checks<Concrete>())) << x.check_id;  // the SDM's check fails
        EXPECT_FALSE(fails(mutants::vm_entry_checks<Concrete>(info.mutation))) << x.check_id;
      }
      std::printf("%s caught by %s: %s\n", info.name, name.c_str(), r.counterexample->explanation.c_str());
      continue;
    }
    if (!r.counterexample->document.empty() && r.counterexample->replay.empty()) {
      // A claim about a rule's inputs, not a walk (ept-access-derivation): no state to replay.
      std::printf("%s caught by %s: %s", info.name, name.c_str(), r.counterexample->document.c_str());
      continue;
    }
    ASSERT_FALSE(r.counterexample->file.empty());
    if (!r.counterexample->replay.empty()) {
      // A vector file (shadow-coherence): loaded back, its operations run through the VMM with
      // the planted bug reach an outcome the architectural model does not allow, and through
      // the VMM without it none.
      const auto loaded = vectors::load_vector_file(r.counterexample->file);
      ASSERT_EQ(loaded.size(), 1u) << r.counterexample->file;
      const auto* target = model::shadow::shadow_target_named(r.counterexample->case_name);
      ASSERT_NE(target, nullptr) << r.counterexample->case_name;
      const model::shadow::ShadowPolicy policy = target->policy;
      const auto bug = shadow_bug_of(info.mutation);
      ASSERT_NE(bug, model::shadow::ShadowBug::none);
      const auto with_bug = first_incoherence(loaded[0], policy, bug);
      ASSERT_TRUE(with_bug.has_value()) << r.counterexample->document;
      EXPECT_EQ(with_bug->operation + 1, loaded[0].operations.size()) << "the counterexample ends at its first incoherent step";
      EXPECT_FALSE(first_incoherence(loaded[0], policy, model::shadow::ShadowBug::none).has_value()) << r.counterexample->document;
      std::printf("%s caught by %s: %s (%s)\n", info.name, name.c_str(), with_bug->explanation.c_str(), r.counterexample->file.c_str());
      continue;
    }

    if (info.mutation == Mutation::guest_dirty_on_non_leaf) {
      // The outcome is the same; the A/D update references differ. Replayed natively on the
      // file's state: the real walk asks for exactly the updates of SDM 4.8 (the declarative
      // table's), the mutant's for more.
      const model::MachineState state = vectors::load_state_file(r.counterexample->file);
      const model::AccessRequest& req = r.counterexample->access;
      const declarative::LinearShape shape{state.paging_levels(), state.features.maxphyaddr, state.features.page1gb};
      const auto d = declarative::translate_linear<Concrete>(shape, facts_of(state, req), state.regs.cr3, req.linear,
                                                             [&](std::uint64_t a) { return state.memory.read64(a); });
      std::vector<bool> declared(6, false);
      for (unsigned level = 1; level <= state.paging_levels(); ++level) declared[level] = d.flag_update[level];
      EXPECT_EQ(update_requests(Mutation::none, state, req), declared) << r.counterexample->explanation;
      EXPECT_NE(update_requests(info.mutation, state, req), declared) << r.counterexample->explanation;
      std::printf("%s caught by %s: %s\n", info.name, name.c_str(), r.counterexample->explanation.c_str());
      continue;
    }
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
