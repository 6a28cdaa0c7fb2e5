// The bochs target: its encode step (no Bochs needed), and on the real Bochs 2.7 (label
// bochs; SKIPPED without it) EPT translations through the VMX L1 with outcomes worked out
// from the SDM here, the documented divergences pinned (docs/bochs-divergences.md: when one
// of those tests fails, Bochs changed and the document must follow), a hung Bochs recorded
// against its vector while the run goes on, and parallel instances agreeing with one.
#include <gtest/gtest.h>



#include "conformance/bochs_platform/bochs_machine.hpp"
#include "conformance/targets/bochs_target.hpp"
#include "conformance/targets/vmx_l1_plan.hpp"
#include "model/vmx/vmx_profiles.hpp"
#include "spec/vmx/vmcs_fields.hpp"
#include "vectors/format/vector_file.hpp"

namespace vtspec::conformance {
namespace {

namespace f = spec::vmx::vmcs_field;

std::vector<vectors::Vector> ept_corpus(const char* file) {
  return vectors::load_vector_file(std::string(VTSPEC_CORPUS_DIR) + "/ept/" + file);
}

const vectors::Vector& by_id(const std::vector<vectors::Vector>& vs, const std::string& id) {
  for (const auto& v : vs)
    if (v.id == id) return v;
  throw std::runtime_error("no vector " + id);
}

std::uint64_t field(const std::vector<std::pair<std::uint32_t, std::uint64_t>>& fields, std::uint32_t encoding) {
  for (const auto& [e, v] : fields)
    if (e == encoding) return v;
  return 0;
}

TEST(VmxL1Plan, EntersTheVectorsGuestUnderItsEptWithEveryExceptionIntercepted) {
  const auto vs = ept_corpus("permissions.yaml");
  const auto& v = by_id(vs, "ept/pte-R-pde-RWX");
  const auto caps = model::vmx::find_vmx_profile("bochs-skylake-x")->caps;
  const auto encoded = vmx_l1::encode_vector(v, caps);
  ASSERT_EQ(encoded.error, "");
  const auto& steps = encoded.plan.steps;
  ASSERT_EQ(steps.size(), v.operations.size() + 1);
  // The first step only flushes: INVEPT and INVVPID all-context (type 2), then the exit call.
  EXPECT_FALSE(steps[0].observed);
  ASSERT_EQ(steps[0].request.host_before.size(), 2u);
  EXPECT_EQ(steps[0].request.host_before[0].kind, VT_QC_INVEPT);
  EXPECT_EQ(steps[0].request.host_before[0].address, 2u);
  const auto& fields = steps[1].request.fields;
  EXPECT_EQ(field(fields, f::ept_pointer), v.initial.ept->eptp);
  EXPECT_EQ(field(fields, f::exception_bitmap), 0xffffffffu);
  EXPECT_EQ(field(fields, f::guest_cr3), v.initial.regs.cr3);
  EXPECT_EQ(field(fields, f::guest_cr0) & 0x20, 0x20u);       // CR0.NE, fixed to 1 in VMX operation (A.7)
  EXPECT_EQ(field(fields, f::guest_cr4) & 0x2000, 0x2000u);   // CR4.VMXE (A.8)
  EXPECT_EQ(field(fields, f::guest_ia32_efer), v.initial.regs.efer);
  EXPECT_EQ(field(fields, f::vm_entry_controls) & (1u << 15), 1u << 15);  // load IA32_EFER
  EXPECT_EQ(field(fields, f::vpid), 0u);  // the model runs the vector's guest with VPID 0000H
  EXPECT_EQ(field(fields, f::guest_rip), l1::kSupervisorStubs + l1::kReadStub + 0x30);  // an 8-byte read
  EXPECT_EQ(steps[1].request.rax, 0x8000000000u);
  for (const auto& [e, value] : fields) EXPECT_NE(spec::vmx::field_type(e), spec::vmx::FieldType::host) << std::hex << e;
}

TEST(VmxL1Plan, RefusesWhatTheL1CannotRun) {
  const auto caps = model::vmx::find_vmx_profile("bochs-skylake-x")->caps;
  const auto paging = ept_corpus("paging-structures.yaml");
  // With EPT A/D the guest's PML4 page must be writable in EPT: the harness's own walk
  // (entry 511) is a write there (29.3.3.2), and this vector's EPT allows reads only.
  const auto denied = vmx_l1::encode_vector(by_id(paging, "ept/guest-pml4-R-ad"), caps);
  EXPECT_NE(denied.error.find("denies the guest's PML4 page"), std::string::npos) << denied.error;
  const auto npt = vectors::load_vector_file(std::string(VTSPEC_CORPUS_DIR) + "/npt/permissions.yaml");
  ASSERT_FALSE(npt.empty());
  EXPECT_NE(vmx_l1::encode_vector(npt.front(), caps).error.find("not a guest under EPT"), std::string::npos);
}

#define REQUIRE_BOCHS() \
  if (std::string why = bochs::bochs_unavailable_reason(); !why.empty()) GTEST_SKIP() << why

Observation only_observation(const VectorResult& r, std::size_t i) {
  if (r.status != VectorResult::Status::ran) throw std::runtime_error("did not run: " + r.reason);
  if (i >= r.observations.size()) throw std::runtime_error("no observation " + std::to_string(i));
  return r.observations[i];
}

class BochsTargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    REQUIRE_BOCHS();
    target = make_bochs_target();
    ASSERT_EQ(target->capabilities().unavailable, "");
  }
  std::unique_ptr<Target> target;
};

