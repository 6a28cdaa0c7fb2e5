// The qemu-vtd target: what its encode step refuses (with the reason, before QEMU runs), and
// a QEMU that stops answering is recorded against the vector it was running while the next
// vector runs on a new machine.
#include <gtest/gtest.h>

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "conformance/qemu_platform/qemu_machine.hpp"
#include "conformance/runner/skip_decision.hpp"
#include "conformance/targets/qemu_vtd_plan.hpp"
#include "conformance/targets/qemu_vtd_target.hpp"
#include "vectors/format/vector_file.hpp"

namespace vtspec::conformance {
namespace {

std::vector<vectors::Vector> corpus(const char* file) {
  return vectors::load_vector_file(std::string(VTSPEC_CORPUS_DIR) + "/vtd/" + file);
}

const vectors::Vector& by_id(const std::vector<vectors::Vector>& vs, const std::string& id) {
  for (const auto& v : vs)
    if (v.id == id) return v;
  throw std::runtime_error("no vector " + id);
}

TEST(QemuVtdPlan, PlacesTheVectorAndRefusesWhatThePlatformCannotBuild) {
  const auto vs = corpus("isolation.yaml");
  ASSERT_FALSE(vs.empty());
  const auto ok = qemu_vtd::encode_vector(vs[0]);
  EXPECT_EQ(ok.error, "");
  EXPECT_EQ(ok.plan.shape.iommu_device, "intel-iommu,aw-bits=39");
  EXPECT_EQ(ok.plan.shape.devices, (std::vector<std::uint16_t>{0x18, 0x20}));
  EXPECT_EQ(ok.plan.root_table, 0x100000u);
  // Memory below 1 MiB (the firmware's) or a later store there: the runner's skip decision,
  // from the window the target's capabilities give, refuses it before the target runs.
  Capabilities caps = unlimited_capabilities();
  caps.memory_window = {{qemu_vtd::kWindowBegin, qemu_vtd::kWindowEnd}};
  EXPECT_FALSE(skip_reason(vectors::needs_of(vs[0]), caps).has_value());
  vectors::Vector moved = vs[0];
  moved.initial.memory.write64(0x2000, 1);
  const auto why = skip_reason(vectors::needs_of(moved), caps);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("spans [0x2000,"), std::string::npos) << *why;
  vectors::Vector stored = vs[0];
  stored.operations.push_back(stored.operations.front());
  stored.operations.back().kind = model::OperationKind::store_entry;
  stored.operations.back().address = 0x40000000;  // the proxy's
  EXPECT_TRUE(skip_reason(vectors::needs_of(stored), caps).has_value());
  EXPECT_NE(qemu_vtd::device_slot_problem(0x0119).find("bus 1"), std::string::npos);
  EXPECT_NE(qemu_vtd::device_slot_problem(0x001a).find("function 2"), std::string::npos);
  EXPECT_NE(qemu_vtd::device_slot_problem(0x00f8).find("board's own"), std::string::npos);  // 00:1f.0
  EXPECT_EQ(qemu_vtd::device_slot_problem(0x0018), "");
}

// The qemu-system-x86_64 processes this test process started.
std::vector<int> qemu_children() {
  std::vector<int> pids;
  DIR* proc = opendir("/proc");
  while (dirent* e = readdir(proc)) {
    const int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream stat(std::string("/proc/") + e->d_name + "/stat");
    std::string comm, state;
    int id = 0, ppid = 0;
    if (stat >> id >> comm >> state >> ppid && ppid == getpid() && comm.find("qemu") != std::string::npos) pids.push_back(pid);
  }
  closedir(proc);
  return pids;
}

TEST(QemuVtdTarget, AHungQemuIsRecordedAgainstItsVectorAndTheNextOneRuns) {
  if (const auto why = qemu::qemu_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
  const auto vs = corpus("fault-reasons.yaml");
  const auto& first = by_id(vs, "vtd/reason-5-write-denied");
  auto target = make_qemu_vtd_target();
  ASSERT_EQ(target->capabilities().unavailable, "");
  const auto r1 = target->run(first);
  ASSERT_EQ(r1.status, VectorResult::Status::ran) << r1.reason;
  ASSERT_EQ(r1.observations.size(), 2u);
  // VT-d 7.1.3: a write through a read-only SL-PTE is reason 5; the read completes.
  EXPECT_EQ(r1.observations[0].event, model::Event::dma_fault(0x5, 0x18, 0x5000, false));
  EXPECT_EQ(r1.observations[1].event.kind, model::EventKind::completed);
  const auto pids = qemu_children();
  ASSERT_FALSE(pids.empty());
  for (int pid : pids) {  // the machine stops answering its mailbox
    kill(pid, SIGSTOP);
    // Only once waitpid(WUNTRACED) reports it has every QEMU thread stopped (kill() queues).
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, WUNTRACED), pid);
    ASSERT_TRUE(WIFSTOPPED(status));
  }
  const auto r2 = target->run(first);
  EXPECT_EQ(r2.status, VectorResult::Status::target_error);
  EXPECT_FALSE(r2.reason.empty());
  for (int pid : pids) kill(pid, SIGCONT);
  const auto r3 = target->run(first);  // a new machine
  ASSERT_EQ(r3.status, VectorResult::Status::ran) << r3.reason;
  EXPECT_EQ(r3.observations[0].event, r1.observations[0].event);
}

}  // namespace
}  // namespace vtspec::conformance
