// What one operation did, as the architecture describes it: the single event type that the
// model, vectors, the runner and every target share. A target decodes what it saw into an
// Event; a vector lists the Events the SDM allows; comparison is one function (`difference`).
//
//   completed              the operation finished (a read: with the value read)
//   exception              a fault or trap delivered to the guest (SDM Vol. 3A 6.15)
//   vm_exit                a VM exit (SDM Vol. 3C 28.2: basic exit reason, exit qualification,
//                          guest-physical and guest-linear address fields), or with `svm` an
//                          AMD-V #VMEXIT (AMD64 APM Vol. 2 15.6: exit code, EXITINFO1 in
//                          `qualification`, EXITINFO2 in `guest_physical`)
//   vm_entry_failure       a VM entry that failed after VMLAUNCH/VMRESUME started loading guest
//                          state (SDM Vol. 3C 27.8: exit reason with bit 31 set, qualification)
//   vm_instruction_error   a VMX instruction that failed with VMfailValid (SDM Vol. 3C 31.4,
//                          the VM-instruction error number)
//   vm_fail_invalid        a VMX instruction that failed with VMfailInvalid (SDM Vol. 3C 31.2:
//                          CF = 1, no current VMCS to hold an error number)
//   dma_fault              a DMA request blocked by remapping hardware (Intel VT-d 7.1: fault
//                          reason, source id, address)
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace vtspec::model {

enum class EventKind : std::uint8_t {
  completed, exception, vm_exit, vm_entry_failure, vm_instruction_error, dma_fault, vm_fail_invalid
};
const char* to_string(EventKind kind);

inline constexpr unsigned kPageFaultVector = 14;  // SDM Vol. 3A Table 6-1
inline constexpr unsigned kGeneralProtectionVector = 13;
inline constexpr unsigned kInvalidOpcodeVector = 6;

// Basic exit reasons the model produces (SDM Vol. 3C Appendix C).
inline constexpr unsigned kExitEptViolation = 48, kExitEptMisconfig = 49;
// SVM exit codes (AMD64 APM Vol. 2 Appendix C; spec/svm/vmcb_layout.hpp).
inline constexpr unsigned kSvmExitNpf = 0x400;
inline constexpr std::uint64_t kSvmExitInvalid = ~std::uint64_t{0};  // VMEXIT_INVALID (-1): VMRUN failed its checks

struct Event {
  EventKind kind = EventKind::completed;

  // completed: the value a read returned (zero-extended from its size); absent when the
  // operation reads nothing or the value is not checked.
  std::optional<std::uint64_t> value;

  // exception: vector and error code (0 where the exception has none); CR2 for #PF only.
  unsigned vector = 0;
  std::uint64_t error_code = 0;
  std::optional<std::uint64_t> cr2;

  // vm_exit / vm_entry_failure: basic exit reason and exit qualification; vm_exit also the
  // guest-physical and (when valid, Table 28-7 bit 7) guest-linear address.
  std::uint64_t exit_reason = 0;  // VMX: 16 bits; SVM: the 64-bit EXITCODE (VMEXIT_INVALID is -1)
  bool svm = false;  // an AMD-V #VMEXIT: exit_reason is the exit code
  std::uint64_t qualification = 0;
  std::uint64_t qualification_undefined = 0;  // qualification bits the SDM leaves open (either value matches)
  std::optional<std::uint64_t> guest_physical;
  std::optional<std::uint64_t> guest_linear;

  // vm_instruction_error: the VM-instruction error number (SDM Vol. 3C 31.4).
  unsigned instruction_error = 0;

  // dma_fault: fault reason, requester source id, the faulting request's page and whether
  // it was a read (the fault record's FR, SID, FI and T fields, VT-d 10.4.14). Reason 0: the
  // request was blocked and no fault was recorded (context FPD = 1, VT-d 7.1.2) - what an
  // observer sees then.
  unsigned fault_reason = 0;
  std::uint16_t source_id = 0;
  std::uint64_t fault_address = 0;
  bool fault_read = false;

  friend bool operator==(const Event&, const Event&) = default;

  static Event completed(std::optional<std::uint64_t> value = std::nullopt);
  static Event exception(unsigned vector, std::uint64_t error_code = 0, std::optional<std::uint64_t> cr2 = std::nullopt);
  static Event vm_exit(unsigned reason, std::uint64_t qualification, std::optional<std::uint64_t> guest_physical,
                       std::optional<std::uint64_t> guest_linear);
  static Event svm_exit(std::uint64_t exit_code, std::uint64_t exit_info1, std::uint64_t exit_info2);
  // #VMEXIT(INVALID) (AMD64 APM Vol. 2 15.5.1): EXITINFO1 and EXITINFO2 are not defined.
  static Event svm_invalid();
  static Event vm_entry_failure(unsigned reason, std::uint64_t qualification);
  static Event vm_fail_valid(unsigned instruction_error);
  static Event vm_fail_invalid();
  static Event dma_fault(unsigned reason, std::uint16_t source_id, std::uint64_t address, bool read);
};

// "#PF error code 0x5 CR2 0x400000", "completed, value 0x1", "VM exit 48 (EPT violation) ...".
std::string describe(const Event& event);
// The event's kind in one name, without its fields: "#PF", "completed", "VM exit 48 (EPT
// violation)", "VM-instruction error".
std::string event_name(const Event& event);

// The first field in which an observed event differs from an expected one. `field` is
// "kind" when the kinds differ (then expected/observed are whole descriptions), otherwise the
// field's name ("error code", "CR2"); the values are in hex, "-" for an absent one.
// `locates` says the field holds an address or a data value (CR2, guest-physical address, a
// read's value) rather than a bit pattern (error code, exit qualification): the same bug
// shows different values there at different addresses.
struct EventDifference {
  std::string field;
  std::string expected, observed;
  bool locates = false;
};
std::optional<EventDifference> first_difference(const Event& expected, const Event& observed);

// Empty when `observed` is an instance of `expected`; otherwise the first difference, in
// words. Fields an expectation leaves open (no value, undefined qualification bits) match
// anything; every field of the expected kind is compared, nothing else.
std::string difference(const Event& expected, const Event& observed);

}  // namespace vtspec::model
