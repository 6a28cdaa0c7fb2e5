#include "model/address_space/guest_physical_view.hpp"

#include "spec/paging_walk.hpp"

namespace vtspec::model {

std::optional<std::uint64_t> ept_host_address(const HostPhysicalMemory& memory, const EptStage& ept,
                                              std::uint64_t gpa) {
  spec::EptAccess<spec::Concrete> no_right;
  no_right.read = false;
  const auto w = spec::walk_ept<spec::Concrete>(ept.shape, ept.eptp, gpa, no_right, memory);
  if (!w.translated) return std::nullopt;
  return w.physical;
}

// Where the nested page tables map `gpa`, whatever the rights: the nested walk (spec's IA-32e
// walk in the nested regime) reached a present leaf without reserved bits.
std::optional<std::uint64_t> nested_host_address(const HostPhysicalMemory& memory, const NestedStage& n, std::uint64_t gpa) {
  spec::NoObserver none;
  spec::DirectPort<spec::Concrete, const HostPhysicalMemory> port{memory, none};
  const auto w = spec::walk_paging<spec::Concrete>(n.mode.shape(), spec::svm::nested_control<spec::Concrete>(n.mode), n.ncr3, gpa,
                                                   spec::Access<spec::Concrete>::make(spec::AccessKind::read, 3), port);
  if (!w.reached_leaf) return std::nullopt;
  return w.physical;
}

std::optional<std::uint64_t> GuestPhysicalView::host_address(std::uint64_t gpa) const {
  struct Resolve {
    const HostPhysicalMemory& memory;
    std::uint64_t gpa;
    std::optional<std::uint64_t> operator()(const IdentityStage&) const { return gpa; }
    std::optional<std::uint64_t> operator()(const EptStage& ept) const { return ept_host_address(memory, ept, gpa); }
    std::optional<std::uint64_t> operator()(const NestedStage& n) const { return nested_host_address(memory, n, gpa); }
  };
  return std::visit(Resolve{*memory_, gpa}, stage_);
}

}  // namespace vtspec::model