TEST_F(BochsTargetTest, TheVirtualCpuIsTheCpuModels) {
  const Capabilities& c = target->capabilities();
  EXPECT_EQ(c.identity.details.at("cpu"), "corei7_skylake_x");
  EXPECT_NE(c.identity.details.at("bochs").find("2.7"), std::string::npos);
  EXPECT_EQ(c.min_maxphyaddr, c.max_maxphyaddr);  // one CPU, one MAXPHYADDR
  ASSERT_TRUE(c.ept_capabilities.has_value());
  ASSERT_EQ(c.ept_capabilities->size(), 1u);
  // targets.md: EPT 1G pages and EPT A/D on corei7_skylake_x.
  EXPECT_TRUE(c.ept_capabilities->front().page_1g);
  EXPECT_TRUE(c.ept_capabilities->front().accessed_dirty);
  EXPECT_FALSE(c.native_guest);
}

// SDM Vol. 3C 29.3.3.2 and Table 28-7: the data page's EPT PTE allows reads only. A read
// completes with the page's value; a write is an EPT violation with qualification bit 1
// (write), bit 3 (the translation is readable), bit 7 (linear address valid) and bit 8 (the
// final translation) = 0x18a; a fetch has bit 2 instead of bit 1 = 0x18c.
TEST_F(BochsTargetTest, ReadOnlyEptPageAllowsTheReadAndFaultsTheWriteAndTheFetch) {
  const auto vs = ept_corpus("permissions.yaml");
  const auto r = target->run(by_id(vs, "ept/pte-R-pde-RWX"));
  EXPECT_EQ(only_observation(r, 0).event, model::Event::completed(0x76730000020000c3));
  EXPECT_EQ(only_observation(r, 1).event, model::Event::vm_exit(48, 0x18a, 0x1000000, 0x8000000000));
  EXPECT_EQ(only_observation(r, 2).event, model::Event::vm_exit(48, 0x18c, 0x1000000, 0x8000000000));
}

// docs/bochs-divergences.md §1: the guest's PDPT entry has A clear and its page is read-only
// in EPT (no EPT A/D). Setting A is a data write (29.3.3.2): the SDM's outcome is an EPT
// violation at the PDPT page; Bochs completes the read and sets A.
TEST_F(BochsTargetTest, KnownDivergenceAccessedUpdateThroughAReadOnlyEptPageCompletes) {
  const auto vs = ept_corpus("paging-structures.yaml");
  const auto r = target->run(by_id(vs, "ept/guest-pdpt-R-flags-clear"));
  const Observation o = only_observation(r, 0);
  EXPECT_EQ(o.event, model::Event::completed(0x76730000020000c3)) << "Bochs now faults: update docs/bochs-divergences.md §1";
  ASSERT_EQ(o.entries_after.size(), 1u);
  EXPECT_EQ(o.entries_after[0].second & 0x20, 0x20u) << "A was set through a read-only EPT page";
}

