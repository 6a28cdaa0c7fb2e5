#include "conformance/targets/qemu_vtd_target.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "conformance/qemu_platform/qemu_machine.hpp"
#include "conformance/qemu_platform/vtd_unit.hpp"
#include "conformance/runner/skip_decision.hpp"
#include "conformance/targets/qemu_vtd_plan.hpp"
#include "model/iommu/remapping_unit.hpp"
#include "model/operation_table.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::conformance {

namespace {

using qemu::Machine;
using qemu::MachineConfig;
using qemu::MachineFailure;
using qemu::VtdUnit;
using qemu_vtd::Plan;

MachineConfig config_of(const qemu_vtd::MachineShape& shape) {
  MachineConfig c;
  c.devices.push_back(shape.iommu_device);
  // dma_mask: without it edu masks DMA addresses to 28 bits (../shared/notes/targets.md).
  for (std::uint16_t sid : shape.devices) c.devices.push_back(fmt::format("edu,addr={:#x},dma_mask=0xffffffffffffffff", (sid >> 3) & 31));
  return c;
}

class QemuVtdTarget final : public Target {
 public:
  std::string name() const override { return "qemu-vtd"; }
  const Capabilities& capabilities() override;
  VectorResult run(const vectors::Vector& vector) override;

 private:
  void prepare(const Plan& plan);
  model::Event decode(const qemu::DmaResult& r, const model::Operation& op, std::uint64_t slot);
  void set_translation(bool on);
  std::optional<Capabilities> capabilities_;
  std::unique_ptr<Machine> machine_;
  std::unique_ptr<VtdUnit> unit_;
  qemu_vtd::MachineShape shape_;
  std::set<std::uint64_t> written_;  // frames the last vector placed
  // Machines of other shapes kept running (a profile or device-set change then costs no
  // boot): at most kParked, the oldest stopped first.
  struct Parked {
    qemu_vtd::MachineShape shape;
    std::unique_ptr<Machine> machine;
    std::unique_ptr<VtdUnit> unit;
    std::set<std::uint64_t> written;
  };
  static constexpr std::size_t kParked = 3;
  std::vector<Parked> parked_;
};

const Capabilities& QemuVtdTarget::capabilities() {
  if (capabilities_) return *capabilities_;
  Capabilities c;
  c.identity.name = name();
  c.unavailable = qemu::qemu_unavailable_reason();
  if (!c.unavailable.empty()) return *(capabilities_ = c);
  c.identity.details["qemu"] = qemu::qemu_version();
  // A DMA vector's CPU takes no part: any virtual CPU description is fine.
  for (auto& f : c.features) f.can_have = f.can_lack = true;
  c.abilities.emplace();
  for (const model::Operation& o : model::ability_examples()) {
    if (qemu_vtd::executes(o.kind)) c.abilities->insert(model::ability(o));
    else c.why_not_ability[model::ability(o)] = "the qemu-vtd target runs DMA, invalidation and table-store operations only";
  }
  c.memory_window = {{qemu_vtd::kWindowBegin, qemu_vtd::kWindowEnd}};
  c.memory_window_reason = "below is the firmware, above the platform proxy (conformance/qemu_platform/mailbox_abi.h)";
  // Each profile is offered only when QEMU's unit reads back the model profile's CAP/ECAP.
  c.iommu_profiles.emplace();
  for (const auto& p : qemu_vtd::kProfileDevices) {
    const auto model_profile = model::iommu::profile(p.profile);
    try {
      Machine m(config_of({p.device, {}}));
      VtdUnit unit(m, {});
      if (unit.cap() == model_profile.cap && unit.ecap() == model_profile.ecap) {
        c.iommu_profiles->insert(p.profile);
      } else {
        c.notes.push_back(fmt::format("{}: QEMU's CAP {:#x} ECAP {:#x} differ from the profile's CAP {:#x} ECAP {:#x}", p.device,
                                      unit.cap(), unit.ecap(), model_profile.cap, model_profile.ecap));
      }
    } catch (const MachineFailure& e) {
      c.notes.push_back(fmt::format("{}: {}", p.device, e.what()));
    }
  }
  if (c.iommu_profiles->empty()) c.why_no_iommu = "no intel-iommu profile reads back as the model's (see the notes)";
  return *(capabilities_ = c);
}

void QemuVtdTarget::set_translation(bool on) { unit_->set_translation(on); }

// edu's buffer is reachable only by the device's own DMA. So each DMA of a vector gets its own
// 8-byte slot in its device's buffer: before the vector, with translation off (VT-d 10.4.4:
// TE = 0, requests are not remapped), one DMA per device fills every slot from a staging page
// - a write's data, or a sentinel where a read will land; after the vector one DMA per device
// moves the buffer back. Nothing touches TE while the vector runs, so what the unit caches
// between the vector's DMAs stays cached (QEMU resets its caches when TE changes).
constexpr std::uint64_t kBufferSentinel = 0x5e5e17e15e5e17e1;
constexpr unsigned kSlot = 8, kMaxSlots = 4088 / kSlot;  // a 4096-byte edu transfer aborts QEMU 7.2

struct Slots {
  std::map<std::uint16_t, unsigned> used;        // device -> slots taken
  std::vector<std::pair<std::uint16_t, unsigned>> of;  // per operation: device and slot (DMAs only)
};

Slots assign_slots(const Plan& plan) {
  Slots s;
  for (const auto& op : plan.operations) {
    const bool dma = op.kind == model::OperationKind::dma_read || op.kind == model::OperationKind::dma_write;
    if (!dma) {
      s.of.emplace_back(0, 0);
      continue;
    }
    unsigned& n = s.used[op.source_id];
    if (n == kMaxSlots) throw MachineFailure(fmt::format("more than {} DMAs by device {:#06x}: its 4 KiB buffer has no slot left", kMaxSlots, op.source_id));
    s.of.emplace_back(op.source_id, n++);
  }
  return s;
}

std::uint64_t staging_page(const Plan& plan, std::uint16_t sid) {
  for (std::size_t i = 0; i < plan.shape.devices.size(); ++i)
    if (plan.shape.devices[i] == sid) return VT_QEMU_STAGING + i * 0x1000;
  throw MachineFailure(fmt::format("no device {:#06x} in the plan", sid));
}

void QemuVtdTarget::prepare(const Plan& plan) {
  if (!machine_ || !(shape_ == plan.shape)) {
    if (machine_) {
      if (parked_.size() == kParked) parked_.erase(parked_.begin());
      parked_.push_back({shape_, std::move(machine_), std::move(unit_), std::move(written_)});
    }
    written_.clear();
    const auto it = std::find_if(parked_.begin(), parked_.end(), [&](const Parked& p) { return p.shape == plan.shape; });
    if (it != parked_.end()) {
      machine_ = std::move(it->machine);
      unit_ = std::move(it->unit);
      written_ = std::move(it->written);
      parked_.erase(it);
    } else {
      machine_ = std::make_unique<Machine>(config_of(plan.shape));
      unit_ = std::make_unique<VtdUnit>(*machine_, plan.shape.devices);
    }
    shape_ = plan.shape;
  }
  set_translation(false);
  unit_->set_queued_invalidation(false);  // the register-based invalidations below need it off
  const std::vector<std::uint8_t> zero(model::PhysicalMemory::kFrameSize, 0);
  for (std::uint64_t address : written_) machine_->write_ram(address, zero);
  written_.clear();
  for (const auto& f : plan.frames) {
    machine_->write_ram(f.address, f.bytes);
    written_.insert(f.address);
  }
  unit_->set_root_table(plan.root_table);
  // 6.5.1: nothing the last vector cached may serve this one.
  unit_->invalidate_context(qemu::ContextInvalidation::global);
  unit_->invalidate_iotlb(qemu::IotlbInvalidation::global);
  if (plan.queued_invalidation) unit_->set_queued_invalidation(true, VT_QEMU_INVALIDATION_QUEUE, VT_QEMU_INVALIDATION_STATUS);
}

VectorResult QemuVtdTarget::run(const vectors::Vector& vector) {
  VectorResult result;
  if (auto skip = skip_reason(vectors::needs_of(vector), capabilities())) {
    result.status = VectorResult::Status::skipped;
    result.reason = *skip;
    return result;
  }
  const qemu_vtd::Encoded encoded = qemu_vtd::encode_vector(vector);
  if (!encoded.error.empty()) {
    result.status = VectorResult::Status::skipped;
    result.reason = encoded.error;
    return result;
  }
  const Plan& plan = encoded.plan;
  using K = model::OperationKind;
  try {
    const Slots slots = assign_slots(plan);
    prepare(plan);
    // Fill every device's slots (translation is off).
    for (const auto& [sid, n] : slots.used) {
      const std::uint64_t page = staging_page(plan, sid);
      for (std::size_t i = 0; i < plan.operations.size(); ++i) {
        const auto& op = plan.operations[i];
        if (slots.of[i].first != sid || (op.kind != K::dma_read && op.kind != K::dma_write)) continue;
        const std::uint64_t fill = op.kind == K::dma_write ? op.value : kBufferSentinel;
        for (unsigned b = 0; b < kSlot; ++b) machine_->ram()[page + slots.of[i].second * kSlot + b] = static_cast<std::uint8_t>(fill >> (8 * b));
      }
      if (unit_->dma(sid, page, n * kSlot, false).fault) throw MachineFailure("filling a device buffer with translation off recorded a fault");
    }
    if (plan.translation) set_translation(true);
    std::vector<std::optional<qemu::DmaResult>> dmas(plan.operations.size());
    for (std::size_t i = 0; i < plan.operations.size(); ++i) {
      const auto& op = plan.operations[i];
      switch (op.kind) {
        case K::dma_read:
        case K::dma_write:
          dmas[i] = unit_->dma(op.source_id, op.address, op.size, op.kind == K::dma_write, slots.of[i].second * kSlot);
          break;
        case K::invalidate_context_cache:
          unit_->invalidate_context(static_cast<qemu::ContextInvalidation>(op.type), static_cast<std::uint16_t>(op.domain_id),
                                    op.source_id);
          break;
        case K::invalidate_iotlb:
          unit_->invalidate_iotlb(static_cast<qemu::IotlbInvalidation>(op.type), static_cast<std::uint16_t>(op.domain_id),
                                  op.address, op.address_mask, op.hint);
          break;
        case K::store_entry: machine_->write_ram64(op.address, op.value); break;
        default: throw MachineFailure("the plan holds an operation the target does not execute");
      }
      Observation o;
      o.ran = true;
      for (const auto& e : vector.entries) o.entries_after.emplace_back(e.physical, machine_->read_ram64(e.physical));
      result.observations.push_back(std::move(o));
    }
    // Move the buffers back (translation off) and decode each DMA's event.
    set_translation(false);
    for (const auto& [sid, n] : slots.used)
      if (unit_->dma(sid, staging_page(plan, sid), n * kSlot, true).fault)
        throw MachineFailure("reading a device buffer back with translation off recorded a fault");
    for (std::size_t i = 0; i < plan.operations.size(); ++i) {
      const auto& op = plan.operations[i];
      if (!dmas[i]) continue;
      result.observations[i].event = decode(*dmas[i], op, staging_page(plan, op.source_id) + slots.of[i].second * kSlot);
    }
  } catch (const MachineFailure& e) {
    // A hung or broken QEMU is recorded against this vector; the next one gets a new machine.
    result.status = VectorResult::Status::target_error;
    result.reason = e.what();
    unit_.reset();
    machine_.reset();
  }
  return result;
}

// decode: the fault record (VT-d 10.4.14) is the event; else a write completed, and a read
// completed with the bytes its slot now holds - unless the slot still holds the sentinel:
// then nothing was read, the request was blocked and no fault was recorded.
model::Event QemuVtdTarget::decode(const qemu::DmaResult& r, const model::Operation& op, std::uint64_t slot) {
  if (r.fault) return model::Event::dma_fault(r.fault->reason, r.fault->source_id, r.fault->address, r.fault->read);
  if (op.kind == model::OperationKind::dma_write) return model::Event::completed();
  std::uint64_t value = 0;
  for (unsigned i = 0; i < op.size; ++i) value |= std::uint64_t{machine_->ram()[slot + i]} << (8 * i);
  const std::uint64_t mask = op.size == 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * op.size)) - 1;
  if (value == (kBufferSentinel & mask)) return model::Event::dma_fault(0, op.source_id, op.address & ~std::uint64_t{0xfff}, true);
  return model::Event::completed(value);
}

}  // namespace

std::unique_ptr<Target> make_qemu_vtd_target() { return std::make_unique<QemuVtdTarget>(); }

}  // namespace vtspec::conformance
