// The access-test space's vectors (checker/generate/access_space_vectors.cpp): what chosen
// cases must do by the SDM (Vol. 3A 4.6 access rights, 4.7 error codes, 4.5 reserved bits,
// 4.8 A/D flags) - values written here, not taken from the model - and that what `vtspec
// gen --space access` writes loads back as the same vectors and passes on the model.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>

#include "checker/generate/access_space.hpp"
#include "conformance/runner/comparison.hpp"
#include "conformance/runner/model_target.hpp"
#include "vectors/format/vector_file.hpp"
#include "vectors/format/vector_writer.hpp"

namespace vtspec::generate::access_space {
namespace {

using namespace bit;
using K = spec::AccessKind;

// #PF error code bits, SDM Vol. 3A Figure 4-12.
constexpr std::uint64_t kP = 1, kW = 2, kU = 4, kRsvd = 8, kI = 16;
constexpr std::uint64_t kData = 0x76730000010000c3ull;  // the data page's first 8 bytes (draft.hpp)

struct Expected {
  std::optional<std::uint64_t> fault;  // #PF error code, or completed
  std::optional<std::uint64_t> value = std::nullopt;
};

// Builds a one-case chunk and returns its vector and the valid outcome of its last operation.
struct Built {
  GeneratedVector g;
  const vectors::ExpectedOutcome& last() const { return g.vector.expectations.back().outcomes.front(); }
};
Built one_case(const Walk& w, const Access& a, const Registers& r) {
  Options o;
  o.maxphyaddr = 36;
  Chunk c{w.family, w.nxe, 7, {{w, a}}};
  Registers regs = r;
  regs.nxe = w.nxe;
  return {build_vector(o, c, regs)};
}

void expect(const Built& b, const Expected& e, const char* what) {
  SCOPED_TRACE(what);
  SCOPED_TRACE(b.g.vector.description);
  const model::Event& ev = b.last().event;
  const std::uint64_t va = b.g.vector.operations.back().access.linear;
  if (e.fault) {
    ASSERT_EQ(ev.kind, model::EventKind::exception);
    EXPECT_EQ(ev.vector, model::kPageFaultVector);
    EXPECT_EQ(ev.error_code, *e.fault) << std::hex << ev.error_code;
    EXPECT_EQ(ev.cr2, va);  // 4.7: CR2 is the linear address
  } else {
    ASSERT_EQ(ev.kind, model::EventKind::completed) << model::describe(ev);
    if (e.value) {
      EXPECT_EQ(ev.value, e.value);
    }
  }
}

Walk pt(std::uint64_t pde, std::uint64_t pte, bool nxe = true) { return {Family::pt, nxe, pde, pte, true, false}; }
Walk pdpt(std::uint64_t pml4e, std::uint64_t pdpte, bool nxe = true) { return {Family::pdpt, nxe, pml4e, pdpte, true, false}; }
Access acc(Mode m, K k, bool twice = false) { return {m, k, twice}; }
constexpr std::uint64_t kAll = P | RW | US | A;

TEST(AccessSpaceVectors, ChosenCasesHaveTheSdmOutcomes) {
  Registers wp1, wp0;
  wp0.wp = false;
  expect(one_case(pt(kAll, kAll | D), acc(Mode::user, K::write), wp1), {std::nullopt}, "user write, all allowed");
  expect(one_case(pt(kAll, kAll | D), acc(Mode::user, K::read), wp1), {std::nullopt, kData}, "user read: the data");
  expect(one_case(pt(kAll, P | US | A | D), acc(Mode::supervisor, K::write), wp0), {std::nullopt},
         "4.6.1: CR0.WP = 0 lets supervisor writes through a read-only PTE");
  expect(one_case(pt(kAll, P | US | A | D), acc(Mode::supervisor, K::write), wp1), {kP | kW}, "with CR0.WP = 1: #PF");
  expect(one_case(pt(kAll, P | US | A | D), acc(Mode::user, K::write), wp0), {kP | kW | kU}, "user writes never");
  expect(one_case(pt(kAll, kAll | R51), acc(Mode::user, K::read), wp1), {kP | kU | kRsvd}, "4.5.4: bit 51 reserved");
  expect(one_case(pt(kAll, kAll | R36), acc(Mode::supervisor, K::read), wp1), {kP | kRsvd}, "bit 36 at MAXPHYADDR 36");
  expect(one_case(pt(kAll | D | PS | R13, 0), acc(Mode::supervisor, K::read), wp1), {kP | kRsvd},
         "bit 13 of a 2-MByte leaf is reserved");
  expect(one_case(pt(kAll | D | PS, 0), acc(Mode::user, K::read), wp1), {std::nullopt, kData}, "a 2-MByte leaf");
  expect(one_case(pt(kAll, kAll | XD, false), acc(Mode::user, K::read), wp1), {kP | kU | kRsvd},
         "XD is reserved when EFER.NXE = 0");
  expect(one_case(pt(kAll, P | RW | A | D), acc(Mode::user, K::fetch), wp1), {kP | kU | kI}, "user fetch, supervisor page");
  expect(one_case(pt(kAll, kAll | D | XD), acc(Mode::supervisor, K::fetch), wp1), {kP | kI}, "XD with NXE");
  expect(one_case(pt(RW | US | A, kAll | D), acc(Mode::user, K::write), wp1), {kW | kU}, "PDE not present");
  Registers smep;
  smep.smep = true;
  expect(one_case(pt(kAll, kAll | D), acc(Mode::supervisor, K::fetch), smep), {kP | kI}, "4.6.1: SMEP");
  Registers smap, smap_ac;
  smap.smap = smap_ac.smap = true;
  smap_ac.ac = true;
  expect(one_case(pt(kAll, kAll | D), acc(Mode::supervisor, K::read), smap), {kP}, "SMAP, AC = 0");
  expect(one_case(pt(kAll, kAll | D), acc(Mode::supervisor, K::read), smap_ac), {std::nullopt, kData}, "SMAP, AC = 1");
  expect(one_case(pdpt(kAll | PS, kAll), acc(Mode::user, K::read), wp1), {kP | kU | kRsvd}, "PS is reserved in a PML4E");
  expect(one_case(pdpt(kAll, kAll | D | PS), acc(Mode::user, K::read), wp1), {std::nullopt, kData}, "a 1-GByte leaf");
  expect(one_case(pdpt(P | US | A, kAll | D | PS), acc(Mode::user, K::write), wp1), {kP | kW | kU},
         "R/W combines across levels: a read-only PML4E");
  expect(one_case(pdpt(kAll | XD, kAll), acc(Mode::user, K::fetch), wp1), {kP | kU | kI}, "XD in the PML4E");
  // Twice: the supervisor read first completes; then the user write to the read-only page.
  const Built twice = one_case(pt(kAll, P | US | A | D), acc(Mode::user, K::write, true), wp1);
  ASSERT_EQ(twice.g.vector.operations.size(), 2u);
  EXPECT_EQ(twice.g.vector.operations[0].access.cpl, 0u);
  EXPECT_EQ(twice.g.vector.expectations[0].outcomes.front().event.kind, model::EventKind::completed);
  expect(twice, {kP | kW | kU}, "twice: then the user write");
}

// 4.8: a completed write sets A in the PDE and A and D in the PTE; a faulting access leaves
// them clear (the model may also allow an earlier A, never a D without the write).
TEST(AccessSpaceVectors, CheckedEntriesShowTheAccessedAndDirtyFlags) {
  Registers r;
  const Built ok = one_case(pt(P | RW | US, P | RW | US), acc(Mode::user, K::write), r);
  ASSERT_EQ(ok.g.vector.entries.size(), 2u);
  EXPECT_EQ(ok.g.vector.entries[0].name, "c0.pde");
  EXPECT_EQ(ok.g.vector.entries[1].name, "c0.pte");
  const auto& e = ok.last().entries;
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].accessed, vectors::FlagExpectation::set);
  EXPECT_EQ(e[1].accessed, vectors::FlagExpectation::set);
  EXPECT_EQ(e[1].dirty, vectors::FlagExpectation::set);
  // The entries are where the walk reads them: the PTE's word holds the flags of the case.
  const auto& s = ok.g.vector.initial;
  EXPECT_EQ(s.memory.read64(ok.g.vector.entries[1].physical) & 0xfff, P | RW | US);
  EXPECT_EQ(s.memory.read64(ok.g.vector.entries[0].physical) & 0xfff, P | RW | US);
  const Built fault = one_case(pt(P | RW | US, P | US), acc(Mode::user, K::write), r);
  EXPECT_EQ(fault.last().entries[1].dirty, vectors::FlagExpectation::clear);
  const Built pml4 = one_case(pdpt(P | RW | US, P | RW | US | PS), acc(Mode::user, K::read), r);
  ASSERT_EQ(pml4.g.vector.entries.size(), 2u);
  EXPECT_EQ(pml4.g.vector.entries[0].name, "c0.pml4e");
  EXPECT_EQ(pml4.g.vector.initial.memory.read64(pml4.g.vector.entries[1].physical) & 0xfff, P | RW | US | PS);
}

