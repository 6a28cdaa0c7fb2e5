#include "model/event.hpp"

#include <fmt/format.h>

namespace vtspec::model {

const char* to_string(EventKind kind) {
  switch (kind) {
    case EventKind::completed: return "completed";
    case EventKind::exception: return "exception";
    case EventKind::vm_exit: return "VM exit";
    case EventKind::vm_entry_failure: return "VM-entry failure";
    case EventKind::vm_instruction_error: return "VM-instruction error";
    case EventKind::dma_fault: return "DMA fault";
    case EventKind::vm_fail_invalid: return "VMfailInvalid";
  }
  return "?";
}

Event Event::completed(std::optional<std::uint64_t> value) {
  Event e;
  e.value = value;
  return e;
}

Event Event::exception(unsigned vector, std::uint64_t error_code, std::optional<std::uint64_t> cr2) {
  Event e;
  e.kind = EventKind::exception;
  e.vector = vector;
  e.error_code = error_code;
  e.cr2 = cr2;
  return e;
}

Event Event::vm_exit(unsigned reason, std::uint64_t qualification, std::optional<std::uint64_t> guest_physical,
                     std::optional<std::uint64_t> guest_linear) {
  Event e;
  e.kind = EventKind::vm_exit;
  e.exit_reason = reason;
  e.qualification = qualification;
  e.guest_physical = guest_physical;
  e.guest_linear = guest_linear;
  return e;
}

Event Event::svm_exit(std::uint64_t exit_code, std::uint64_t exit_info1, std::uint64_t exit_info2) {
  Event e;
  e.kind = EventKind::vm_exit;
  e.svm = true;
  e.exit_reason = exit_code;
  e.qualification = exit_info1;
  e.guest_physical = exit_info2;
  return e;
}

Event Event::svm_invalid() {
  Event e = svm_exit(kSvmExitInvalid, 0, 0);
  e.qualification_undefined = ~std::uint64_t{0};
  e.guest_physical = std::nullopt;
  return e;
}

Event Event::vm_entry_failure(unsigned reason, std::uint64_t qualification) {
  Event e;
  e.kind = EventKind::vm_entry_failure;
  e.exit_reason = reason;
  e.qualification = qualification;
  return e;
}

Event Event::vm_fail_valid(unsigned instruction_error) {
  Event e;
  e.kind = EventKind::vm_instruction_error;
  e.instruction_error = instruction_error;
  return e;
}

Event Event::vm_fail_invalid() {
  Event e;
  e.kind = EventKind::vm_fail_invalid;
  return e;
}

Event Event::dma_fault(unsigned reason, std::uint16_t source_id, std::uint64_t address, bool read) {
  Event e;
  e.kind = EventKind::dma_fault;
  e.fault_reason = reason;
  e.source_id = source_id;
  e.fault_address = address;
  e.fault_read = read;
  return e;
}

namespace {

const char* exception_name(unsigned vector) {
  switch (vector) {
    case 0: return "#DE";
    case 1: return "#DB";
    case 3: return "#BP";
    case 6: return "#UD";
    case 8: return "#DF";
    case 13: return "#GP";
    case 14: return "#PF";
    case 17: return "#AC";
    default: return nullptr;
  }
}

const char* exit_name(unsigned reason) {
  switch (reason) {
    case kExitEptViolation: return " (EPT violation)";
    case kExitEptMisconfig: return " (EPT misconfiguration)";
    default: return "";
  }
}

std::string hex(std::optional<std::uint64_t> v) { return v ? fmt::format("{:#x}", *v) : "-"; }

}  // namespace

std::string describe(const Event& e) {
  switch (e.kind) {
    case EventKind::completed: return e.value ? fmt::format("completed, value {:#x}", *e.value) : "completed";
    case EventKind::exception: {
      std::string s = event_name(e) + fmt::format(" error code {:#x}", e.error_code);
      if (e.cr2) s += fmt::format(" CR2 {:#x}", *e.cr2);
      return s;
    }
    case EventKind::vm_exit:
      if (e.svm && e.exit_reason == kSvmExitInvalid) return event_name(e);
      if (e.svm) return fmt::format("{} EXITINFO1 {:#x} EXITINFO2 {}", event_name(e), e.qualification, hex(e.guest_physical));
      return fmt::format("{} qualification {:#x}{} GPA {} GLA {}", event_name(e), e.qualification,
                         e.qualification_undefined ? fmt::format(" (bits {:#x} either)", e.qualification_undefined) : "",
                         hex(e.guest_physical), hex(e.guest_linear));
    case EventKind::vm_entry_failure:
      return fmt::format("VM-entry failure, exit reason {} qualification {:#x}", e.exit_reason, e.qualification);
    case EventKind::vm_instruction_error: return fmt::format("VM-instruction error {}", e.instruction_error);
    case EventKind::vm_fail_invalid: return "VMfailInvalid";
    case EventKind::dma_fault:
      if (e.fault_reason == 0)
        return fmt::format("DMA blocked without a fault record, source {:#06x} address {:#x} ({})", e.source_id, e.fault_address,
                           e.fault_read ? "read" : "write");
      return fmt::format("DMA fault reason {:#x} source {:#06x} address {:#x} ({})", e.fault_reason, e.source_id,
                         e.fault_address, e.fault_read ? "read" : "write");
  }
  return "?";
}

std::string event_name(const Event& e) {
  switch (e.kind) {
    case EventKind::exception: {
      const char* name = exception_name(e.vector);
      return name ? std::string(name) : fmt::format("exception {}", e.vector);
    }
    case EventKind::vm_exit:
      if (e.svm)
        return e.exit_reason == kSvmExitNpf       ? "#VMEXIT(NPF)"
               : e.exit_reason == kSvmExitInvalid ? "#VMEXIT(INVALID)"
                                                  : fmt::format("#VMEXIT({:#x})", e.exit_reason);
      return fmt::format("VM exit {}{}", e.exit_reason, exit_name(static_cast<unsigned>(e.exit_reason)));
    default: return to_string(e.kind);
  }
}

std::optional<EventDifference> first_difference(const Event& want, const Event& got) {
  if (want.kind != got.kind || want.svm != got.svm) return EventDifference{"kind", describe(want), describe(got)};
  std::optional<EventDifference> d;
  // Each check sets `d` at the first differing field and then holds: later ones do nothing.
  auto field = [&](const char* name, std::uint64_t expected, std::uint64_t observed) {
    if (!d && expected != observed) d = EventDifference{name, fmt::format("{:#x}", expected), fmt::format("{:#x}", observed)};
  };
  auto located = [&](const char* name, const std::optional<std::uint64_t>& expected,
                     const std::optional<std::uint64_t>& observed) {
    if (!d && expected != observed) d = EventDifference{name, hex(expected), hex(observed), true};
  };
  switch (want.kind) {
    case EventKind::completed:
      if (want.value) located("value", want.value, got.value);
      break;
    case EventKind::exception:
      field("vector", want.vector, got.vector);
      field("error code", want.error_code, got.error_code);
      located("CR2", want.cr2, got.cr2);
      break;
    case EventKind::vm_exit:
      if (want.svm) {  // APM Vol. 2 15.6
        field("exit code", want.exit_reason, got.exit_reason);
        field("EXITINFO1", want.qualification & ~want.qualification_undefined, got.qualification & ~want.qualification_undefined);
        if (want.exit_reason != kSvmExitInvalid) located("EXITINFO2", want.guest_physical, got.guest_physical);  // 15.5.1: undefined
        break;
      }
      [[fallthrough]];
    case EventKind::vm_entry_failure: {
      const std::uint64_t care = ~want.qualification_undefined;
      field("exit reason", want.exit_reason, got.exit_reason);
      field("exit qualification", want.qualification & care, got.qualification & care);
      if (want.kind == EventKind::vm_exit) {
        located("guest-physical address", want.guest_physical, got.guest_physical);
        located("guest-linear address", want.guest_linear, got.guest_linear);
      }
      break;
    }
    case EventKind::vm_instruction_error: field("VM-instruction error", want.instruction_error, got.instruction_error); break;
    case EventKind::vm_fail_invalid: break;
    case EventKind::dma_fault:
      field("fault reason", want.fault_reason, got.fault_reason);
      field("source id", want.source_id, got.source_id);
      located("fault address", want.fault_address, got.fault_address);
      field("fault type (read)", want.fault_read, got.fault_read);
      break;
  }
  return d;
}

std::string difference(const Event& want, const Event& got) {
  const auto d = first_difference(want, got);
  if (!d) return {};
  if (d->field == "kind") return fmt::format("expected {}, observed {}", d->expected, d->observed);
  return fmt::format("{} {}, expected {}", d->field, d->observed, d->expected);
}

}  // namespace vtspec::model
