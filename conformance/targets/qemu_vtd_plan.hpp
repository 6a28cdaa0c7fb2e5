// The qemu-vtd target's encode step: a vector with an `iommu:` section becomes a typed plan
// for the QEMU platform - the machine to boot (intel-iommu profile, edu devices at the
// vector's source ids), the memory frames to place, and one step per operation. What the
// runner's skip decision cannot see (a device slot the board cannot give) is found here, with
// the reason, before QEMU runs; where memory may lie is the runner's (memory_window).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/operation.hpp"

namespace vtspec::vectors { struct Vector; }

namespace vtspec::conformance::qemu_vtd {

// Where the platform can place a vector's memory: above the firmware's first MiB and below
// the proxy kernel at 1 GiB (conformance/qemu_platform/mailbox_abi.h).
inline constexpr std::uint64_t kWindowBegin = 0x100000, kWindowEnd = 0x40000000;

// The intel-iommu option that gives each model profile (model/iommu/remapping_unit.hpp).
struct ProfileDevice {
  const char* profile;
  const char* device;
};
inline constexpr ProfileDevice kProfileDevices[] = {
    {"qemu-7.2-aw39", "intel-iommu,aw-bits=39"},
    {"qemu-7.2-aw48", "intel-iommu,aw-bits=48"},
};

struct MachineShape {
  std::string iommu_device;            // "-device" text of the remapping unit
  std::vector<std::uint16_t> devices;  // edu source ids (bus 0, function 0)
  friend bool operator==(const MachineShape&, const MachineShape&) = default;
};

struct Frame {
  std::uint64_t address;
  std::vector<std::uint8_t> bytes;  // 4096
};

struct Plan {
  MachineShape shape;
  std::uint64_t root_table = 0;
  bool translation = true;
  bool queued_invalidation = false;
  std::vector<Frame> frames;
  std::vector<model::Operation> operations;  // each one the target can execute (checked)
};

// The plan, or the reason the target cannot build the vector (`error`).
struct Encoded {
  Plan plan;
  std::string error;
};
Encoded encode_vector(const vectors::Vector& vector);

// Why a source id cannot be an edu device on the q35 root bus: empty when it can.
std::string device_slot_problem(std::uint16_t source_id);
// The operations the target executes.
bool executes(model::OperationKind kind);

}  // namespace vtspec::conformance::qemu_vtd
