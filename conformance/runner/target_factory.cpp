#include "conformance/runner/target_factory.hpp"

#include "conformance/runner/model_target.hpp"
#include "conformance/runner/shadow_model_target.hpp"

#if defined(VTSPEC_HAVE_KVM_TARGET) && __has_include("conformance/targets/kvm_target.hpp")
#include "conformance/targets/kvm_target.hpp"
#define VTSPEC_KVM_AVAILABLE 1
#endif

#if defined(VTSPEC_HAVE_QEMU_VTD_TARGET)
#include "conformance/targets/bochs_target.hpp"
#include "conformance/targets/kvm_vmx_target.hpp"
#include "conformance/targets/qemu_svm_target.hpp"
#include "conformance/targets/qemu_vtd_target.hpp"
#endif

namespace vtspec::conformance {

namespace {

// Stands in for a target this build does not have.
class MissingTarget final : public Target {
 public:
  MissingTarget(std::string name, std::string why) : name_(std::move(name)) {
    capabilities_.unavailable = std::move(why);
    capabilities_.identity = {name_, {{"build", "without this target"}}};  // its skips are no real target's results
  }
  std::string name() const override { return name_; }
  const Capabilities& capabilities() override { return capabilities_; }
  VectorResult run(const vectors::Vector&) override {
    VectorResult r;
    r.status = VectorResult::Status::skipped;
    r.reason = "target unavailable: " + capabilities_.unavailable;
    return r;
  }

 private:
  std::string name_;
  Capabilities capabilities_;
};

}  // namespace

std::vector<std::string> target_names() {
  std::vector<std::string> names{"model"};
  for (const auto& t : model::shadow::shadow_targets()) names.emplace_back(t.target);
  names.emplace_back("kvm");
  names.emplace_back("qemu-vtd");
  names.emplace_back("qemu-svm");
  names.emplace_back("bochs");
  names.emplace_back("kvm-vmx");
  return names;
}

std::unique_ptr<Target> make_target(const std::string& name) {
  if (name == "model") return std::make_unique<ModelTarget>();
  if (const auto* shadow = model::shadow::shadow_target_named(name)) return std::make_unique<ShadowModelTarget>(*shadow);
  if (name == "kvm") {
#ifdef VTSPEC_KVM_AVAILABLE
    return make_kvm_target();
#else
    return std::make_unique<MissingTarget>("kvm", "the KVM target is not part of this build (conformance/targets)");
#endif
  }
  if (name == "qemu-vtd") {
#if defined(VTSPEC_HAVE_QEMU_VTD_TARGET)
    return make_qemu_vtd_target();
#else
    return std::make_unique<MissingTarget>("qemu-vtd", "the qemu-vtd target is not part of this build (conformance/targets)");
#endif
  }
  if (name == "qemu-svm") {
#if defined(VTSPEC_HAVE_QEMU_VTD_TARGET)
    return make_qemu_svm_target();
#else
    return std::make_unique<MissingTarget>("qemu-svm", "the qemu-svm target is not part of this build (conformance/targets)");
#endif
  }
  if (name == "kvm-vmx") {
#if defined(VTSPEC_HAVE_QEMU_VTD_TARGET)
    return make_kvm_vmx_target();
#else
    return std::make_unique<MissingTarget>("kvm-vmx", "the kvm-vmx target is not part of this build (conformance/targets)");
#endif
  }
  if (name == "bochs") {
#if defined(VTSPEC_HAVE_QEMU_VTD_TARGET)
    return make_bochs_target();
#else
    return std::make_unique<MissingTarget>("bochs", "the bochs target is not part of this build (conformance/targets)");
#endif
  }
  return nullptr;
}

}  // namespace vtspec::conformance
