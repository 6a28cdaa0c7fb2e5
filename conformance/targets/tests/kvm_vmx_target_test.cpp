// The kvm-vmx target (the VMX L1 on QEMU over a KVM with nested VMX). On a host whose KVM
// offers VMX to its guests it runs EPT vectors with outcomes worked out from the SDM here; on
// one that does not (this machine kind) it is unavailable, says why, and every vector comes
// back SKIPPED with that reason, never passed.
#include <gtest/gtest.h>

#include "conformance/runner/skip_decision.hpp"
#include "conformance/targets/kvm_vmx_target.hpp"
#include "vectors/format/vector_file.hpp"

namespace vtspec::conformance {
namespace {

const vectors::Vector& by_id(const std::vector<vectors::Vector>& vs, const std::string& id) {
  for (const auto& v : vs)
    if (v.id == id) return v;
  throw std::runtime_error("no vector " + id);
}

TEST(KvmVmxTarget, RunsTheEptVectorsOnNestedVmxOrSaysWhyNot) {
  const auto vs = vectors::load_vector_file(std::string(VTSPEC_CORPUS_DIR) + "/ept/permissions.yaml");
  const auto& v = by_id(vs, "ept/pte-R-pde-RWX");
  auto target = make_kvm_vmx_target();
  const std::string why = nested_vmx_unavailable_reason();
  const Capabilities& caps = target->capabilities();
  if (!why.empty()) {
    EXPECT_EQ(caps.unavailable, why);
    const auto skip = skip_reason(vectors::needs_of(v), caps);
    ASSERT_TRUE(skip.has_value());
    EXPECT_EQ(*skip, "target unavailable: " + why);
    const VectorResult r = target->run(v);
    EXPECT_EQ(r.status, VectorResult::Status::skipped);
    EXPECT_TRUE(r.observations.empty());
    GTEST_SKIP() << why;
  }
  // SDM Vol. 3C 29.3.3.2, Table 28-7: a read-only EPT page; the read completes, the write and
  // the fetch are EPT violations with bits 1 (or 2), 3, 7 and 8.
  ASSERT_EQ(caps.unavailable, "");
  const VectorResult r = target->run(v);
  ASSERT_EQ(r.status, VectorResult::Status::ran) << r.reason;
  ASSERT_EQ(r.observations.size(), 3u);
  EXPECT_EQ(r.observations[0].event, model::Event::completed(0x76730000020000c3));
  EXPECT_EQ(r.observations[1].event, model::Event::vm_exit(48, 0x18a, 0x1000000, 0x8000000000));
  EXPECT_EQ(r.observations[2].event, model::Event::vm_exit(48, 0x18c, 0x1000000, 0x8000000000));
}

}  // namespace
}  // namespace vtspec::conformance
