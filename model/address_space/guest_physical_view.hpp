// A guest-physical address space: the machine's host-physical memory seen through a second
// stage that maps each guest-physical address to a host-physical one, ignoring access
// rights (the view answers "where does this guest-physical byte live", not "may the guest
// access it" - that is the walks' business, spec/ept_walk.hpp).
//   identity  EPT not in use (outside VMX non-root operation, or "enable EPT" = 0): guest-
//             physical addresses are host-physical addresses (SDM Vol. 3C 29.3).
//   EPT       in VMX non-root operation with "enable EPT" = 1: the EPT paging structures
//             the EPTP names (29.3.2).
//   nested    an AMD-V guest with nested paging: the nested page tables at nCR3, in the
//             host's paging mode (AMD64 APM Vol. 2 15.25.5).
// A VMM's own GPA->HPA map (shadow paging) or an IOMMU's second stage (VT-d) would be
// further alternatives of SecondStage.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>

#include "model/address_space/host_physical_memory.hpp"
#include "spec/ept_walk.hpp"
#include "spec/svm/nested_paging_mode.hpp"

namespace vtspec::model {

struct IdentityStage {};
struct EptStage {
  spec::EptShape shape;
  std::uint64_t eptp = 0;
};
struct NestedStage {
  spec::svm::NestedPagingMode mode;
  std::uint64_t ncr3 = 0;
};
using SecondStage = std::variant<IdentityStage, EptStage, NestedStage>;

// The host-physical address EPT maps `gpa` to, whatever the access rights: spec::walk_ept
// for an access that requests no right, so presence (bits 2:0, and bit 10 with mode-based
// execute control, 29.3.2), page size and misconfiguration (29.3.3.1) are decided exactly
// as for a real access. None: not present, or misconfigured - no access reaches memory
// there.
std::optional<std::uint64_t> ept_host_address(const HostPhysicalMemory& memory, const EptStage& ept,
                                              std::uint64_t gpa);

std::optional<std::uint64_t> nested_host_address(const HostPhysicalMemory& memory, const NestedStage& nested,
                                                 std::uint64_t gpa);

class GuestPhysicalView {
 public:
  GuestPhysicalView(const HostPhysicalMemory& memory, SecondStage stage) : memory_(&memory), stage_(stage) {}

  // Where guest-physical `gpa` lives in host-physical memory; none when nothing maps it.
  std::optional<std::uint64_t> host_address(std::uint64_t gpa) const;
  const HostPhysicalMemory& host() const { return *memory_; }
  const SecondStage& stage() const { return stage_; }

 private:
  const HostPhysicalMemory* memory_;
  SecondStage stage_;
};

}  // namespace vtspec::model
