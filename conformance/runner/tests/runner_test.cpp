// The runner: divergences are found and reported, the results file survives a killed run,
// and --resume continues it with nothing lost or repeated. Expected values come from the
// vector text itself (a raw memory write of a known value), not from the model.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "conformance/runner/model_target.hpp"
#include "conformance/runner/results_file.hpp"
#include "conformance/runner/runner.hpp"
#include "conformance/runner/skip_decision.hpp"
#include "conformance/runner/tests/temp_dir.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::conformance {
namespace {

namespace fs = std::filesystem;

// Three vectors reading a page whose first 8 bytes are 0x1122334455667788 (a raw write;
// little-endian, so the 2 bytes at offset 4 read 0x3344).
// `wrong` makes the second vector expect a different value.
std::string corpus(bool wrong) {
  std::string out = "schema: vtspec/vector/1\nvectors:\n";
  for (int i = 0; i < 3; ++i) {
    out += "  - id: v" + std::to_string(i) + "\n";
    out += "    state:\n"
           "      paging: { root: 0x1000, map: [ \"map VA 0x400000 -> PA 0x20000, 4K, [P, RW, US, A, D]\" ] }\n"
           "      memory: [ { gpa: 0x20000, u64: 0x1122334455667788 } ]\n"
           "    entries: { pte: 0x4000 }\n"
           "    operations:\n";
    out += std::string("      - { op: read, va: 0x400000, expect: { value: ") +
           (wrong && i == 1 ? "0x99" : "0x1122334455667788") + " } }\n";
    out += "      - { op: read, va: 0x400004, size: 2, cpl: 3, expect: { value: 0x3344 } }\n";
    out += "      - { op: write, va: 0x500000, value: 1, expect: { fault: PF, error_code: [W], cr2: 0x500000 } }\n";
  }
  return out;
}

std::vector<std::string> lines(const std::string& file) {
  std::ifstream in(file);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

class CountingTarget final : public Target {
 public:
  std::string name() const override { return "counting-model"; }
  const Capabilities& capabilities() override { return model.capabilities(); }
  VectorResult run(const vectors::Vector& v) override {
    ran.push_back(v.id);
    return model.run(v);
  }
  std::vector<std::string> ran;
  ModelTarget model;
};

// A real target with given capabilities that must never be asked to run a vector (the
// runner's skip decision excludes every one).
class FixedCapabilitiesTarget final : public Target {
 public:
  FixedCapabilitiesTarget(std::string name, Capabilities caps) : name_(std::move(name)), caps_(std::move(caps)) {}
  std::string name() const override { return name_; }
  const Capabilities& capabilities() override { return caps_; }
  VectorResult run(const vectors::Vector&) override {
    ADD_FAILURE() << "the runner ran a vector the capabilities exclude";
    return {};
  }

 private:
  std::string name_;
  Capabilities caps_;
};

TEST(Runner, PassesAgreeingVectorsAndReportsADivergence) {
  TempDir dir;
  const std::string good = dir.write("good.yaml", corpus(false));
  ModelTarget target;
  std::ostringstream out;
  RunSummary s;
  EXPECT_EQ(run_vectors(target, {good}, {}, out, &s), 0) << out.str();
  EXPECT_EQ(s.passed, 3u);
  EXPECT_EQ(s.operations, 9u);

  const std::string bad = dir.write("bad.yaml", corpus(true));
  std::ostringstream report;
  EXPECT_EQ(run_vectors(target, {bad}, {}, report, &s), 1);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.passed, 2u);
  const std::string text = report.str();
  EXPECT_NE(text.find("FAIL v1"), std::string::npos) << text;
  EXPECT_NE(text.find("valid:      completed, value 0x99"), std::string::npos) << text;
  EXPECT_NE(text.find("observed: completed, value 0x1122334455667788"), std::string::npos) << text;
  EXPECT_NE(text.find("model walk trace"), std::string::npos) << text;
}

TEST(Runner, TapAndJunit) {
  TempDir dir;
  const std::string bad = dir.write("bad.yaml", corpus(true));
  ModelTarget target;
  std::ostringstream out;
  RunOptions o;
  o.tap = true;
  o.junit_path = (dir.path / "junit.xml").string();
  run_vectors(target, {bad}, o, out);
  const std::string tap = out.str();
  // The plan comes last (TAP allows the first or the last line; the runner loads one file at
  // a time, so it knows the count only at the end): right after the last test line.
  EXPECT_NE(tap.find("ok 3 - v2\n1..3\n"), std::string::npos) << tap;
  EXPECT_NE(tap.find("ok 1 - v0\n"), std::string::npos);
  EXPECT_NE(tap.find("not ok 2 - v1\n"), std::string::npos);
  EXPECT_NE(tap.find("ok 3 - v2\n"), std::string::npos);
  std::ifstream junit(o.junit_path);
  std::stringstream xml;
  xml << junit.rdbuf();
  EXPECT_NE(xml.str().find("tests=\"3\" failures=\"1\""), std::string::npos) << xml.str();
}

TEST(Runner, ResumeAfterAKillRunsOnlyWhatIsMissing) {
  TempDir dir;
  const std::string file = dir.write("c.yaml", corpus(true));
  const std::string results = (dir.path / "results.jsonl").string();
  {
    CountingTarget t;
    std::ostringstream out;
    RunOptions o;
    o.results_path = results;
    run_vectors(t, {file}, o, out);
    ASSERT_EQ(t.ran.size(), 3u);
  }
  auto all = lines(results);
  ASSERT_EQ(all.size(), 3u);
  // Simulate a kill while the third record was being written: a torn line, no newline.
  {
    std::ofstream cut(results, std::ios::trunc);
    cut << all[0] << "\n" << all[1] << "\n" << all[2].substr(0, all[2].size() / 2);
  }
  CountingTarget t;
  std::ostringstream out;
  RunOptions o;
  o.results_path = results;
  o.resume = true;
  RunSummary s;
  EXPECT_EQ(run_vectors(t, {file}, o, out, &s), 1);  // v1's divergence is remembered, not lost
  EXPECT_EQ(t.ran, std::vector<std::string>{"v2"});
  EXPECT_EQ(s.resumed, 2u);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.passed, 2u);
  const auto after = lines(results);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0], all[0]);
  EXPECT_EQ(after[1], all[1]);
  EXPECT_NE(after[2].find("\"id\":\"v2\""), std::string::npos);
  for (const auto& l : after) EXPECT_TRUE(parse_record(l).has_value()) << l;
}

