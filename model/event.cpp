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
      const char* name = exception_name(e.vector);
      std::string s = name ? std::string(name) : fmt::format("exception {}", e.vector);
      s += fmt::format(" error code {:#x}", e.error_code);
      if (e.cr2) s += fmt::format(" CR2 {:#x}", *e.cr2);
      return s;
    }
    case EventKind::vm_exit:
      return fmt::format("VM exit {}{} qualification {:#x}{} GPA {} GLA {}", e.exit_reason, exit_name(e.exit_reason),
                         e.qualification,
                         e.qualification_undefined ? fmt::format(" (bits {:#x} either)", e.qualification_undefined) : "",
                         hex(e.guest_physical), hex(e.guest_linear));
    case EventKind::vm_entry_failure:
      return fmt::format("VM-entry failure, exit reason {} qualification {:#x}", e.exit_reason, e.qualification);
    case EventKind::vm_instruction_error: return fmt::format("VM-instruction error {}", e.instruction_error);
    case EventKind::dma_fault:
      return fmt::format("DMA fault reason {:#x} source {:#06x} address {:#x}", e.fault_reason, e.source_id, e.fault_address);
  }
  return "?";
}

std::string difference(const Event& want, const Event& got) {
  if (want.kind != got.kind) return fmt::format("expected {}, observed {}", describe(want), describe(got));
  auto field = [](const char* name, auto expected, auto observed) -> std::string {
    if (expected == observed) return {};
    return fmt::format("{} {:#x}, expected {:#x}", name, observed, expected);
  };
  auto optional_field = [](const char* name, const std::optional<std::uint64_t>& expected,
                           const std::optional<std::uint64_t>& observed) -> std::string {
    if (expected == observed) return {};
    return fmt::format("{} {}, expected {}", name, hex(observed), hex(expected));
  };
  std::string d;
  switch (want.kind) {
    case EventKind::completed:
      if (want.value) d = optional_field("value", want.value, got.value);
      break;
    case EventKind::exception:
      if ((d = field("vector", want.vector, got.vector)).empty() &&
          (d = field("error code", want.error_code, got.error_code)).empty())
        d = optional_field("CR2", want.cr2, got.cr2);
      break;
    case EventKind::vm_exit:
    case EventKind::vm_entry_failure: {
      const std::uint64_t care = ~want.qualification_undefined;
      if ((d = field("exit reason", want.exit_reason, got.exit_reason)).empty() &&
          (d = field("exit qualification", want.qualification & care, got.qualification & care)).empty() &&
          want.kind == EventKind::vm_exit && (d = optional_field("guest-physical address", want.guest_physical, got.guest_physical)).empty())
        d = optional_field("guest-linear address", want.guest_linear, got.guest_linear);
      break;
    }
    case EventKind::vm_instruction_error: d = field("VM-instruction error", want.instruction_error, got.instruction_error); break;
    case EventKind::dma_fault:
      if ((d = field("fault reason", want.fault_reason, got.fault_reason)).empty() &&
          (d = field("source id", want.source_id, got.source_id)).empty())
        d = field("fault address", want.fault_address, got.fault_address);
      break;
  }
  return d;
}

}  // namespace vtspec::model
