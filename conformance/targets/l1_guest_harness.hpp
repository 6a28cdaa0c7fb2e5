// The part of an L1 hypervisor target that lives in its guest (L2), shared by the AMD-V
// target (qemu-svm: VMRUN/#VMEXIT) and the VMX target (bochs: VMLAUNCH/VM exit). Only the
// transition mechanics differ between the two; everything here is common:
//   * the harness's pages in the guest: entry 511 of the guest's PML4 (the linear range the
//     loader reserves for the harness, vectors/format/vector_address_space.h) -> a harness
//     PDPT, PD and PT at guest-physical kHarnessBase.. mapping a stub page (supervisor and
//     user) and a supervisor and a user stack page;
//   * the nested side: entry 1 of the PDPT under the vector's nested PML4 entry 0
//     (guest-physical [1 GiB, 2 GiB), which the loader keeps free of vector memory) -> a
//     harness nested PD and PT mapping those pages one to one, in the nested format of the
//     vendor (AMD64 APM Vol. 2 15.25.5: long-mode entries, user; SDM Vol. 3C 29.3.2: EPT
//     entries with R/W/X and memory type WB);
//   * the stubs one operation runs in the guest, ending in the vendor's call to the L1
//     (VMMCALL, VMCALL), and what the guest's stop (the call, or an intercepted exception)
//     means for the operation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/event.hpp"
#include "model/machine_state.hpp"
#include "model/operation.hpp"

namespace vtspec::conformance::l1 {

// Host-physical = guest-physical for the harness's pages (1 GiB + 3.5 MiB: above the L1
// proxy, its mailbox and its VMCBs or VMCS, conformance/qemu_platform/mailbox_abi.h).
inline constexpr std::uint64_t kHarnessBase = 0x40380000;
inline constexpr std::uint64_t kHarnessLinear = 0xffffff8000000000;  // guest PML4 entry 511
inline constexpr std::uint64_t kHarnessGpaBegin = 0x40000000, kHarnessGpaEnd = 0x80000000;
// Linear addresses of the stubs (supervisor page, user page: the same code) and stack tops.
inline constexpr std::uint64_t kSupervisorStubs = kHarnessLinear, kUserStubs = kHarnessLinear + 0x1000;
inline constexpr std::uint64_t kSupervisorStack = kHarnessLinear + 0x3000, kUserStack = kHarnessLinear + 0x4000;
// Offsets in a stub page: a read of 1/2/4/8 bytes at 0x00/0x10/0x20/0x30, a write at
// 0x40.., a fetch (CALL *%rax; the vector's RET returns to the exit call after it) at 0x80,
// the exit call alone at 0xa0, INVLPG (%rax) at 0xb0.
inline constexpr std::uint64_t kReadStub = 0x00, kWriteStub = 0x40, kFetchStub = 0x80, kFetchReturn = 0x82, kNopStub = 0xa0,
                               kInvlpgStub = 0xb0;

// How the guest calls its L1: VMMCALL (AMD64 APM Vol. 2 15.32) or VMCALL (SDM Vol. 3C 26.1.2,
// an unconditional VM exit).
enum class Vendor { amd, intel };

// The stub page's bytes (the same page is mapped supervisor and user).
std::vector<std::uint8_t> stub_page(Vendor vendor);

struct Frame {
  std::uint64_t address;
  std::vector<std::uint8_t> bytes;  // 4096
};

// The vector's memory and the harness's pages spliced into its tables.
struct Layout {
  std::vector<Frame> frames;                                   // the vector's memory, then the stub page
  std::vector<std::pair<std::uint64_t, std::uint64_t>> words;  // then the harness's entries (hpa, u64)
};

// The vector's memory and the harness's pages on both sides of a guest under nested paging
// (s.npt) or EPT (s.ept). Returns why not when the vector's own entries on the harness's
// path (its nested PML4 entry 0, its guest PML4 page) would deny the harness its pages.
std::string lay_out(const model::MachineState& s, Vendor vendor, Layout& out);

// What the guest runs for an access or an INVLPG: the stub's linear address, the CPL, and
// the guest's RAX (the address) and RBX (a write's value).
struct GuestRun {
  std::uint64_t stub = 0;
  unsigned cpl = 0;
  std::uint64_t rax = 0, rbx = 0;
};
std::optional<GuestRun> guest_run(const model::Operation& op);
// The guest of a plain entry (a VMRUN or VM entry that only runs the exit call).
GuestRun exit_call_run();

// A vector as the L1 runs it, for either vendor's transition request (`Request`: a VMRUN's,
// a VM entry's): the vector's memory and the harness's pages, then one step per operation -
// the L1's own commands and, unless the request says not, one entry of the guest running
// `run` - after the plan's first step, which only flushes the TLBs (not `observed`).
template <class Request>
struct Step {
  model::Operation operation;
  bool observed = true;
  Request request;
  GuestRun run;
};
template <class Request>
struct Plan {
  unsigned maxphyaddr = 36;
  Layout layout;
  std::vector<Step<Request>> steps;
};
template <class Request>
struct Encoded {
  Plan<Request> plan;
  std::string error;  // why the target cannot build the vector
};

// Where the guest stopped: at its exit call, or at an exception its L1 intercepts (every
// vector is intercepted: APM Vol. 2 15.12, SDM Vol. 3C 25.6.3 exception bitmap).
struct GuestStop {
  bool at_exit_call = false;
  std::uint64_t rip = 0, rax = 0;
  unsigned vector = 0;
  std::uint64_t error_code = 0, fault_address = 0;  // the error code (when the vector has one); CR2 for #PF
};
// The operation's event for a stop, or why the stop is the harness's own failure.
struct StopMeaning {
  model::Event event;
  std::string harness_failure;
};
StopMeaning meaning_of(const model::Operation& op, const GuestRun& run, const GuestStop& stop);
// Whether exception `vector` pushes an error code (SDM Vol. 3A Table 6-1).
bool pushes_error_code(unsigned vector);

}  // namespace vtspec::conformance::l1