// Many cases share a vector, so what one case's access may leave open stays open for the
// operations after it: a walk that faults at a not-present PTE may have set the PDE's A flag
// first (SDM Vol. 3A 4.8), and no later operation of another case settles it.
TEST(AccessSpaceVectors, AnEarlierCasesOpenAccessedFlagStaysEitherAfterwards) {
  Options o;
  Walk faulting = pt(P | RW | US, RW | US), fine = pt(kAll, kAll | D);
  Chunk c{Family::pt, true, 0, {{faulting, acc(Mode::user, K::read)}, {fine, acc(Mode::user, K::read)}}};
  const GeneratedVector g = build_vector(o, c, Registers{});
  ASSERT_EQ(g.vector.operations.size(), 2u);
  const auto& first = g.vector.expectations[0].outcomes;
  const auto& second = g.vector.expectations[1].outcomes;
  ASSERT_EQ(first.front().event.kind, model::EventKind::exception);
  // c0.pde after the faulting walk and after c1's read: either, in every allowed outcome.
  EXPECT_EQ(first.front().entries[0].name, "c0.pde");
  EXPECT_EQ(first.front().entries[0].accessed, vectors::FlagExpectation::either);
  for (const auto& outcome : second) EXPECT_EQ(outcome.entries[0].accessed, vectors::FlagExpectation::either);
  EXPECT_EQ(second.front().entries[2].name, "c1.pde");
  EXPECT_EQ(second.front().entries[2].accessed, vectors::FlagExpectation::set);
}