TEST(Runner, UnavailableTargetSkipsWithReasonAndExit3) {
  Capabilities caps;
  caps.unavailable = "/dev/kvm: No such file or directory";
  FixedCapabilitiesTarget target("kvm", caps);
  TempDir dir;
  const std::string file = dir.write("c.yaml", corpus(false));
  std::ostringstream out;
  RunSummary s;
  EXPECT_EQ(run_vectors(target, {file}, {}, out, &s), 3);
  EXPECT_EQ(s.skipped, 3u);
  EXPECT_NE(out.str().find("SKIPPED    3: target unavailable: /dev/kvm: No such file or directory"), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("error: the kvm target executed no vector"), std::string::npos) << out.str();
}

// A real target that can build none of the vectors' CPUs executes nothing: that is exit 3,
// not a success, and the skips are grouped by reason with their counts.
TEST(Runner, RealTargetThatExecutesNothingFailsWithGroupedReasons) {
  Capabilities caps;
  caps.max_maxphyaddr = 35;  // below every vector's MAXPHYADDR
  FixedCapabilitiesTarget target("small", caps);
  TempDir dir;
  const std::string file = dir.write("c.yaml", corpus(false));
  std::ostringstream out;
  RunSummary s;
  EXPECT_EQ(run_vectors(target, {file}, {}, out, &s), 3);
  EXPECT_EQ(s.skipped, 3u);
  EXPECT_EQ(s.passed + s.failed + s.errors, 0u);
  EXPECT_NE(out.str().find("SKIPPED    3: needs MAXPHYADDR 36; this target builds 36..35"), std::string::npos) << out.str();
}

// The one skip decision: what is missing, and why the target lacks it.
TEST(Runner, SkipReasonNamesWhatIsMissing) {
  model::CpuNeeds needs;
  needs.maxphyaddr = 46;
  Capabilities caps = unlimited_capabilities();
  EXPECT_EQ(skip_reason(needs, caps), std::nullopt);
  caps.max_maxphyaddr = 39;
  caps.maxphyaddr_limit = "host";
  EXPECT_EQ(skip_reason(needs, caps), "needs MAXPHYADDR 46; this target builds 36..39 (host)");
  needs.maxphyaddr = 39;
  needs.features[model::Feature::pku] = true;
  caps[model::Feature::pku].can_have = false;
  caps[model::Feature::pku].why_not_have = "no PKU";
  EXPECT_EQ(skip_reason(needs, caps), "needs pku: no PKU");
  needs.features[model::Feature::pku] = false;  // a CPU without PKU: can the target hide it?
  EXPECT_EQ(skip_reason(needs, caps), std::nullopt);
  caps[model::Feature::pku].can_lack = false;
  caps[model::Feature::pku].why_not_lack = "always there";
  EXPECT_EQ(skip_reason(needs, caps), "needs a CPU without pku: always there");
  needs.features.clear();
  needs.abilities = {"read at CPL 1"};
  caps.abilities = std::set<std::string>{"read"};
  EXPECT_EQ(skip_reason(needs, caps), "cannot execute 'read at CPL 1'");
}

TEST(Runner, AccessedFlagMismatchIsADivergence) {
  // The PTE at 0x4000 (root 0x1000, tables allocated from 0x2000: PDPT 0x2000, PD 0x3000,
  // PT 0x4000) starts with A clear; a read must set it (SDM Vol. 3A 4.8). Expecting it
  // clear must fail.
  TempDir dir;
  const std::string file = dir.write(
      "a.yaml",
      "schema: vtspec/vector/1\nvectors:\n  - id: a\n    state:\n"
      "      paging: { root: 0x1000, map: [ \"map VA 0x400000 -> PA 0x20000, 4K, [P, RW, US]\" ] }\n"
      "    entries: { pte: 0x4000 }\n"
      "    operations:\n"
      "      - { op: read, va: 0x400000, expect: { value: 0, entries: { pte: { A: clear } } } }\n");
  ModelTarget target;
  std::ostringstream out;
  EXPECT_EQ(run_vectors(target, {file}, {}, out), 1);
  EXPECT_NE(out.str().find("pte.A is 1, expected 0"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace vtspec::conformance
