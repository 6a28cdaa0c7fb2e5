#include "conformance/harness/encoding.hpp"

#include <algorithm>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "conformance/harness/harness_image.hpp"
#include "spec/paging_entry.hpp"

namespace vtspec::conformance::harness {
namespace {

// Paging-entry bits the harness's own structures use (SDM Vol. 3A 4.5, Tables 4-14..4-20).
// No XD bit anywhere: with EFER.NXE = 0 it would be reserved, and the vector decides NXE.
// No G bit: harness translations may be flushed like any other, they are re-walked.
constexpr std::uint64_t kPresent = spec::bit_at(spec::pte::present), kWritable = spec::bit_at(spec::pte::writable),
                        kUser = spec::bit_at(spec::pte::user), kPageSize = spec::bit_at(spec::pte::page_size);
constexpr std::uint64_t kPage = 4096, kLargePage = 2ull << 20, kGiga = 1ull << 30;

// Harness table pages inside the region (VT_TABLES_OFFSET): PDPT, PD, PT, then the
// direct map's page directories.
constexpr unsigned kPdpt = 0, kPd = 1, kPt = 2, kDirectPd = 3;

template <typename T>
void put(std::vector<std::uint8_t>& bytes, std::uint64_t offset, const T& value) {
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}

std::uint64_t direct_map_size(const Layout& layout) { return layout.region_gpa + VT_REGION_AND_STAGING_SIZE; }

std::uint64_t table_gpa(const Layout& layout, unsigned page) {
  return layout.region_gpa + VT_TABLES_OFFSET + page * kPage;
}

std::uint64_t harness_pml4e(const Layout& layout) {
  // U/S = 1 here (and in the PDPT/PD entries of the harness region) so the CPL-3 stub page
  // can be user-accessible; every other harness page has U/S = 0 in its PTE.
  return table_gpa(layout, kPdpt) | kPresent | kWritable | kUser;
}

std::uint8_t op_kind(model::OperationKind kind) {
  using K = model::OperationKind;
  switch (kind) {
    case K::access: return VT_OP_ACCESS;
    case K::store_entry: return VT_OP_STORE_ENTRY;
    case K::invlpg: return VT_OP_INVLPG;
    case K::mov_cr3: return VT_OP_MOV_CR3;
    case K::mov_cr4: return VT_OP_MOV_CR4;
    case K::mov_cr0: return VT_OP_MOV_CR0;
    case K::invpcid: return VT_OP_INVPCID;
    default: return 0;
  }
}

}  // namespace

std::uint64_t pml4_address(std::uint64_t cr3, unsigned maxphyaddr) {
  std::uint64_t mask = ((maxphyaddr >= 64 ? 0 : (std::uint64_t{1} << maxphyaddr)) - 1) & ~(kPage - 1);
  return cr3 & mask;
}

std::vector<std::uint8_t> build_region(const Layout& layout) {
  std::vector<std::uint8_t> region(VT_REGION_SIZE, 0);
  auto image = guest_image();
  const vt_info& info = guest_info();
  std::copy(image.begin(), image.end(), region.begin() + VT_IMAGE_OFFSET);

  // PDPT: entries 0.. map the direct map (2-MByte pages), entry 510 the harness region.
  std::uint64_t direct_pds = (direct_map_size(layout) + kGiga - 1) / kGiga;
  std::uint64_t tables = VT_TABLES_OFFSET;
  for (std::uint64_t i = 0; i < direct_pds; ++i) {
    put(region, tables + kPdpt * kPage + i * 8, table_gpa(layout, kDirectPd + unsigned(i)) | kPresent | kWritable);
    for (std::uint64_t j = 0; j < 512; ++j) {
      std::uint64_t gpa = (i * 512 + j) * kLargePage;
      if (gpa >= direct_map_size(layout)) break;
      put(region, tables + (kDirectPd + i) * kPage + j * 8, gpa | kPresent | kWritable | kPageSize);
    }
  }
  constexpr std::uint64_t kRegionPdpte = (VT_HARNESS_LINEAR >> 30) & 511;  // 510
  put(region, tables + kPdpt * kPage + kRegionPdpte * 8, table_gpa(layout, kPd) | kPresent | kWritable | kUser);
  put(region, tables + kPd * kPage, table_gpa(layout, kPt) | kPresent | kWritable | kUser);
  for (std::uint64_t i = 0; i < VT_REGION_SIZE / kPage; ++i) {
    std::uint64_t linear = VT_HARNESS_LINEAR + i * kPage;
    bool user = linear >= info.user_begin && linear < info.user_end;
    put(region, tables + kPt * kPage + i * 8,
        (layout.region_gpa + i * kPage) | kPresent | kWritable | (user ? kUser : 0));
  }
  return region;
}

EncodeResult encode(const model::MachineState& initial, std::span<const model::Operation> operations,
                    std::span<const std::uint64_t> readback, const Layout& layout) {
  EncodeResult out;
  auto fail = [&](std::string message) {
    out.error = std::move(message);
    return std::move(out);
  };
  if (layout.region_gpa < layout.vector_window || direct_map_size(layout) > (VT_TABLES_PAGES - kDirectPd) * kGiga)
    return fail("harness layout: region must follow the vector window and fit the direct map");
  if (operations.size() > VT_MAX_OPS) return fail(fmt::format("{} operations; the harness runs at most {}", operations.size(), VT_MAX_OPS));
  if (readback.size() > VT_MAX_READBACK)
    return fail(fmt::format("{} checked entries; the harness reads back at most {}", readback.size(), VT_MAX_READBACK));
  if (initial.regs.cr4 & model::cr4::la57)
    return fail("5-level paging (CR4.LA57): the harness only inserts its mappings into 4-level tables");
  for (std::uint64_t gpa : readback)
    if (gpa + 8 > layout.vector_window || gpa % 8)
      return fail(fmt::format("checked entry at 0x{:x} is not an aligned entry in guest-physical [0, 0x{:x})", gpa,
                              layout.vector_window));

  out.encoded.memory = initial.memory;
  for (std::uint64_t frame : initial.memory.frame_numbers())
    if ((frame + 1) * kPage > layout.vector_window)
      return fail(fmt::format("memory at guest-physical 0x{:x} is outside this target's window [0, 0x{:x})",
                              frame * kPage, layout.vector_window));

  // Every top-level table the vector runs on gets the harness's PML4 entry.
  std::set<std::uint64_t> top_tables{pml4_address(initial.regs.cr3, initial.features.maxphyaddr)};
  for (const auto& op : operations)
    if (op.kind == model::OperationKind::mov_cr3) top_tables.insert(pml4_address(op.value, initial.features.maxphyaddr));
  for (std::uint64_t table : top_tables) {
    if (table + kPage > layout.vector_window)
      return fail(fmt::format("PML4 at 0x{:x} is outside this target's window [0, 0x{:x})", table, layout.vector_window));
    std::uint64_t slot = table + VT_HARNESS_PML4_INDEX * 8;
    if (initial.memory.read64(slot) != 0)
      return fail(fmt::format("PML4 at 0x{:x} uses entry 511, which the harness reserves for itself", table));
    out.encoded.memory.write64(slot, harness_pml4e(layout));
  }
  out.encoded.top_tables.assign(top_tables.begin(), top_tables.end());
  out.encoded.harness_pml4e = harness_pml4e(layout);

  std::vector<vt_op> ops;
  for (std::size_t i = 0; i < operations.size(); ++i) {
    const auto& op = operations[i];
    vt_op record{};
    record.kind = op_kind(op.kind);
    if (record.kind == 0)
      return fail(fmt::format("operation {}: {} is not supported by the guest harness", i, model::to_string(op.kind)));
    std::uint64_t linear = op.kind == model::OperationKind::access ? op.access.linear : op.address;
    bool linear_operand = op.kind == model::OperationKind::access || op.kind == model::OperationKind::invlpg ||
                          op.kind == model::OperationKind::invpcid;
    if (linear_operand && linear >= VT_HARNESS_LINEAR_FLOOR)
      return fail(fmt::format("operation {}: linear address 0x{:x} is in the harness's range (>= 0x{:x})", i, linear,
                              VT_HARNESS_LINEAR_FLOOR));
    if (op.kind == model::OperationKind::access) {
      if (op.size != 1 && op.size != 2 && op.size != 4 && op.size != 8)
        return fail(fmt::format("operation {}: access size {} (must be 1, 2, 4 or 8)", i, op.size));
      if (op.access.cpl != 0 && op.access.cpl != 3)
        return fail(fmt::format("operation {}: CPL {} (the harness runs CPL 0 or 3)", i, op.access.cpl));
      if (op.access.implicit_supervisor)
        return fail(fmt::format("operation {}: implicit supervisor-mode accesses are not generated by the harness", i));
      record.access = static_cast<std::uint8_t>(op.access.kind);
      record.size = static_cast<std::uint8_t>(op.size);
      record.cpl = static_cast<std::uint8_t>(op.access.cpl);
    }
    if (op.kind == model::OperationKind::store_entry) {
      if (op.address % 8 || op.address + 8 > layout.vector_window)
        return fail(fmt::format("operation {}: store_entry at 0x{:x} is not an aligned entry in [0, 0x{:x})", i,
                                op.address, layout.vector_window));
      if (top_tables.count(op.address & ~(kPage - 1)) && (op.address & (kPage - 1)) == VT_HARNESS_PML4_INDEX * 8)
        return fail(fmt::format("operation {}: store_entry to PML4 entry 511, which the harness reserves", i));
    }
    record.type = static_cast<std::uint8_t>(op.type);
    record.address = linear;
    record.value = op.value;
    record.pcid = op.pcid;
    ops.push_back(record);
  }

  vt_program_header header{};
  header.magic = VT_PROGRAM_MAGIC;
  header.op_count = static_cast<std::uint32_t>(ops.size());
  header.readback_count = static_cast<std::uint32_t>(readback.size());
  header.pkru = initial.regs.pkru;
  header.flags = (initial.regs.cr4 & model::cr4::pke) ? VT_FLAG_WRPKRU : 0;
  header.user_rflags = (initial.regs.rflags & model::rflags::ac) | 0x2;
  header.region_gpa = layout.region_gpa;
  header.staging_gpa = layout.region_gpa + VT_STAGING_OFFSET;
  auto& program = out.encoded.program;
  program.resize(sizeof header + ops.size() * sizeof(vt_op) + readback.size() * 8);
  std::uint64_t at = 0;
  put(program, at, header);
  at += sizeof header;
  for (const auto& record : ops) put(program, at, record), at += sizeof record;
  for (std::uint64_t gpa : readback) put(program, at, gpa), at += 8;

  out.encoded.op_count = header.op_count;
  out.encoded.readback.assign(readback.begin(), readback.end());
  out.encoded.rflags = header.user_rflags;
  return out;
}

void request_cpuid(EncodedVector& encoded) {
  vt_program_header header;
  std::memcpy(&header, encoded.program.data(), sizeof header);
  header.flags |= VT_FLAG_CPUID;
  put(encoded.program, 0, header);
}

StageResult stage_memory(EncodedVector& encoded, std::span<const std::uint64_t> nonzero_frames,
                         const std::function<std::uint64_t(std::uint64_t)>& current, std::span<std::uint8_t> staging) {
  StageResult out;
  std::set<std::uint64_t> frames;
  for (std::uint64_t number : encoded.memory.frame_numbers()) frames.insert(number * kPage);
  frames.insert(nonzero_frames.begin(), nonzero_frames.end());
  std::uint64_t capacity = std::min<std::uint64_t>(staging.size(), VT_STAGING_SIZE) / 16;
  for (std::uint64_t frame : frames)
    for (std::uint64_t address = frame; address < frame + kPage; address += 8) {
      std::uint64_t want = encoded.memory.read64(address);
      if (current(address) == want) continue;
      if (out.stores == capacity) {
        out.error = fmt::format("more than {} stores to load the vector's memory", capacity);
        return out;
      }
      std::uint64_t pair[2] = {address, want};
      std::memcpy(staging.data() + out.stores * 16, pair, 16);
      ++out.stores;
    }
  vt_program_header header;
  std::memcpy(&header, encoded.program.data(), sizeof header);
  header.store_count = static_cast<std::uint32_t>(out.stores);
  put(encoded.program, 0, header);
  return out;
}

DecodedResults decode(std::span<const std::uint8_t> results, std::uint32_t op_count,
                      std::span<const std::uint64_t> readback) {
  DecodedResults out;
  out.observations.resize(op_count);
  if (results.size() < VT_RESULTS_SIZE) {
    out.failure = "results area truncated";
    return out;
  }
  vt_results_header header;
  std::memcpy(&header, results.data(), sizeof header);
  if (header.magic != VT_RESULTS_MAGIC) {
    out.failure = "the harness never started (no results magic)";
    return out;
  }
  out.ops_done = header.ops_done;
  std::memcpy(out.cpuid, header.cpuid, sizeof out.cpuid);
  out.current_op = header.current_op;
  if (header.failure != 0)
    out.failure = fmt::format("harness failure {}: unexpected exception {} at RIP 0x{:x} (error code 0x{:x})",
                              header.failure, header.unexpected_vector, header.unexpected_rip, header.failure_detail);
  for (std::uint32_t i = 0; i < op_count && i < VT_MAX_OPS; ++i) {
    vt_result r;
    std::memcpy(&r, results.data() + VT_RESULTS_FIRST + i * sizeof r, sizeof r);
    Observation& o = out.observations[i];
    if (r.status == VT_COMPLETED) {
      o.kind = Observation::Kind::completed;
      o.value = r.value;
    } else if (r.status == VT_EXCEPTION) {
      o.kind = Observation::Kind::exception;
      o.vector = r.vector;
      o.error_code = r.error_code;
      o.cr2 = r.cr2;
      o.rip = r.rip;
    } else {
      continue;  // not run, or started and never finished (the target says why)
    }
    for (std::size_t k = 0; k < readback.size(); ++k) {
      std::uint64_t value;
      std::memcpy(&value, results.data() + VT_READBACK_VALUES_OFFSET + (std::uint64_t(i) * VT_MAX_READBACK + k) * 8, 8);
      o.entries_after.emplace_back(readback[k], value);
    }
  }
  return out;
}

}  // namespace vtspec::conformance::harness
