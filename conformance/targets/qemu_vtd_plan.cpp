#include "conformance/targets/qemu_vtd_plan.hpp"

#include <cstring>

#include <fmt/format.h>

#include "model/operation_table.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::conformance::qemu_vtd {

std::string device_slot_problem(std::uint16_t sid) {
  const unsigned bus = sid >> 8, device = (sid >> 3) & 31, function = sid & 7;
  if (bus != 0) return fmt::format("source {:#06x} is on bus {}; the platform's edu devices sit on the q35 root bus", sid, bus);
  if (function != 0) return fmt::format("source {:#06x} is function {}; an edu device is a single-function device", sid, function);
  // q35: 00.0 is the host bridge and 1f.x the ICH9 functions (LPC, SATA, SMBus).
  if (device == 0 || device == 0x1f) return fmt::format("slot {:#x} of the q35 root bus is the board's own", device);
  return {};
}

bool executes(model::OperationKind kind) {
  using K = model::OperationKind;
  return kind == K::dma_read || kind == K::dma_write || kind == K::invalidate_context_cache ||
         kind == K::invalidate_iotlb || kind == K::store_entry;
}

Encoded encode_vector(const vectors::Vector& v) {
  Encoded out;
  auto fail = [&](std::string why) {
    out.error = std::move(why);
    return out;
  };
  if (!v.initial.iommu) return fail("the vector has no iommu: section (the qemu-vtd target runs DMA vectors)");
  const auto& settings = *v.initial.iommu;
  for (const auto& p : kProfileDevices)
    if (settings.profile == p.profile) out.plan.shape.iommu_device = p.device;
  if (out.plan.shape.iommu_device.empty()) return fail(fmt::format("no intel-iommu option gives the profile {}", settings.profile));
  for (std::uint16_t sid : settings.devices) {
    if (auto why = device_slot_problem(sid); !why.empty()) return fail(why);
    out.plan.shape.devices.push_back(sid);
  }
  out.plan.root_table = settings.root_table;
  out.plan.translation = settings.translation;
  out.plan.queued_invalidation = settings.queued_invalidation;
  for (std::uint64_t number : v.initial.memory.frame_numbers()) {
    // Where memory may lie is the runner's decision (Capabilities::memory_window, which this
    // target sets to [kWindowBegin, kWindowEnd)), made before the target sees the vector.
    const std::uint64_t address = number * model::PhysicalMemory::kFrameSize;
    Frame f{address, std::vector<std::uint8_t>(model::PhysicalMemory::kFrameSize)};
    std::memcpy(f.bytes.data(), v.initial.memory.frame_bytes(number), f.bytes.size());
    out.plan.frames.push_back(std::move(f));
  }
  for (const auto& op : v.operations) {
    if (!executes(op.kind)) return fail(fmt::format("{}: the qemu-vtd target runs DMA, invalidation and table-store operations only", model::describe(op)));
    out.plan.operations.push_back(op);
  }
  return out;
}

}  // namespace vtspec::conformance::qemu_vtd