// A sample of the whole space, one chunk in 1999 in each register configuration in turn:
// every vector within the format's limits, its cases sharing what a target must provide, and
// what gen writes loads back as the same vectors, which pass on the model target.
TEST(AccessSpaceVectors, WrittenVectorsLoadBackAndPassOnTheModel) {
  Options o;
  std::vector<GeneratedVector> generated;
  const std::vector<Registers> configs[2] = {registers(o, false), registers(o, true)};
  for_each_chunk(o, [&](const Chunk& c) {
    if (c.index % 1999 == 0) generated.push_back(build_vector(o, c, configs[c.nxe][c.index / 1999 % configs[c.nxe].size()]));
  });
  std::uint64_t large = 0, implicit = 0, pdpt_family = 0, ac = 0, pke = 0;
  for (const auto& g : generated) {
    const auto& v = g.vector;
    EXPECT_LE(v.entries.size(), 32u);
    EXPECT_LE(v.operations.size(), 1024u);
    const model::CpuNeeds needs = vectors::needs_of(v);
    std::set<bool> implicit_cases;
    for (std::size_t k = 0; k < v.operations.size(); ++k)
      if (k + 1 == v.operations.size() || v.operations[k + 1].access.linear != v.operations[k].access.linear)
        implicit_cases.insert(v.operations[k].access.implicit_supervisor);  // each case's own access
    EXPECT_EQ(implicit_cases.size(), 1u) << v.id;
    large += needs.features.count(model::Feature::page1gb);
    implicit += *implicit_cases.begin();
    pdpt_family += v.id.rfind("access/pdpt/", 0) == 0;
    ac += (v.initial.regs.rflags & model::rflags::ac) != 0;
    pke += (v.initial.regs.cr4 & model::cr4::pke) != 0;
  }
  EXPECT_GT(large, 0u);
  EXPECT_GT(implicit, 0u);
  EXPECT_GT(pdpt_family, 0u);
  EXPECT_GT(ac, 0u);
  EXPECT_GT(pke, 0u);

  std::vector<vectors::VectorText> texts;
  for (const auto& g : generated) texts.push_back({&g.vector, g.state_yaml});
  const auto path = std::filesystem::temp_directory_path() / ("vtspec-access-space-" + std::to_string(getpid()) + ".yaml");
  {
    std::ofstream out(path);
    out << vectors::render_vector_file("access space sample", texts);
  }
  const std::vector<vectors::Vector> loaded = vectors::load_vector_file(path.string());
  std::filesystem::remove(path);
  ASSERT_EQ(loaded.size(), generated.size());
  conformance::ModelTarget model;
  for (std::size_t i = 0; i < loaded.size(); ++i) {
    const vectors::Vector& a = generated[i].vector;
    const vectors::Vector& b = loaded[i];
    SCOPED_TRACE(a.id);
    EXPECT_EQ(b.id, a.id);
    EXPECT_EQ(b.initial.regs.cr0, a.initial.regs.cr0);
    EXPECT_EQ(b.initial.regs.cr4, a.initial.regs.cr4);
    EXPECT_EQ(b.initial.regs.efer, a.initial.regs.efer);
    EXPECT_EQ(b.initial.regs.rflags, a.initial.regs.rflags);
    EXPECT_EQ(b.initial.regs.pkru, a.initial.regs.pkru);
    EXPECT_EQ(b.initial.memory.frame_numbers(), a.initial.memory.frame_numbers());
    for (std::uint64_t frame : a.initial.memory.frame_numbers())
      for (std::uint64_t at = frame * 4096; at < frame * 4096 + 4096; at += 8)
        ASSERT_EQ(b.initial.memory.read64(at), a.initial.memory.read64(at)) << std::hex << at;
    ASSERT_EQ(b.operations.size(), a.operations.size());
    ASSERT_EQ(b.entries.size(), a.entries.size());
    for (std::size_t k = 0; k < a.entries.size(); ++k) EXPECT_EQ(b.entries[k].physical, a.entries[k].physical);
    for (std::size_t k = 0; k < a.operations.size(); ++k) EXPECT_EQ(b.expectations[k].outcomes, a.expectations[k].outcomes);
    const conformance::VectorResult r = model.run(b);
    for (std::size_t k = 0; k < b.operations.size(); ++k) EXPECT_GE(conformance::matching_outcome(b, k, r.observations[k]), 0);
  }
}

