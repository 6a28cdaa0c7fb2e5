#include "conformance/qemu_platform/vtd_unit.hpp"

#include <fmt/format.h>

namespace vtspec::conformance::qemu {
namespace {

// edu (QEMU docs/specs/edu.rst): DMA source, destination, count, command; the device's
// buffer is at device address 0x40000. Command bit 0 starts and clears when done, bit 1 = 1
// moves the buffer to RAM.
constexpr std::uint64_t kEduSource = 0x80, kEduDestination = 0x88, kEduCount = 0x90, kEduCommand = 0x98;
constexpr std::uint64_t kEduBuffer = 0x40000;
constexpr std::uint16_t kEduVendor = 0x1234, kEduDevice = 0x11e8;

std::uint64_t bits(std::uint64_t v, unsigned hi, unsigned lo) { return (v >> lo) & ((std::uint64_t{2} << (hi - lo)) - 1); }

}  // namespace

VtdUnit::VtdUnit(Machine& machine, std::vector<std::uint16_t> edu_bdfs) : machine_(machine) {
  for (std::uint16_t bdf : edu_bdfs) {
    std::uint32_t id = static_cast<std::uint32_t>(machine_.run_one(pci_read_command(bdf, 0)).result);
    if (id != (std::uint32_t{kEduDevice} << 16 | kEduVendor))
      throw MachineFailure(fmt::format("no edu device at {:02x}:{:02x}.{} (read {:#x})", bdf >> 8, (bdf >> 3) & 31, bdf & 7, id));
    std::uint64_t bar = machine_.run_one(pci_read_command(bdf, 0x10)).result & ~std::uint64_t{0xf};
    std::uint32_t command = static_cast<std::uint32_t>(machine_.run_one(pci_read_command(bdf, 4)).result);
    machine_.run_one(pci_write_command(bdf, 4, command | 0x6));  // memory space + bus master
    edu_bars_.push_back({bdf, bar});
  }
  cap_ = machine_.run_one(read_command(kDmarBase + dmar::kCap)).result;
  ecap_ = machine_.run_one(read_command(kDmarBase + dmar::kEcap)).result;
}

std::uint64_t VtdUnit::fault_record_offset() const { return bits(cap_, 33, 24) * 16; }
std::uint64_t VtdUnit::iotlb_offset() const { return bits(ecap_, 17, 8) * 16; }

std::uint64_t VtdUnit::bar_of(std::uint16_t bdf) const {
  for (auto& [b, bar] : edu_bars_)
    if (b == bdf) return bar;
  throw MachineFailure(fmt::format("no edu device {:#x} was set up", bdf));
}

// GCMD is written whole (10.4.4): software keeps the persistent bits it has set (TE, QIE,
// `persistent_`) and adds one command; each waits for its GSTS status bit.
void VtdUnit::set_root_table(std::uint64_t address) {
  std::vector<Command> c = {write_command(kDmarBase + dmar::kRtaddr, address),
                            write_command(kDmarBase + dmar::kGcmd, persistent_ | dmar::kSetRootTablePointer, 4),
                            poll_set_command(kDmarBase + dmar::kGsts, dmar::kSetRootTablePointer, 4)};
  machine_.run(c);
}

void VtdUnit::set_translation(bool enable) {
  persistent_ = enable ? persistent_ | dmar::kTranslationEnable : persistent_ & ~dmar::kTranslationEnable;
  std::vector<Command> c = {write_command(kDmarBase + dmar::kGcmd, persistent_, 4),
                            enable ? poll_set_command(kDmarBase + dmar::kGsts, dmar::kTranslationEnable, 4)
                                   : poll_clear_command(kDmarBase + dmar::kGsts, dmar::kTranslationEnable, 4)};
  machine_.run(c);
}

void VtdUnit::set_queued_invalidation(bool enable, std::uint64_t queue, std::uint64_t status) {
  if (enable == queued_) return;
  if (enable) {
    if (!((ecap_ >> 1) & 1)) throw MachineFailure("the remapping unit has no queued invalidation (ECAP.QI = 0)");
    queue_ = queue;
    status_ = status;
    tail_ = 0;
    // 10.4.23 IQA_REG: IQA bits 63:12, DW = 0 (128-bit descriptors), QS = 0 (one 4 KiB page);
    // IQT = 0 before QIE is set (6.5.2: head and tail start at 0).
    std::vector<Command> c = {write_command(kDmarBase + dmar::kIqt, 0), write_command(kDmarBase + dmar::kIqa, queue & ~std::uint64_t{0xfff})};
    machine_.run(c);
  }
  persistent_ = enable ? persistent_ | dmar::kQueuedInvalidationEnable : persistent_ & ~dmar::kQueuedInvalidationEnable;
  std::vector<Command> c = {write_command(kDmarBase + dmar::kGcmd, persistent_, 4),
                            enable ? poll_set_command(kDmarBase + dmar::kGsts, dmar::kQueuedInvalidationEnable, 4)
                                   : poll_clear_command(kDmarBase + dmar::kGsts, dmar::kQueuedInvalidationEnable, 4)};
  machine_.run(c);
  queued_ = enable;
}

// Writes the descriptor and an inv_wait_dsc (6.5.2.8: type 5, SW = 1 - write the status data
// to the status address when every earlier descriptor is done), moves IQT past both (10.4.22:
// QT in bits 18:4) and waits for the status word.
void VtdUnit::submit(std::uint64_t lo, std::uint64_t hi) {
  const std::uint32_t token = ++wait_token_;
  const std::uint64_t wait_lo = 5 | (1u << 5) | (std::uint64_t{token} << 32), wait_hi = status_ & ~std::uint64_t{3};
  for (auto [l, h] : {std::pair{lo, hi}, std::pair{wait_lo, wait_hi}}) {
    machine_.write_ram64(queue_ + tail_, l);
    machine_.write_ram64(queue_ + tail_ + 8, h);
    tail_ = (tail_ + 16) % 0x1000;
  }
  machine_.write_ram64(status_, 0);
  std::vector<Command> c = {write_command(kDmarBase + dmar::kIqt, tail_)};
  machine_.run(c);
  for (int i = 0; i < 100000; ++i) {
    if ((machine_.read_ram64(status_) & 0xffffffff) == token) return;
    // An invalidation queue error stops the queue (10.4.9 FSTS.IQE).
    if (machine_.run_one(read_command(kDmarBase + dmar::kFsts, 4)).result & (1u << 4))
      throw MachineFailure(fmt::format("invalidation queue error (FSTS.IQE) on descriptor {:#x} {:#x}", lo, hi));
  }
  throw MachineFailure("the invalidation wait descriptor never completed");
}

void VtdUnit::invalidate_context(ContextInvalidation granularity, std::uint16_t domain_id, std::uint16_t source_id) {
  if (queued_) {
    // cc_inv_dsc (6.5.2.1): type 1, G bits 5:4, DID 31:16, SID 47:32 (FM 49:48 = 0).
    submit(1 | (std::uint64_t(granularity) << 4) | (std::uint64_t{domain_id} << 16) | (std::uint64_t{source_id} << 32), 0);
    return;
  }
  // CCMD_REG (10.4.7): ICC bit 63, CIRG 62:61, SID 31:16, DID 15:0; ICC clears when done.
  std::uint64_t v = (std::uint64_t{1} << 63) | (std::uint64_t(granularity) << 61) | (std::uint64_t{source_id} << 16) | domain_id;
  std::vector<Command> c = {write_command(kDmarBase + dmar::kCcmd, v), poll_clear_command(kDmarBase + dmar::kCcmd, std::uint64_t{1} << 63)};
  machine_.run(c);
}

void VtdUnit::invalidate_iotlb(IotlbInvalidation granularity, std::uint16_t domain_id, std::uint64_t address,
                               unsigned address_mask, bool hint) {
  // IVA_REG (10.4.8.2): ADDR 63:12, IH bit 6, AM 5:0. IOTLB_REG (10.4.8.1): IVT bit 63,
  // IIRG 61:60, DR 49, DW 48 (drain reads and writes), DID 47:32.
  std::uint64_t iva = (address & ~std::uint64_t{0xfff}) | (std::uint64_t{hint} << 6) | (address_mask & 0x3f);
  if (queued_) {
    // iotlb_inv_dsc (6.5.2.3): type 2, G bits 5:4, DW bit 6, DR bit 7, DID 31:16; high
    // quadword ADDR 63:12, IH bit 6, AM 5:0.
    submit(2 | (std::uint64_t(granularity) << 4) | (3u << 6) | (std::uint64_t{domain_id} << 16),
           granularity == IotlbInvalidation::page ? iva : 0);
    return;
  }
  std::uint64_t base = kDmarBase + iotlb_offset();
  std::uint64_t v = (std::uint64_t{1} << 63) | (std::uint64_t(granularity) << 60) | (std::uint64_t{3} << 48) |
                    (std::uint64_t{domain_id} << 32);
  std::vector<Command> c;
  if (granularity == IotlbInvalidation::page) c.push_back(write_command(base, iva));
  c.push_back(write_command(base + 8, v));
  c.push_back(poll_clear_command(base + 8, std::uint64_t{1} << 63));
  machine_.run(c);
}

DmaResult VtdUnit::dma(std::uint16_t bdf, std::uint64_t iova, unsigned size, bool to_memory, unsigned offset) {
  if (size == 0 || size > 4095 || offset + size > 4096)
    throw MachineFailure(fmt::format("edu DMA of {} bytes at buffer offset {:#x}: QEMU 7.2 takes 1-4095 bytes within its 4 KiB buffer", size, offset));
  std::uint64_t bar = bar_of(bdf), frcd = kDmarBase + fault_record_offset();
  std::uint64_t device = kEduBuffer + offset;
  std::vector<Command> c = {
      write_command(bar + kEduSource, to_memory ? device : iova),
      write_command(bar + kEduDestination, to_memory ? iova : device),
      write_command(bar + kEduCount, size),
      write_command(bar + kEduCommand, to_memory ? 3 : 1),
      poll_clear_command(bar + kEduCommand, 1),
      read_command(kDmarBase + dmar::kFsts, 4),
      read_command(frcd),
      read_command(frcd + 8),
      // Clear the record (F is RW1C) and FSTS's PFO/PPF (10.4.9, 10.4.14).
      write_command(frcd + 12, 1u << 31, 4),
      write_command(kDmarBase + dmar::kFsts, 0x7f, 4),
  };
  machine_.run(c);
  if (c[4].status != 0) throw MachineFailure("the edu DMA did not complete (command bit 0 stayed set)");
  std::uint64_t fsts = c[5].result, low = c[6].result, high = c[7].result;
  DmaResult result;
  result.overflow = fsts & 1;  // FSTS.PFO
  if (high >> 63) {            // F, bit 127
    FaultRecord r;
    r.address = low & ~std::uint64_t{0xfff};
    r.source_id = static_cast<std::uint16_t>(bits(high, 15, 0));
    r.reason = static_cast<unsigned>(bits(high, 39, 32));
    r.read = bits(high, 62, 62);
    result.fault = r;
  }
  return result;
}

}  // namespace vtspec::conformance::qemu
