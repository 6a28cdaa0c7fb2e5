// The results file (`--results F`, `--resume`): records are found again by what the vector
// is (its id and content hash), not by how its path was spelt; an edited vector runs again;
// an existing file is never destroyed; one writer at a time; a damaged line is refused with
// its line number. Expected values come from issue 9's requirements, not from the code.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#include "conformance/runner/model_target.hpp"
#include "conformance/runner/results_file.hpp"
#include "conformance/runner/runner.hpp"
#include "conformance/runner/tests/temp_dir.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::conformance {
namespace {

namespace fs = std::filesystem;

// Three one-operation vectors reading a page whose first 8 bytes are 0x1122334455667788 (a
// raw write); `v1_expects` is what v1 expects, so an edit of it changes v1 alone.
std::string corpus(const std::string& v1_expects = "0x1122334455667788") {
  std::string out = "schema: vtspec/vector/1\nvectors:\n";
  for (int i = 0; i < 3; ++i) {
    out += "  - id: v" + std::to_string(i) + "\n";
    out += "    state:\n"
           "      paging: { root: 0x1000, map: [ \"map VA 0x400000 -> PA 0x20000, 4K, [P, RW, US, A, D]\" ] }\n"
           "      memory: [ { gpa: 0x20000, u64: 0x1122334455667788 } ]\n"
           "    operations:\n";
    out += "      - { op: read, va: 0x400000, expect: { value: " + (i == 1 ? v1_expects : "0x1122334455667788") + " } }\n";
  }
  return out;
}

std::string contents(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines(const std::string& file) {
  std::istringstream in(contents(file));
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The model, counting which vectors it was asked to run; by default it is the model target
// itself, or it poses as another target (`identity`).
class CountingTarget final : public Target {
 public:
  explicit CountingTarget(std::optional<TargetIdentity> identity = std::nullopt) : capabilities_(model.capabilities()) {
    if (identity) capabilities_.identity = *identity;
  }
  std::string name() const override { return capabilities_.identity.name; }
  const Capabilities& capabilities() override { return capabilities_; }
  VectorResult run(const vectors::Vector& v) override {
    ran.push_back(v.id);
    return model.run(v);
  }
  std::vector<std::string> ran;
  ModelTarget model;

 private:
  Capabilities capabilities_;
};

// What `f` threw (std::exception::what()), or "" when it returned.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

const TargetIdentity kModel = ModelTarget().capabilities().identity;

struct RunOutcome {
  int code = -1;
  std::string output;
  RunSummary summary;
  std::vector<std::string> ran;
};

RunOutcome run_corpus(const std::vector<std::string>& paths, const std::string& results, bool resume,
                      std::optional<TargetIdentity> identity = std::nullopt) {
  CountingTarget target(identity);
  RunOptions o;
  o.results_path = results;
  o.resume = resume;
  std::ostringstream out;
  RunOutcome r;
  r.code = run_vectors(target, paths, o, out, &r.summary);
  r.output = out.str();
  r.ran = target.ran;
  return r;
}

// A run the results file refused: exit 2 before any vector ran, the reason on the output
// ("error: ..."). "" for a run that was not refused.
std::string refusal(const RunOutcome& r) { return r.code == 2 && r.ran.empty() ? r.output : ""; }

TEST(ResultsFile, SameCorpusSpeltDifferentlyIsResumedNotRunAgain) {
  TempDir dir;
  fs::create_directories(dir.path / "big");
  dir.write("big/c.yaml", corpus());
  const std::string results = (dir.path / "results.jsonl").string();
  ASSERT_EQ(run_corpus({(dir.path / "big").string()}, results, false).code, 0);
  ASSERT_EQ(lines(results).size(), 3u);

  const RunOutcome again = run_corpus({(dir.path / "." / "big" / "").string()}, results, true);
  EXPECT_EQ(again.code, 0) << again.output;
  EXPECT_EQ(again.ran, std::vector<std::string>{}) << again.output;
  EXPECT_EQ(again.summary.resumed, 3u);
  EXPECT_EQ(lines(results).size(), 3u) << contents(results);  // one record per vector, still
}

TEST(ResultsFile, EditedVectorRunsAgainAndItsStaleRecordIsNotItsResult) {
  TempDir dir;
  const std::string file = dir.write("c.yaml", corpus());
  const std::string results = (dir.path / "results.jsonl").string();
  ASSERT_EQ(run_corpus({file}, results, false).code, 0);

  dir.write("c.yaml", corpus("0x99"));  // v1 now expects a value the read cannot return
  const RunOutcome edited = run_corpus({file}, results, true);
  EXPECT_EQ(edited.code, 1) << edited.output;  // v1's old PASS is not its result
  EXPECT_EQ(edited.ran, std::vector<std::string>{"v1"});
  EXPECT_EQ(edited.summary.resumed, 2u);
  EXPECT_EQ(edited.summary.failed, 1u);
  EXPECT_EQ(edited.summary.passed, 2u);
  EXPECT_NE(edited.output.find("note: 1 record in " + results + " is for a vector whose content changed; that vector ran again"),
            std::string::npos)
      << edited.output;
}

// Records of one target are never resumed as another's, nor as the same target's on
// another host (kernel, CPU model, KVM backend).
TEST(ResultsFile, ResumeWithAnotherTargetOrIdentityIsRefusedNamingBoth) {
  TempDir dir;
  const std::string file = dir.write("c.yaml", corpus());
  const std::string results = (dir.path / "results.jsonl").string();
  ASSERT_EQ(run_corpus({file}, results, false).code, 0);
  const std::string before = contents(results);
  const TargetIdentity kvm{"kvm", {{"backend", "kvm_intel"}, {"cpu", "Some CPU"}, {"kernel", "6.1.0"}}};
  std::string error = refusal(run_corpus({file}, results, true, kvm));
  EXPECT_NE(error.find(results + ":1: holds results of model (vtspec "), std::string::npos) << error;
  EXPECT_NE(error.find("this run's target is kvm (backend kvm_intel, cpu Some CPU, kernel 6.1.0)"), std::string::npos)
      << error;
  EXPECT_EQ(contents(results), before);

  const std::string kvm_results = (dir.path / "kvm.jsonl").string();
  ASSERT_EQ(run_corpus({file}, kvm_results, false, kvm).code, 0);
  TargetIdentity other_kernel = kvm;
  other_kernel.details["kernel"] = "6.9.0";
  error = refusal(run_corpus({file}, kvm_results, true, other_kernel));
  EXPECT_NE(error.find("holds results of kvm (backend kvm_intel, cpu Some CPU, kernel 6.1.0); this run's target is kvm "
                       "(backend kvm_intel, cpu Some CPU, kernel 6.9.0)"),
            std::string::npos)
      << error;
  // The same identity resumes.
  const RunOutcome same = run_corpus({file}, kvm_results, true, kvm);
  EXPECT_EQ(same.code, 0) << same.output;
  EXPECT_EQ(same.summary.resumed, 3u);
}

TEST(ResultsFile, ModelTargetIsIdentifiedByTheVtspecVersion) {
  ModelTarget model;
  EXPECT_EQ(kModel.name, model.name());
  ASSERT_EQ(kModel.details.size(), 1u);
  EXPECT_FALSE(kModel.details.at("vtspec").empty());
  EXPECT_EQ(kModel.describe(), "model (vtspec " + kModel.details.at("vtspec") + ")");
}

TEST(ResultsFile, ExistingFileIsRefusedWithoutResumeAndLeftAlone) {
  TempDir dir;
  const std::string file = dir.write("c.yaml", corpus());
  const std::string results = (dir.path / "results.jsonl").string();
  ASSERT_EQ(run_corpus({file}, results, false).code, 0);
  const std::string before = contents(results);
  ASSERT_FALSE(before.empty());

  const std::string error = refusal(run_corpus({file}, results, false));
  EXPECT_NE(error.find(results + " exists: pass --resume to continue that run, or name a new file"), std::string::npos)
      << error;
  EXPECT_EQ(contents(results), before);
}

TEST(ResultsFile, EmptyExistingFileIsAcceptedWithoutResume) {
  TempDir dir;
  const std::string file = dir.write("c.yaml", corpus());
  const std::string results = dir.write("results.jsonl", "");
  EXPECT_EQ(run_corpus({file}, results, false).code, 0);
  EXPECT_EQ(lines(results).size(), 3u);
}

// The torn last line of a killed run is cut off the file itself: no temporary file renamed
// over it, which would swap the file under anyone who has it open.
TEST(ResultsFile, ResumeCutsATornLastLineInPlace) {
  TempDir dir;
  const std::string file = dir.write("c.yaml", corpus());
  const std::string results = (dir.path / "results.jsonl").string();
  ASSERT_EQ(run_corpus({file}, results, false).code, 0);
  const auto all = lines(results);
  ASSERT_EQ(all.size(), 3u);
  {
    std::ofstream cut(results, std::ios::binary | std::ios::trunc);
    cut << all[0] << "\n" << all[1] << "\n" << all[2].substr(0, all[2].size() / 2);
  }
  struct stat before {};
  ASSERT_EQ(::stat(results.c_str(), &before), 0);

  const RunOutcome resumed = run_corpus({file}, results, true);
  EXPECT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_EQ(resumed.ran, std::vector<std::string>{"v2"});
  struct stat after {};
  ASSERT_EQ(::stat(results.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino) << "the results file was replaced, not cut";
  const auto now = lines(results);
  ASSERT_EQ(now.size(), 3u) << contents(results);
  EXPECT_EQ(now[0], all[0]);
  EXPECT_EQ(now[1], all[1]);
  EXPECT_NE(now[2].find("\"id\":\"v2\""), std::string::npos) << now[2];
}

TEST(ResultsFile, DamagedLineInTheMiddleIsRefusedWithItsLineNumber) {
  TempDir dir;
  const std::string file = dir.write("c.yaml", corpus());
  const std::string results = (dir.path / "results.jsonl").string();
  ASSERT_EQ(run_corpus({file}, results, false).code, 0);
  const auto all = lines(results);
  ASSERT_EQ(all.size(), 3u);
  {
    std::ofstream damaged(results, std::ios::binary | std::ios::trunc);
    damaged << all[0] << "\n" << "{\"file\":\"c.yaml\",\"id\":\"v1\",\"stat\n" << all[2] << "\n";
  }
  const std::string before = contents(results);
  const std::string error = refusal(run_corpus({file}, results, true));
  EXPECT_NE(error.find(results + ":2: "), std::string::npos) << error;
  EXPECT_EQ(contents(results), before);
}

TEST(ResultsFile, SecondWriterInTheSameProcessFailsAtOnce) {
  TempDir dir;
  const std::string results = (dir.path / "results.jsonl").string();
  ResultsFile first(results, false, kModel);
  for (bool resume : {false, true}) {
    const std::string error = error_of([&] { ResultsFile second(results, resume, kModel); });
    EXPECT_NE(error.find(results + " is in use by another vtspec run (pid " + std::to_string(::getpid()) + ")"),
              std::string::npos)
        << "resume " << resume << ": " << error;
  }
}

// Two processes, as two `vtspec run`s would be: the child holds the file open; the parent's
// writer must fail at once, naming the child.
TEST(ResultsFile, SecondWriterInAnotherProcessFailsAtOnce) {
  TempDir dir;
  const std::string results = (dir.path / "results.jsonl").string();
  int ready[2], done[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(done), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char c = 0;
    {
      ResultsFile holder(results, false, kModel);
      (void)!::write(ready[1], "r", 1);
      (void)!::read(done[0], &c, 1);  // until the parent has tried
    }
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  const std::string error = error_of([&] { ResultsFile second(results, true, kModel); });
  (void)!::write(done[1], "d", 1);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_NE(error.find(results + " is in use by another vtspec run (pid " + std::to_string(child) + ")"), std::string::npos)
      << error;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // The child's run is over: its lock went with it, so the file can be resumed now.
  EXPECT_EQ(error_of([&] { ResultsFile after(results, true, kModel); }), "");
}

}  // namespace
}  // namespace vtspec::conformance
