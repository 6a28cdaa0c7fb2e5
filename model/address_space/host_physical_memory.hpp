// The machine's memory, addressed by host-physical address: what the memory bus sees. In VMX
// terms (SDM Vol. 3C 29.3) "physical address" means this space; a guest's physical
// addresses are another space, reached through a second stage (guest_physical_view.hpp).
// Without VMX, or in VMX root operation, software's physical addresses are these.
#pragma once

#include "model/physical_memory.hpp"

namespace vtspec::model {

using HostPhysicalMemory = PhysicalMemory;

}  // namespace vtspec::model
