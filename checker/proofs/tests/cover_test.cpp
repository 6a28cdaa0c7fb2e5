// `vtspec gen --cover` must witness every reachable outcome class, each witness replaying on
// the model to its class, and prove the remaining classes unreachable.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>

#include "checker/coverage/corpus_reach.hpp"
#include "checker/coverage/cover.hpp"
#include "checker/coverage/cover_record.hpp"
#include "spec/vmx/vm_entry_checks.hpp"
#include "vectors/format/vmx_entry_file.hpp"
#include "vectors/format/state_file.hpp"

namespace vtspec::checker {
namespace {

TEST(Cover, EveryReachableClassIsCoveredByAReplayableWitness) {
  CoverOptions options;
  // One directory per process: test runs of two build trees at once must not share it.
  options.out_dir = (std::filesystem::temp_directory_path() / ("vtspec-cover-test-" + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(options.out_dir);
  const CoverReport report = run_cover(options);
  unsigned covered = 0, unreachable = 0;
  for (const auto& c : report.classes) {
    EXPECT_TRUE(c.status == ClassStatus::covered || c.status == ClassStatus::unreachable) << c.id << ": " << c.detail;
    if (c.status == ClassStatus::covered) {
      ++covered;
      ASSERT_FALSE(c.file.empty()) << c.id;
      if (c.id.rfind("vmx-entry-", 0) == 0) {
        // A VM-entry witness replays with explain-entry: exactly its check fails.
        const auto f = vectors::load_vmx_entry_file(c.file);
        const auto e = spec::vmx::evaluate_entry(f.vmcs, f.caps, f.msr_area);
        unsigned failing = 0;
        for (const auto& res : e.results) failing += res.verdict == spec::vmx::CheckVerdict::fail;
        EXPECT_EQ(failing, 1u) << c.file;
      } else {
        EXPECT_NO_THROW(vectors::load_state_file(c.file)) << c.file;
      }
    }
    unreachable += c.status == ClassStatus::unreachable;
  }
  // Known reachable classes (worked by hand from the SDM): a not-present user read, and a
  // supervisor write to a read-only page with WP=1.
  for (const char* id : {"pf-read-cpl3-ec0x04", "pf-write-cpl0-ec0x03", "eptm-write-only", "ad-guest-d"}) {
    bool found = false;
    for (const auto& c : report.classes) found = found || (c.id == id && c.status == ClassStatus::covered);
    EXPECT_TRUE(found) << id;
  }
  // And unreachable ones: I/D on a read, RSVD without P.
  // A VM-entry check failing alone (SDM Vol. 3C 27.3.1.1: a guest CR4 without PAE in an
  // IA-32e mode guest; nothing else need fail). And one that cannot: 27.2.2 "if the host
  // address-space size control is 0, IA-32e mode guest must be 0" always comes with 27.2.2's
  // "in IA-32e mode, host address-space size must be 1" (the L1 runs in IA-32e mode).
  {
    bool found = false;
    for (const auto& c : report.classes) found = found || (c.id == "vmx-entry-guest-ia32e-cr4-pae" && c.status == ClassStatus::covered);
    EXPECT_TRUE(found);
  }
  for (const char* id : {"pf-read-cpl0-ec0x10", "pf-read-cpl0-ec0x08", "vmx-entry-host-32-no-ia32e-guest"}) {
    bool found = false;
    for (const auto& c : report.classes) found = found || (c.id == id && c.status == ClassStatus::unreachable);
    EXPECT_TRUE(found) << id;
  }
  EXPECT_GT(covered, 0u);
  EXPECT_GT(unreachable, 0u);
  print_cover_report(report, stdout);
  std::filesystem::remove_all(options.out_dir);

  // The record is pinned: a class that changed status fails until `vtspec gen --cover`
  // regenerates vectors/cover/ on purpose.
  std::ifstream in(std::string(VTSPEC_SOURCE_DIR) + "/vectors/cover/" + kCoverRecordFile, std::ios::binary);
  ASSERT_TRUE(in.good()) << "vectors/cover/" << kCoverRecordFile << " missing: run `vtspec gen --cover`";
  const std::string recorded((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto changes = cover_record_changes(report, recorded);
  for (const auto& c : changes) ADD_FAILURE() << c << " (regenerate with `vtspec gen --cover` if intended)";
}

// The comparison itself, on a made-up record: each kind of change is named.
TEST(CoverRecord, NamesEveryClassThatChangedStatus) {
  CoverReport report;
  report.classes.push_back({"a", "#PF", "", ClassStatus::covered, "", "", false});
  report.classes.push_back({"b", "#PF", "", ClassStatus::unreachable, "", "", false});
  report.classes.push_back({"c", "#PF", "", ClassStatus::covered, "", "", false});
  EXPECT_TRUE(cover_record_changes(report, cover_record(report)).empty());
  const auto changes = cover_record_changes(report, "# comment\na covered\nb covered\nd unreachable\n");
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0], "class b: recorded covered, now unreachable");
  EXPECT_EQ(changes[1], "class c: not in the record, now covered");
  EXPECT_EQ(changes[2], "class d: recorded unreachable, no longer enumerated");
}

}  // namespace
}  // namespace vtspec::checker

namespace vtspec::checker {
namespace {

// The witnesses replay on the model only (`vtspec walk`); a class has a runnable vector when
// the corpus reaches it. The classes the record says are covered and no corpus vector
// reaches are pinned here: when one gets a vector, or loses it, this fails until the list
// follows (each entry says why the corpus lacks it).
TEST(Cover, TheCorpusRunsAVectorOfEveryCoveredClassButThePinnedOnes) {
  const auto reach = corpus_reach({std::string(VTSPEC_SOURCE_DIR) + "/vectors/corpus"});
  std::ifstream in(std::string(VTSPEC_SOURCE_DIR) + "/vectors/cover/" + kCoverRecordFile);
  std::set<std::string> covered;
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string id, status;
    if (f >> id >> status && id[0] != '#' && status == "covered") covered.insert(id);
  }
  ASSERT_FALSE(covered.empty());
  std::set<std::string> missing;
  // The VM-entry classes the corpus reaches (vectors/corpus/vmx/entry-checks.yaml: the checks
  // whose witness is one or two changes from a valid VMCS); the rest have only Z3's witness,
  // an arbitrary VMCS that explain-entry replays. Counted, not pinned.
  unsigned vmx_covered = 0, vmx_reached = 0;
  for (const auto& id : covered) {
    if (id.rfind("vmx-entry-", 0) != 0) continue;
    ++vmx_covered;
    vmx_reached += reach.count(id) != 0;
  }
  for (const auto& [id, where] : reach)
    if (id.rfind("vmx-entry-", 0) == 0 && !covered.count(id)) ADD_FAILURE() << id << ": reached by " << where << " but not covered";
  EXPECT_GE(vmx_reached, 140u) << "the entry-check vectors reach fewer VM-entry classes";
  std::printf("%u of %u covered VM-entry classes have a runnable corpus vector\n", vmx_reached, vmx_covered);
  for (const auto& id : covered) {
    if (id.rfind("vmx-entry-", 0) == 0) continue;
    const auto at = reach.find(id);
    if (at == reach.end()) missing.insert(id);
    else std::printf("%-28s %s\n", id.c_str(), at->second.c_str());
  }
  // None today: every covered class has a corpus vector (ept/ad-flags-set-by-the-walk gave
  // the EPT A/D classes theirs).
  const std::set<std::string> pinned = {};
  for (const auto& id : missing)
    if (!pinned.count(id)) ADD_FAILURE() << id << ": covered, and no corpus vector reaches it (pin it, saying why, or add one)";
  for (const auto& id : pinned)
    if (!missing.count(id)) ADD_FAILURE() << id << ": pinned as missing, but " << (reach.count(id) ? reach.at(id) : "the record") << " now has it";
  std::printf("%zu of %zu covered translation classes have a runnable corpus vector\n",
              covered.size() - vmx_covered - missing.size(), covered.size() - vmx_covered);
}

}  // namespace
}  // namespace vtspec::checker
