// The KVM target's identity in results files (issue 9): the host kernel, the CPU model and the
// KVM backend, whether or not /dev/kvm is usable here.
#include <gtest/gtest.h>

#include <sys/utsname.h>

#include <filesystem>
#include <sstream>

#include "conformance/targets/kvm_identity.hpp"
#include "conformance/targets/kvm_target.hpp"

namespace vtspec::conformance {
namespace {

TEST(KvmIdentity, NamesTheKernelTheCpuAndTheBackend) {
  const auto identity = kvm_host_identity();
  ASSERT_EQ(identity.size(), 3u);
  struct utsname u {};
  ASSERT_EQ(::uname(&u), 0);
  EXPECT_EQ(identity.at("kernel"), u.release);
  EXPECT_FALSE(identity.at("cpu").empty());
  EXPECT_NE(identity.at("cpu"), "unknown");  // every x86-64 CPU has a brand string
  const std::string backend = identity.at("backend");
  bool any_loaded = false;
  for (const char* module : {"kvm_intel", "kvm_amd", "kvm_pvm"}) {
    const bool loaded = std::filesystem::exists(std::filesystem::path("/sys/module") / module);
    any_loaded |= loaded;
    EXPECT_EQ(("+" + backend + "+").find("+" + std::string(module) + "+") != std::string::npos, loaded)
        << module << " in " << backend;
  }
  if (!any_loaded) {
    EXPECT_EQ(backend, "unknown");
  }
}

TEST(KvmIdentity, IsPartOfTheTargetsCapabilities) {
  auto target = make_kvm_target(2000);
  const TargetIdentity& identity = target->capabilities().identity;
  EXPECT_EQ(identity.name, target->name());
  for (const auto& [key, value] : kvm_host_identity()) EXPECT_EQ(identity.details.at(key), value) << key;
  EXPECT_EQ(identity.details.count("unavailable"), target->capabilities().unavailable.empty() ? 0u : 1u);
}

}  // namespace
}  // namespace vtspec::conformance
