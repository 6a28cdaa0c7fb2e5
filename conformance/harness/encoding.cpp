#include "conformance/harness/encoding.hpp"

#include <algorithm>
#include <bitset>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "conformance/harness/harness_image.hpp"
#include "conformance/harness/operation_encoding.hpp"
#include "spec/paging_entry.hpp"
#include "vectors/format/vector_address_space.hpp"

namespace vtspec::conformance::harness {
namespace {

// Paging-entry bits the harness's own structures use (SDM Vol. 3A 4.5, Tables 4-14..4-20).
// No XD bit anywhere: with EFER.NXE = 0 it would be reserved, and the vector decides NXE.
// No G bit: harness translations may be flushed like any other, they are re-walked.
constexpr std::uint64_t kPresent = spec::bit_at(spec::pte::present), kWritable = spec::bit_at(spec::pte::writable),
                        kUser = spec::bit_at(spec::pte::user), kPageSize = spec::bit_at(spec::pte::page_size),
                        kAccessed = spec::bit_at(spec::pte::accessed);
constexpr std::uint64_t kPage = 4096, kLargePage = 2ull << 20, kGiga = 1ull << 30;

// Harness table pages inside the region (VT_TABLES_OFFSET): PDPT, PD, PT, then the
// direct map's page directories; the last two pages hold the user-mode aliases of the batch
// loop (harness_abi.h): the PT of VT_USER_PROGRAM/VT_USER_RESULTS and the PD of VT_USER_DIRECT.
constexpr unsigned kPdpt = 0, kPd = 1, kPt = 2, kDirectPd = 3;
constexpr unsigned kUserAliasPt = VT_TABLES_PAGES - 2, kUserDirectPd = VT_TABLES_PAGES - 1;

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
  // can be user-accessible; every other harness page has U/S = 0 in its PTE. A preset: the
  // processor never writes the entry (SDM Vol. 3A 4.8), so it stays what the host staged.
  return table_gpa(layout, kPdpt) | kPresent | kWritable | kUser | kAccessed;
}

// The batch loop (guest/batch.S) runs its bookkeeping at CPL 3 on harness pages of
// protection key 0, and the interpreter no longer makes CPL-0/3 accesses: where the vector can
// enable protection keys (CR4.PKE, SDM Vol. 3A 4.6.2) with a PKRU that denies key 0 to
// user-mode accesses (AD0 or WD0, bits 1:0), the harness cannot run it. Why not, or nothing.
std::optional<std::string> key_zero_denied(const model::MachineState& initial, std::span<const model::Operation> operations) {
  bool pke = initial.regs.cr4 & model::cr4::pke, denies_key0 = initial.regs.pkru & 3;
  for (const auto& op : operations) {
    if (op.kind == model::OperationKind::mov_cr4) pke = pke || (op.value & model::cr4::pke);
    if (op.kind == model::OperationKind::wrpkru) denies_key0 = denies_key0 || (op.value & 3);
  }
  if (!(pke && denies_key0)) return std::nullopt;
  return "PKRU denies protection key 0 (AD0/WD0) with CR4.PKE set: the harness's CPL-3 batch loop uses key-0 pages";
}

// Every access (CPL 0 and 3 made by the loop itself; CPL 1 and 2 through the interpreter's
// ring stubs, called from it) and, with `privileged`, every operation that is one privileged
// instruction run in the guest's batch loop; the rest in the interpreter. Every operation of
// a run carries the run's end, so that a re-entry in the middle of a run (after an exit the
// target recovered from) finds it too.
void mark_batch_runs(std::vector<vt_op>& ops, bool privileged) {
  auto batched = [&](const vt_op& op) { return op.kind == VT_OP_ACCESS || privileged; };
  for (std::size_t i = 0; i < ops.size();) {
    std::size_t end = i;
    while (end < ops.size() && batched(ops[end])) ++end;
    for (std::size_t k = i; k < end; ++k) ops[k].batch_end = static_cast<std::uint32_t>(end);
    i = end == i ? i + 1 : end;
  }
}

}  // namespace

