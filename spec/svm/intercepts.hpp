// Which guest events end in #VMEXIT, and with what exit code and information: the intercepts
// memory virtualization needs (AMD64 APM Vol. 2 15.8 CR accesses, 15.12 exceptions, 15.14
// instruction intercepts; exit codes Appendix C, bit positions Table B-1). One rule, over the
// VMCB's intercept words; what a non-intercepted event does instead is part of the answer.
#pragma once

#include <cstdint>
#include <optional>

#include "spec/svm/vmcb_layout.hpp"

namespace vtspec::spec::svm {

// The intercept words of the control area (Table B-1: 000h-013h).
struct InterceptVectors {
  std::uint16_t cr_read = 0, cr_write = 0;
  std::uint32_t exceptions = 0, misc1 = 0, misc2 = 0;
};

enum class GuestEvent : std::uint8_t {
  exception,  // exception `number` (vector), with its error code and, for #PF, CR2
  cr_read,    // MOV from CR`number`
  cr_write,   // MOV to CR`number`
  invlpg,
  invlpga,
  vmrun,
  vmmcall,
  hlt,
  shutdown,   // a triple fault
};

struct InterceptOutcome {
  bool exits = false;
  std::uint64_t exit_code = 0;
  // EXITINFO1/2 where the APM defines them without decode assists: an intercepted #PF gives
  // the error code and the faulting address (15.12.15), other exceptions with an error code
  // give it in EXITINFO1; CR accesses and INVLPG give them only with decode assists (15.33),
  // which vtspec's virtual CPUs do not have: none then.
  std::optional<std::uint64_t> exit_info1, exit_info2;
  // Not intercepted: the exception the guest gets instead, if any (VMMCALL is #UD, 15.14).
  std::optional<unsigned> guest_exception;
};

constexpr bool exception_has_error_code(unsigned vector) {
  return vector == 8 || vector == 10 || vector == 11 || vector == 12 || vector == 13 || vector == 14 || vector == 17 ||
         vector == 21;
}

inline InterceptOutcome intercept_of(const InterceptVectors& v, GuestEvent event, unsigned number = 0,
                                     std::uint64_t error_code = 0, std::uint64_t cr2 = 0) {
  InterceptOutcome o;
  auto bit = [](std::uint32_t word, unsigned n) { return ((word >> n) & 1u) != 0; };
  auto instruction = [&](bool intercepted, std::uint64_t code) {
    o.exits = intercepted;
    o.exit_code = code;
    if (intercepted) o.exit_info1 = 0, o.exit_info2 = 0;
  };
  switch (event) {
    case GuestEvent::exception:
      o.exits = number < 32 && bit(v.exceptions, number);
      o.exit_code = exit_code::exception0 + number;
      if (o.exits) {
        o.exit_info1 = exception_has_error_code(number) ? error_code : 0;
        if (number == 14) o.exit_info2 = cr2;
      }
      break;
    case GuestEvent::cr_read:  // EXITINFO1 only with decode assists: left open
      o.exits = number < 16 && bit(v.cr_read, number);
      o.exit_code = exit_code::read_cr0 + number;
      break;
    case GuestEvent::cr_write:
      o.exits = number < 16 && bit(v.cr_write, number);
      o.exit_code = exit_code::write_cr0 + number;
      break;
    case GuestEvent::invlpg:  // the linear address in EXITINFO1 only with decode assists
      o.exits = bit(v.misc1, intercept1::invlpg);
      o.exit_code = exit_code::invlpg;
      break;
    case GuestEvent::invlpga: instruction(bit(v.misc1, intercept1::invlpga), exit_code::invlpga); break;
    // 15.5.1 makes VMRUN's intercept mandatory (a VMCB without it fails VMRUN), so a guest's
    // VMRUN always exits; the bit is still what decides it.
    case GuestEvent::vmrun: instruction(bit(v.misc2, intercept2::vmrun), exit_code::vmrun); break;
    case GuestEvent::vmmcall:
      instruction(bit(v.misc2, intercept2::vmmcall), exit_code::vmmcall);
      if (!o.exits) o.guest_exception = 6;  // 15.14, VMMCALL: #UD when not intercepted
      break;
    case GuestEvent::hlt: instruction(bit(v.misc1, intercept1::hlt), exit_code::hlt); break;
    case GuestEvent::shutdown: instruction(bit(v.misc1, intercept1::shutdown), exit_code::shutdown); break;
  }
  return o;
}

}  // namespace vtspec::spec::svm