// docs/bochs-divergences.md §2: with EPT A/D (EPTP bit 6) the guest's PDPT page has no EPT
// rights; the walk's access to it is treated as a write, and Table 28-7 then sets bits 0 and
// 1 (0x83 with bit 7). Bochs reports bit 1 only.
TEST_F(BochsTargetTest, KnownDivergenceEptAdPagingStructureViolationLacksTheReadBit) {
  const auto vs = ept_corpus("paging-structures.yaml");
  const auto r = target->run(by_id(vs, "ept/guest-pdpt-none-ad"));
  EXPECT_EQ(only_observation(r, 0).event, model::Event::vm_exit(48, 0x82, 0x100000, 0x8000000000))
      << "update docs/bochs-divergences.md §2";
}

// docs/bochs-divergences.md §3: bit 12 of a 2-MByte EPT page is reserved (Table 29-4); Bochs
// translates through it.
TEST_F(BochsTargetTest, KnownDivergenceBit12OfA2MEptPageIsNotChecked) {
  const auto vs = ept_corpus("misconfigurations.yaml");
  const auto r = target->run(by_id(vs, "ept/misconfig-2m-bit-12"));
  EXPECT_EQ(only_observation(r, 0).event.kind, model::EventKind::completed) << "update docs/bochs-divergences.md §3";
  const auto r20 = target->run(by_id(vs, "ept/misconfig-2m-bit-20"));
  EXPECT_EQ(only_observation(r20, 0).event, model::Event::vm_exit(49, 0, 0x1000000, std::nullopt));
}

// A Bochs that hangs is killed at its deadline; the vector it was running is recorded as an
// error, the vectors before it keep their results, and the rest run in the next boot. The
// hang is the target's test hook: the third vector's list ends in a poll nothing completes.
TEST(BochsTarget, AHungBochsIsRecordedAgainstItsVectorAndTheRunGoesOn) {
  REQUIRE_BOCHS();
  const auto vs = ept_corpus("permissions.yaml");
  ASSERT_GE(vs.size(), 6u);
  BochsTargetOptions options;
  options.instances = 1;
  options.boot_timeout = std::chrono::milliseconds(2000);
  options.hang_in_vector = vs[2].id;
  auto target = make_bochs_target(options);
  std::vector<const vectors::Vector*> some;
  for (std::size_t i = 0; i < 6; ++i) some.push_back(&vs[i]);
  const auto results = target->run_many(some);
  ASSERT_EQ(results.size(), some.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (i == 2) {
      EXPECT_EQ(results[i].status, VectorResult::Status::target_error);
      EXPECT_NE(results[i].reason.find("hung"), std::string::npos) << results[i].reason;
    } else {
      EXPECT_EQ(results[i].status, VectorResult::Status::ran) << vs[i].id << ": " << results[i].reason;
      EXPECT_EQ(results[i].observations.size(), vs[i].operations.size()) << vs[i].id;
    }
  }
}

TEST(BochsTarget, TwoInstancesObserveWhatOneDoes) {
  REQUIRE_BOCHS();
  BochsTargetOptions one_options, two_options;
  one_options.instances = 1;
  two_options.instances = 2;
  auto one = make_bochs_target(one_options), two = make_bochs_target(two_options);
  const auto vs = ept_corpus("permissions.yaml");
  std::vector<const vectors::Vector*> all;
  for (const auto& v : vs) all.push_back(&v);
  const auto a = one->run_many(all), b = two->run_many(all);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].status, b[i].status) << vs[i].id << ": " << a[i].reason << " / " << b[i].reason;
    ASSERT_EQ(a[i].observations.size(), b[i].observations.size()) << vs[i].id;
    for (std::size_t k = 0; k < a[i].observations.size(); ++k)
      EXPECT_EQ(a[i].observations[k].event, b[i].observations[k].event) << vs[i].id << " operation " << k;
  }
}

}  // namespace
}  // namespace vtspec::conformance