// generate() streams what the target admits and counts the rest by the reason it gives: here
// a target that cannot run EFER.NXE = 1, on a sample of the kvm-unit-tests part.
TEST(AccessSpaceVectors, GenerateCountsWhatTheTargetCannotRun) {
  Options o;
  o.kvm_unit_tests_only = true;
  o.pku = false;
  o.every = 101;
  std::uint64_t nxe1 = 0, nxe0 = 0;
  const std::uint64_t configs = registers(o, true).size();
  for_each_chunk(o, [&](const Chunk& c) {
    if (c.index % 101 == 0) (c.nxe ? nxe1 : nxe0) += c.cases.size() * configs;
  });
  std::uint64_t streamed = 0;
  const Report r = generate(
      o,
      [](const model::CpuNeeds& needs) -> std::optional<std::string> {
        if (needs.features.count(model::Feature::nx)) return std::string("no NXE here");
        return std::nullopt;
      },
      [&](GeneratedVector&& g) {
        streamed += g.cases;
        EXPECT_EQ(g.vector.initial.regs.efer & model::efer::nxe, 0u);
      });
  EXPECT_EQ(r.cases, nxe0);
  EXPECT_EQ(streamed, nxe0);
  ASSERT_EQ(r.not_runnable.size(), 1u);
  EXPECT_EQ(r.not_runnable.at("no NXE here"), nxe1);
}

}  // namespace
}  // namespace vtspec::generate::access_space
