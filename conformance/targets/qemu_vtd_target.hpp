// The qemu-vtd target: DMA vectors (state `iommu:`) run on QEMU 7.2's intel-iommu with edu
// devices under TCG, through the QEMU platform (conformance/qemu_platform). The pipeline is
//   vector -> encode (qemu_vtd_plan.*) -> execute (VtdUnit programming, edu DMAs)
//          -> decode (fault records -> model::Event) -> the runner compares.
// One machine serves every vector with the same remapping unit and devices: between vectors
// the target turns translation off, clears what the last vector wrote, places the next one
// and invalidates the context cache and the IOTLB globally (VT-d 6.5.1), so nothing cached
// survives into another vector.
#pragma once

#include <memory>
#include <string>

#include "conformance/target.hpp"

namespace vtspec::conformance {

std::unique_ptr<Target> make_qemu_vtd_target();

}  // namespace vtspec::conformance
