// Which VMCS component a VMREAD or VMWRITE names and whether it may be written: SDM Vol. 3C
// 31.3 (VMREAD, VMWRITE operation) with 25.11.2 (component encodings) and A.6
// (IA32_VMX_MISC bit 29).
//
//   VMREAD/VMWRITE: "IF (register operand) does not correspond to any VMCS field THEN
//     VMfailValid(VMREAD/VMWRITE from/to unsupported VMCS component)" - error 12. A field
//     the processor lacks (Appendix B: "exists only on processors that support ...") is
//     unsupported.
//   VMWRITE: "ELSE IF VMCS field indexed by (register operand) is read-only AND
//     IA32_VMX_MISC[bit 29] = 0 THEN VMfailValid(VMWRITE to read-only VMCS component)" -
//     error 13. The read-only fields are those of type 1 (VM-exit information); with bit 29
//     set, "software can use VMWRITE to write to any supported field in the VMCS".
#pragma once

#include <cstdint>
#include <optional>

#include "spec/vmx/vm_instruction_errors.hpp"
#include "spec/vmx/vmcs_fields.hpp"
#include "spec/vmx/vmx_capabilities.hpp"

namespace vtspec::spec::vmx {

// The component an operand names on this processor, or error 12.
struct ComponentLookup {
  std::optional<ComponentRef> component;
  std::optional<VmInstructionError> error;
};

constexpr ComponentLookup lookup_component(std::uint64_t operand, const VmxCapabilities& caps) {
  const auto c = component_of(operand);
  if (!c || !caps.field_exists(kVmcsFieldTable[c->position])) return {std::nullopt, VmInstructionError::unsupported_component};
  return {c, std::nullopt};
}

constexpr std::optional<VmInstructionError> vmread_error(std::uint64_t operand, const VmxCapabilities& caps) {
  return lookup_component(operand, caps).error;
}

constexpr std::optional<VmInstructionError> vmwrite_error(std::uint64_t operand, const VmxCapabilities& caps) {
  const auto l = lookup_component(operand, caps);
  if (l.error) return l.error;
  if (field_type(kVmcsFieldTable[l.component->position].encoding) == FieldType::read_only &&
      !caps.misc_bit(misc_bits::vmwrite_any_field))
    return VmInstructionError::vmwrite_read_only_component;
  return std::nullopt;
}

// The value a VMREAD returns from a field holding `stored` (zero-extended; the high access
// of a 64-bit field gives bits 63:32 in bits 31:0), and the field after a VMWRITE of
// `value` (bits beyond the field's width are ignored; the high access writes bits 63:32).
constexpr std::uint64_t read_component(ComponentRef c, std::uint64_t stored) {
  const auto w = field_width(kVmcsFieldTable[c.position].encoding);
  return c.high ? (stored >> 32) : (stored & width_mask(w));
}
constexpr std::uint64_t write_component(ComponentRef c, std::uint64_t stored, std::uint64_t value) {
  const auto w = field_width(kVmcsFieldTable[c.position].encoding);
  if (c.high) return (stored & 0xffffffffu) | ((value & 0xffffffffu) << 32);
  return value & width_mask(w);
}

}  // namespace vtspec::spec::vmx
