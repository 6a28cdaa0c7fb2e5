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

}  // namespace vtspec::conformance
