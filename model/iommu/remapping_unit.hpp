// A VT-d DMA remapping unit in legacy mode (Intel VT-d 3.4.3, 7.1.3, 10.4), over
// model::PhysicalMemory. Public API (for conformance targets):
//   RemappingUnit unit(profile("qemu-7.2-aw39"), memory, haw);
//   unit.set_root_table(rtaddr); unit.enable_translation(true);
//   DmaOutcome o = unit.dma({source_id, iova, size, write});   // completed or a dma_fault Event
//   unit.fault_records(), unit.primary_fault_overflow()        // FRCD-like records (10.4.14)
// Not yet: context cache, IOTLB and invalidation (allowed-outcome sets), see the report.
#pragma once

#include <optional>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "model/event.hpp"
#include "model/physical_memory.hpp"
#include "spec/iommu/second_level_walk.hpp"

namespace vtspec::model::iommu {

struct IommuProfile {
  std::uint64_t cap, ecap;
};

// qemu-7.2-aw39: QEMU 7.2 intel-iommu defaults; qemu-7.2-aw48: aw-bits=48 (SAGAW 39+48, MGAW 48).
inline IommuProfile profile(std::string_view name) {
  if (name == "qemu-7.2-aw39") return {0x00d2008c22260206, 0xf00f4a};
  if (name == "qemu-7.2-aw48") return {(0x00d2008c22260206 & ~(std::uint64_t{0x3f} << 16)) | (std::uint64_t{47} << 16) | (1u << 10), 0xf00f4a};
  throw std::invalid_argument("unknown IOMMU profile");
}

struct DmaRequest {
  std::uint16_t source_id;  // bus << 8 | dev << 3 | fn
  std::uint64_t iova;
  unsigned size;            // within one 4 KiB page
  bool write;
};

// 10.4.14 FRCD_REG: fault reason, source id, fault info (address bits 63:12), type (1 = read).
struct FaultRecord {
  unsigned reason;
  std::uint16_t source_id;
  std::uint64_t address;
  bool read;
};

struct DmaOutcome {
  bool completed = false;
  std::uint64_t physical = 0;
  std::optional<Event> fault;
};

class RemappingUnit {
 public:
  RemappingUnit(IommuProfile p, PhysicalMemory& memory, unsigned haw) : memory_(memory) {
    shape_.cap.raw = p.cap;
    shape_.ecap.raw = p.ecap;
    shape_.haw = haw;
  }
  void set_root_table(std::uint64_t rtaddr) { rtaddr_ = rtaddr; }
  void enable_translation(bool on) { enabled_ = on; }
  const std::vector<FaultRecord>& fault_records() const { return records_; }
  bool primary_fault_overflow() const { return overflow_; }

  DmaOutcome dma(const DmaRequest& r) {
    DmaOutcome o;
    if (!enabled_) {  // 10.4.4 GCMD_REG.TE = 0: requests are not remapped
      o.completed = true;
      o.physical = r.iova;
      return o;
    }
    struct Port {
      PhysicalMemory& m;
      std::uint64_t read_host(std::uint64_t a, unsigned, bool active) const { return active ? m.read64(a) : 0; }
    } port{memory_};
    const auto w = spec::iommu::walk_vtd<spec::Concrete>(shape_, rtaddr_, {r.source_id, r.iova, r.write}, port);
    if (w.translated) {
      o.completed = true;
      o.physical = w.physical;
      return o;
    }
    Event e;
    e.kind = EventKind::dma_fault;
    e.fault_reason = static_cast<unsigned>(spec::iommu::fault_reason_of(w));
    e.source_id = r.source_id;
    e.fault_address = r.iova & ~std::uint64_t{0xfff};
    // 7.1.2: context FPD suppresses recording; records full -> primary fault overflow (10.4.9 PFO).
    if (!w.fault_processing_disabled) {
      if (records_.size() < shape_.cap.fault_records())
        records_.push_back({e.fault_reason, r.source_id, e.fault_address, !r.write});
      else
        overflow_ = true;
    }
    o.fault = e;
    return o;
  }

 private:
  PhysicalMemory& memory_;
  spec::iommu::VtdShape shape_;
  std::uint64_t rtaddr_ = 0;
  bool enabled_ = false;
  std::vector<FaultRecord> records_;
  bool overflow_ = false;
};

}  // namespace vtspec::model::iommu
