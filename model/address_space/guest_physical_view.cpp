#include "model/address_space/guest_physical_view.hpp"

namespace vtspec::model {

std::optional<std::uint64_t> ept_host_address(const HostPhysicalMemory& memory, const EptStage& ept,
                                              std::uint64_t gpa) {
  spec::EptAccess<spec::Concrete> no_right;
  no_right.read = false;
  const auto w = spec::walk_ept<spec::Concrete>(ept.shape, ept.eptp, gpa, no_right, memory);
  if (!w.translated) return std::nullopt;
  return w.physical;
}

std::optional<std::uint64_t> GuestPhysicalView::host_address(std::uint64_t gpa) const {
  struct Resolve {
    const HostPhysicalMemory& memory;
    std::uint64_t gpa;
    std::optional<std::uint64_t> operator()(const IdentityStage&) const { return gpa; }
    std::optional<std::uint64_t> operator()(const EptStage& ept) const { return ept_host_address(memory, ept, gpa); }
  };
  return std::visit(Resolve{*memory_, gpa}, stage_);
}

}  // namespace vtspec::model
