// Small vectors that show whether a target's virtual CPU really has (or really lacks) a
// feature: a CPUID bit or an accepted CR4 bit is not evidence that the feature works (on some
// KVM backends CPUID says Page1GB while PDPTE.PS still faults as reserved; CR4.PKE is
// accepted while WRPKRU cannot be emulated). Expectations are written by hand from the SDM,
// not computed by the model, so a probe checks the target against the architecture.
#pragma once

#include <optional>

#include "model/virtual_cpu.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::conformance {

// The probe for a virtual CPU with (`present`) or without the feature, or nullopt where no
// guest-visible probe is needed or possible (the target then relies on its other checks).
std::optional<vectors::Vector> feature_probe(model::Feature feature, bool present);

// The probe for user-mode accesses in the upper half of the linear address space (the
// abilities "read/write/fetch at CPL 3 in the upper half", model::ability): a user page at
// 0xffff800000400000 that a CPL-3 read, write and fetch may use (SDM Vol. 3A 4.6.1: the
// page's U/S, R/W and XD decide, not the half it lies in).
vectors::Vector upper_half_user_probe();

}  // namespace vtspec::conformance