std::optional<unsigned> batch_alias_slot(const model::MachineState& initial, std::span<const model::Operation> operations,
                                         const std::set<std::uint64_t>& top_tables) {
  constexpr unsigned kLowerHalfSlots = 256;  // PML4 slots 0-255: linear addresses below 2^47
  std::bitset<512> used;
  for (std::uint64_t table : top_tables)
    for (unsigned slot = 0; slot < kLowerHalfSlots; ++slot)
      if (initial.memory.read64(table + slot * 8) != 0) used.set(slot);
  auto reach = [&](std::uint64_t first, std::uint64_t last) {
    for (std::uint64_t slot = (first >> 39) & 511;; slot = (slot + 1) & 511) {
      used.set(slot);
      if (slot == ((last >> 39) & 511)) break;
    }
  };
  for (const auto& op : operations) {
    switch (op.kind) {
      case model::OperationKind::access:
        reach(op.access.linear, op.access.linear + std::max(op.size, 1u) - 1);
        break;
      case model::OperationKind::invlpg:
      case model::OperationKind::invpcid:
        reach(op.address, op.address);
        break;
      case model::OperationKind::store_entry:
        for (std::uint64_t table : top_tables)
          if (op.address >= table && op.address < table + kLowerHalfSlots * 8) used.set((op.address - table) / 8);
        break;
      default: break;
    }
  }
  for (unsigned slot = kLowerHalfSlots; slot-- > 0;)
    if (!used.test(slot)) return slot;
  return std::nullopt;
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
  // The batch loop's user-mode aliases: the program read-only, the results writable (the PD
  // entry after the region's), and the vector window read-only in 2-MByte pages.
  constexpr std::uint64_t kUserAliasPde = (VT_USER_ALIAS_LINEAR >> 21) & 511;  // 1
  put(region, tables + kPd * kPage + kUserAliasPde * 8, table_gpa(layout, kUserAliasPt) | kPresent | kWritable | kUser);
  for (std::uint64_t i = 0; i < VT_PROGRAM_SIZE / kPage; ++i)
    put(region, tables + kUserAliasPt * kPage + i * 8, (layout.region_gpa + VT_PROGRAM_OFFSET + i * kPage) | kPresent | kUser);
  for (std::uint64_t i = 0; i < VT_RESULTS_SIZE / kPage; ++i)
    put(region, tables + kUserAliasPt * kPage + (VT_PROGRAM_SIZE / kPage + i) * 8,
        (layout.region_gpa + VT_RESULTS_OFFSET + i * kPage) | kPresent | kWritable | kUser);
  constexpr std::uint64_t kUserDirectPdpte = (VT_USER_DIRECT >> 30) & 511;  // 509
  put(region, tables + kPdpt * kPage + kUserDirectPdpte * 8, table_gpa(layout, kUserDirectPd) | kPresent | kUser);
  for (std::uint64_t gpa = 0; gpa < layout.vector_window && gpa < kGiga; gpa += kLargePage)
    put(region, tables + kUserDirectPd * kPage + gpa / kLargePage * 8, gpa | kPresent | kUser | kPageSize);
  return region;
}

EncodeResult encode(const model::MachineState& initial, std::span<const model::Operation> operations,
                    std::span<const std::uint64_t> readback, const Layout& layout) {
  EncodeResult out;
  auto fail = [&](std::string message) {
    out.error = std::move(message);
    return std::move(out);
  };
  if (layout.region_gpa < layout.vector_window || direct_map_size(layout) > (kUserAliasPt - kDirectPd) * kGiga ||
      layout.vector_window > kGiga)
    return fail("harness layout: region must follow the vector window (at most 1 GiB) and fit the direct map");
  if (initial.regs.cr4 & model::cr4::la57)
    return fail("5-level paging (CR4.LA57): the harness only inserts its mappings into 4-level tables");
  // What the vector may use (the loader checked it against the format's window; a target
  // may offer a smaller one).
  if (auto v = vectors::check_vector_address_space(initial, operations, readback, layout.vector_window)) {
    if (v->where == vectors::AddressSpaceViolation::Where::operation) return fail(fmt::format("operation {}: {}", v->index, v->message));
    return fail(v->message);
  }
  for (std::uint64_t gpa : readback)
    if (gpa % 8) return fail(fmt::format("checked entry at 0x{:x} is not an aligned entry", gpa));
  if (auto why = key_zero_denied(initial, operations)) return fail(*why);

  out.encoded.memory = initial.memory;
  // Every top-level table the vector runs on gets the harness's PML4 entry.
  std::set<std::uint64_t> top_tables{vectors::top_table_address(initial.regs.cr3, initial.features.maxphyaddr)};
  for (const auto& op : operations)
    if (op.kind == model::OperationKind::mov_cr3)
      top_tables.insert(vectors::top_table_address(op.value, initial.features.maxphyaddr));
  for (std::uint64_t table : top_tables) out.encoded.memory.write64(table + VT_HARNESS_PML4_INDEX * 8, harness_pml4e(layout));
  out.encoded.top_tables.assign(top_tables.begin(), top_tables.end());
  out.encoded.harness_pml4e = harness_pml4e(layout);

  std::vector<vt_op> ops;
  const EncodeContext context{layout, top_tables};
  for (std::size_t i = 0; i < operations.size(); ++i) {
    EncodedOperation encoded = encode_operation(operations[i], context);
    if (!encoded.error.empty()) return fail(fmt::format("operation {}: {}", i, encoded.error));
    ops.push_back(encoded.record);
  }
  mark_batch_runs(ops, layout.batch_privileged);
  // The batch loop's lower-half copy of the harness's PML4 entry, in a slot the vector never
  // reaches; without one the loop runs at entry 511 (slower on some targets, same results).
  std::uint64_t user_alias = 0;
  if (const auto slot = batch_alias_slot(initial, operations, top_tables)) {
    for (std::uint64_t table : top_tables) out.encoded.memory.write64(table + *slot * 8, harness_pml4e(layout));
    user_alias = (std::uint64_t{*slot} + 1) << 39;  // slot 511's addresses + this = the slot's (mod 2^64)
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
  header.user_alias = user_alias;
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

}  // namespace vtspec::conformance::harness
