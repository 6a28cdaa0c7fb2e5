// The qemu-svm target's encode step: a vtspec/vector/3 vector (an AMD-V guest under nested
// paging) becomes a typed plan for the long-mode QEMU platform proxy acting as L1 hypervisor:
// the frames to place (the vector's host-physical memory), the L1 harness's own structures
// spliced into the vector's tables, and one VMRUN per operation that runs one access stub in
// the guest (L2) and ends in a #VMEXIT.
//
// The harness's structures (AMD64 APM Vol. 2 15.25; the layout is below and in
// vector_address_space.h's reserved ranges):
//   * guest side: entry 511 of the guest's PML4 (the linear range the loader reserves for the
//     harness) -> a harness PDPT, PD and PT at guest-physical kHarnessBase.. mapping the
//     supervisor stub page, the user stub page and a supervisor and a user stack page;
//   * nested side: nested PDPT entry 1 under the vector's nested PML4 entry 0 (guest-physical
//     [1 GiB, 2 GiB), which the loader keeps unmapped) -> a harness nested PD and PT that map
//     those pages one to one onto host-physical memory above the vector's 1 GiB.
// A vector whose own entries on that path (the nested PML4 entry 0, the guest's PML4 page)
// deny the harness a user-level write or fetch cannot run here: encode says why.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "conformance/qemu_platform/svm_unit.hpp"
#include "model/operation.hpp"

namespace vtspec::vectors { struct Vector; }

namespace vtspec::conformance::qemu_svm {

// Host-physical = guest-physical for the harness's pages (1 GiB + 3.5 MiB: above the
// proxy, the mailbox and the VMCBs of conformance/qemu_platform/mailbox_abi.h).
inline constexpr std::uint64_t kHarnessBase = 0x40380000;
inline constexpr std::uint64_t kHarnessLinear = 0xffffff8000000000;  // guest PML4 entry 511
// Linear addresses of the stubs (supervisor page, user page: the same code) and stack tops.
inline constexpr std::uint64_t kSupervisorStubs = kHarnessLinear, kUserStubs = kHarnessLinear + 0x1000;
inline constexpr std::uint64_t kSupervisorStack = kHarnessLinear + 0x3000, kUserStack = kHarnessLinear + 0x4000;
// Offsets in a stub page: a read of 1/2/4/8 bytes at 0x00/0x10/0x20/0x30, a write at
// 0x40.., a fetch (CALL *%rax; the vector's RET returns to the VMMCALL after it) at 0x80, a
// VMMCALL alone at 0xa0 (the guest of a `vmrun` operation), INVLPG (%rax) at 0xb0.
inline constexpr std::uint64_t kReadStub = 0x00, kWriteStub = 0x40, kFetchStub = 0x80, kFetchReturn = 0x82, kNopStub = 0xa0,
                               kInvlpgStub = 0xb0;

struct Frame {
  std::uint64_t address;
  std::vector<std::uint8_t> bytes;  // 4096
};

struct Step {
  model::Operation operation;
  bool observed = true;    // false: the plan's first VMRUN, which only flushes the TLB
  qemu::VmrunRequest request;
  std::uint64_t stub = 0;  // the linear address the guest starts at
};

struct Plan {
  unsigned maxphyaddr = 36;
  std::vector<Frame> frames;                                  // the vector's memory
  std::vector<std::pair<std::uint64_t, std::uint64_t>> words;  // then the harness's (hpa, u64)
  std::vector<Step> steps;
};

struct Encoded {
  Plan plan;
  std::string error;  // why the target cannot build the vector
};
Encoded encode_vector(const vectors::Vector& vector);

// Whether the plan has a step for `operation` (the target's capabilities say so from this),
// and in words what it runs.
bool runs(const model::Operation& operation);
inline constexpr const char* kWhatRuns =
    "the qemu-svm target's L1 runs accesses (not implicit supervisor-mode ones), INVLPG, INVLPGA, VMRUN and entry stores";

// The stub page's bytes (the same page is mapped supervisor and user).
std::vector<std::uint8_t> stub_page();

}  // namespace vtspec::conformance::qemu_svm
