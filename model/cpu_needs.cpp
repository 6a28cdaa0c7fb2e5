#include "model/cpu_needs.hpp"

#include <algorithm>

#include <set>

#include "model/operation_table.hpp"
#include "spec/paging_entry.hpp"

namespace vtspec::model {

namespace {

constexpr std::uint64_t kPresent = spec::bit_at(spec::pte::present), kPageSize = spec::bit_at(spec::pte::page_size);
constexpr std::uint64_t kPage = 4096;

// The PDPT pages reachable from `root` (present entries only) and whether one of them maps a
// 1-GByte page (PDPTE.PS = 1, SDM Vol. 3A 4.5.4 Table 4-15).
void find_pdpts(const PhysicalMemory& memory, std::uint64_t root, unsigned levels, unsigned maxphyaddr,
                std::set<std::uint64_t>& pdpts, bool& maps_1g) {
  std::set<std::uint64_t> tables{root & spec::frame_mask(maxphyaddr)};
  for (unsigned level = levels; level > 3; --level) {
    std::set<std::uint64_t> next;
    for (std::uint64_t table : tables)
      for (unsigned i = 0; i < 512; ++i) {
        const std::uint64_t e = memory.read64(table + i * 8);
        if ((e & kPresent) && !(e & kPageSize)) next.insert(e & spec::frame_mask(maxphyaddr));
      }
    tables = std::move(next);
  }
  for (std::uint64_t pdpt : tables) {
    pdpts.insert(pdpt);
    for (unsigned i = 0; i < 512; ++i) {
      const std::uint64_t e = memory.read64(pdpt + i * 8);
      if ((e & kPresent) && (e & kPageSize)) maps_1g = true;
    }
  }
}

}  // namespace

void touch_cr4_features(std::uint64_t value, const CpuFeatures& cpu, CpuNeeds& needs) {
  const std::pair<std::uint64_t, Feature> bits[] = {{cr4::smep, Feature::smep}, {cr4::smap, Feature::smap},
                                                    {cr4::pke, Feature::pku},   {cr4::pks, Feature::pks},
                                                    {cr4::la57, Feature::la57}, {cr4::pcide, Feature::pcid}};
  for (const auto& [bit, feature] : bits)
    if (value & bit) needs.touch(feature, cpu);
}

void add_operation_needs(const Operation& op, const CpuFeatures& cpu, CpuNeeds& needs) {
  needs.abilities.insert(ability(op));
  if (auto* add = row_of(op).needs) add(op, cpu, needs);
}

CpuNeeds cpu_needs(const MachineState& initial, std::span<const Operation> operations) {
  CpuNeeds needs;
  const CpuFeatures& cpu = initial.features;
  needs.maxphyaddr = cpu.maxphyaddr;
  touch_cr4_features(initial.regs.cr4, cpu, needs);
  if (initial.regs.efer & efer::nxe) needs.touch(Feature::nx, cpu);

  // 1-GByte pages: a PDPTE with PS = 1 under any CR3 the vector runs on, or stored later
  // into one of those PDPTs.
  std::set<std::uint64_t> pdpts;
  bool maps_1g = false;
  find_pdpts(initial.memory, initial.regs.cr3, initial.paging_levels(), cpu.maxphyaddr, pdpts, maps_1g);
  for (const auto& op : operations)
    if (op.kind == OperationKind::mov_cr3)
      find_pdpts(initial.memory, op.value, initial.paging_levels(), cpu.maxphyaddr, pdpts, maps_1g);
  for (const auto& op : operations)
    if (op.kind == OperationKind::store_entry && pdpts.count(op.address & ~(kPage - 1)) && (op.value & kPresent) &&
        (op.value & kPageSize))
      maps_1g = true;
  if (maps_1g) needs.touch(Feature::page1gb, cpu);

  for (const auto& op : operations) add_operation_needs(op, cpu, needs);
  if (initial.ept) needs.ept = initial.ept_shape().caps;
  if (initial.vmx) needs.vmx = initial.vmx->caps;
  if (initial.npt) {
    needs.nested_paging = true;
    needs.nested_host_nxe = initial.npt->host_nxe;
  }
  if (initial.iommu) {
    needs.iommu_profile = initial.iommu->profile;
    // Every frame the state writes, and every frame a table store writes later.
    auto frames = initial.memory.frame_numbers();
    for (const auto& op : operations)
      if (op.kind == OperationKind::store_entry) frames.push_back(op.address / PhysicalMemory::kFrameSize);
    if (!frames.empty()) {
      needs.memory_begin = *std::min_element(frames.begin(), frames.end()) * PhysicalMemory::kFrameSize;
      needs.memory_end = (*std::max_element(frames.begin(), frames.end()) + 1) * PhysicalMemory::kFrameSize;
    }
  }
  return needs;
}

}  // namespace vtspec::model
