// Divergence classes, the plain report's size, and known-divergences lists. The divergences
// come from a target with a planted bug (it drops the W bit, bit 1, from every #PF error
// code); the vectors state the SDM's outcome (Vol. 3A 4.7: a write sets W; a user-mode
// access sets U; a protection violation sets P), so the expected class texts are worked out
// by hand from those error codes: 0x2 -> 0x0 for a write to a not-present page at CPL 0,
// 0x7 -> 0x5 for a write to a present read-only page at CPL 3.
#include <gtest/gtest.h>


#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "conformance/runner/model_target.hpp"
#include "conformance/runner/runner.hpp"
#include "conformance/runner/tests/temp_dir.hpp"

namespace vtspec::conformance {
namespace {

namespace fs = std::filesystem;

class DropsWriteBit final : public Target {
 public:
  std::string name() const override { return "buggy"; }
  const Capabilities& capabilities() override { return model.capabilities(); }
  VectorResult run(const vectors::Vector& v) override {
    VectorResult r = model.run(v);
    for (auto& o : r.observations)
      if (o.event.kind == model::EventKind::exception && o.event.vector == model::kPageFaultVector) o.event.error_code &= ~2ull;
    return r;
  }
  ModelTarget model;
};

// A vector whose one operation writes at `va`. `user_read_only` maps `va` present, read-only,
// user (a CPL-3 write faults with P|W|U); otherwise `va` is not mapped (W only).
std::string vector(const std::string& id, unsigned long va, bool user_read_only) {
  const std::string hex = fmt::format("{:#x}", va);
  std::string s = "  - id: " + id + "\n    state:\n      paging: { root: 0x1000, map: [ ";
  s += user_read_only ? "\"map VA " + hex + " -> PA 0x20000, 4K, [P, US, A, D]\"" : "\"map VA 0x400000 -> PA 0x20000, 4K, [P, RW, A, D]\"";
  s += " ] }\n    operations:\n";
  s += user_read_only ? "      - { op: write, va: " + hex + ", value: 1, cpl: 3, expect: { fault: PF, error_code: [P, W, U], cr2: " + hex + " } }\n"
                      : "      - { op: write, va: " + hex + ", value: 1, expect: { fault: PF, error_code: [W], cr2: " + hex + " } }\n";
  return s;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

const std::string kHeader = "schema: vtspec/vector/1\nvectors:\n";
const std::string kNotPresent = "write: #PF error code: expected 0x2, observed 0x0";
const std::string kUserReadOnly = "write at CPL 3: #PF error code: expected 0x7, observed 0x5";

TEST(DivergenceClasses, SameBugAtDifferentAddressesIsOneClassDifferentErrorCodesAreTwo) {
  TempDir dir;
  const std::string file = dir.write("c.yaml", kHeader + vector("np-a", 0x500000, false) + vector("np-b", 0x700000, false) +
                                                   vector("ro-user", 0x600000, true));
  DropsWriteBit target;
  std::ostringstream out;
  RunSummary s;
  EXPECT_EQ(run_vectors(target, {file}, {}, out, &s), 1);
  EXPECT_EQ(s.failed, 3u);
  const std::string text = out.str();
  EXPECT_NE(text.find("3 divergent operations in 2 divergence classes"), std::string::npos) << text;
  EXPECT_NE(text.find("CLASS 1: " + kNotPresent + "\n  2 operations in 2 vectors:\n"), std::string::npos) << text;
  EXPECT_NE(text.find("    np-a operation 0 ("), std::string::npos) << text;
  EXPECT_NE(text.find("    np-b operation 0 ("), std::string::npos) << text;
  EXPECT_NE(text.find("CLASS 2: " + kUserReadOnly + "\n  1 operation in 1 vector:\n"), std::string::npos) << text;
  EXPECT_EQ(count(text, "model walk trace"), 2u) << text;
}

TEST(DivergenceClasses, ThirtyIdenticalDivergencesPrintOneTrace) {
  TempDir dir;
  std::string corpus = kHeader;
  for (int i = 0; i < 30; ++i) corpus += vector("np-" + std::to_string(i), 0x500000 + 0x1000ul * i, false);
  const std::string file = dir.write("c.yaml", corpus);
  DropsWriteBit target;
  std::ostringstream out;
  EXPECT_EQ(run_vectors(target, {file}, {}, out), 1);
  const std::string text = out.str();
  EXPECT_EQ(count(text, "model walk trace"), 1u) << text;
  EXPECT_EQ(count(text, "CLASS "), 1u) << text;
  EXPECT_NE(text.find("30 operations in 30 vectors"), std::string::npos) << text;
  EXPECT_NE(text.find("    ... and 20 more\n"), std::string::npos) << text;  // 10 listed
  EXPECT_EQ(count(text, "FAIL np-"), 30u) << text;
  // 30 FAIL lines, the class with 10 instances and one example, the summary: far from the
  // 3,561 lines of one trace per divergence.
  EXPECT_LT(count(text, "\n"), 90u) << text;
}

// Known lists: `target: buggy` entries apply; other targets' are ignored.
class KnownList : public ::testing::Test {
 protected:
  TempDir dir;
  std::string corpus = dir.write("c.yaml", kHeader + vector("np-a", 0x500000, false) + vector("ro-user", 0x600000, true));
  DropsWriteBit target;
  std::ostringstream out;
  RunSummary summary;
  int run(const std::string& known_text) {
    RunOptions o;
    o.known_path = dir.write("known.yaml", "schema: vtspec/known-divergences/1\nknown:\n" + known_text);
    return run_vectors(target, {corpus}, o, out, &summary);
  }
};

TEST_F(KnownList, ListedDivergencesAreKnownAndDoNotFail) {
  EXPECT_EQ(run("  - { target: buggy, vector: np-a, operation: 0, reference: \"bug 1\", verdict: \"planted\" }\n"
                "  - { target: buggy, vector: ro-user, class: \"" + kUserReadOnly + "\", reference: \"bug 2\", verdict: \"planted\" }\n"
                "  - { target: kvm, vector: no-such-vector, operation: 99, reference: x, verdict: y }\n"),
            0) << out.str();
  EXPECT_EQ(summary.failed, 0u);
  EXPECT_EQ(summary.known, 2u);
  EXPECT_EQ(summary.known_vectors, 2u);
  const std::string text = out.str();
  EXPECT_NE(text.find("KNOWN np-a operation 0 ("), std::string::npos) << text;
  EXPECT_NE(text.find(": bug 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("KNOWN ro-user operation 0 ("), std::string::npos) << text;
  EXPECT_NE(text.find(", 2 known divergences (2 vectors with only known ones) in "), std::string::npos) << text;
  EXPECT_EQ(text.find("FAIL"), std::string::npos) << text;
  EXPECT_EQ(text.find("CLASS"), std::string::npos) << text;
}

// TAP's expected-failure directive is "not ok ... # TODO"; JUnit shows a known vector as
// passing, with the reference in its output.
TEST_F(KnownList, TapAndJunitShowKnownDivergencesAsExpectedFailures) {
  RunOptions o;
  o.tap = true;
  o.junit_path = (dir.path / "junit.xml").string();
  o.known_path = dir.write("known.yaml", "schema: vtspec/known-divergences/1\nknown:\n"
                                         "  - { target: buggy, vector: np-a, reference: \"bug 1\", verdict: v }\n");
  EXPECT_EQ(run_vectors(target, {corpus}, o, out, &summary), 1) << out.str();  // ro-user still fails
  EXPECT_NE(out.str().find("not ok 1 - np-a # TODO known divergence: bug 1\n"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("not ok 2 - ro-user\n"), std::string::npos) << out.str();
  std::ifstream junit(o.junit_path);
  std::stringstream xml;
  xml << junit.rdbuf();
  EXPECT_NE(xml.str().find("tests=\"2\" failures=\"1\""), std::string::npos) << xml.str();
  EXPECT_NE(xml.str().find("<system-out>known divergence: bug 1"), std::string::npos) << xml.str();
}

TEST_F(KnownList, AnEntryWithAnotherClassDoesNotHideADifferentDivergence) {
  EXPECT_EQ(run("  - { target: buggy, vector: ro-user, class: \"" + kNotPresent + "\", reference: r, verdict: v }\n"
                "  - { target: buggy, vector: np-a, reference: r, verdict: v }\n"),
            1) << out.str();
  EXPECT_EQ(summary.failed, 1u);
  EXPECT_EQ(summary.known, 1u);
  EXPECT_NE(out.str().find("FAIL ro-user"), std::string::npos) << out.str();
}

TEST_F(KnownList, AnEntryWhoseVectorNowAgreesIsFixedAndFails) {
  ModelTarget agreeing;  // the real model: no divergence at all
  RunOptions o;
  o.known_path = dir.write("known.yaml",
                           "schema: vtspec/known-divergences/1\nknown:\n"
                           "  - { target: model, vector: np-a, operation: 0, reference: \"bug 1\", verdict: v }\n");
  EXPECT_EQ(run_vectors(agreeing, {corpus}, o, out, &summary), 1) << out.str();
  EXPECT_EQ(summary.fixed, 1u);
  EXPECT_EQ(summary.passed, 2u);
  EXPECT_NE(out.str().find("FIXED? model np-a operation 0 (" + o.known_path + ":3): bug 1"), std::string::npos) << out.str();
}

// An entry for a vector this run did not load (part of the corpus, or a typo) is not an
// error, but it is reported with its position, never dropped silently; the divergences it
// does not cover still fail.
TEST_F(KnownList, AnEntryForAVectorNotLoadedIsReportedWithItsPosition) {
  EXPECT_EQ(run("  - { target: buggy, vector: np-z, reference: r, verdict: v }\n"), 1) << out.str();
  EXPECT_NE(out.str().find("note: known divergence names no vector of this run: buggy np-z ("), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("known.yaml:3): r"), std::string::npos) << out.str();
}

TEST_F(KnownList, AnOperationTheVectorLacksIsALoadError) {
  EXPECT_EQ(run("  - { target: buggy, vector: np-a, operation: 1, reference: r, verdict: v }\n"), 2) << out.str();
  EXPECT_NE(out.str().find("known[0].operation: vector 'np-a' has operations 0..0"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace vtspec::conformance
