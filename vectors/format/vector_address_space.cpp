#include "vectors/format/vector_address_space.hpp"

#include <functional>
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "spec/vmx/vmcs_fields.hpp"

#include "model/operation_table.hpp"
#include "spec/paging_entry.hpp"

namespace vtspec::vectors {

namespace {
constexpr std::uint64_t kPage = 4096;

// Walks every present entry reachable from the top-level tables (SDM Vol. 3A 4.5: bit 0 is
// P; bit 7 is PS in PDPTEs and PDEs; the address field is bits MAXPHYADDR-1:12) and checks
// that each table and each page it maps lies below `gpa_limit`. Shared tables are visited
// once. An entry's reserved bits are not judged here: its address is checked all the same,
// since whether it faults is what the vector tests.
//
// One walker for both kinds of tables: the guest's (read through the EPT when there is one:
// its tables are at guest-physical addresses; an unmapped one is not reached) and the EPT's
// (SDM Vol. 3C 29.3.2: present when any of bits 2:0 is set, bit 7 a 2-MByte or 1-GByte
// page in an EPT PDE or PDPTE; at host-physical addresses).
struct TableFormat {
  const char* space;           // "guest-physical" or "host-physical"
  const char* prefix;          // "" or "EPT "
  unsigned levels = 4;
  bool ept = false;
  std::function<std::optional<std::uint64_t>(std::uint64_t)> read;  // none: not reachable
};

std::optional<std::string> check_structures(const TableFormat& f, unsigned maxphyaddr, const std::set<std::uint64_t>& top_tables,
                                            std::uint64_t limit) {
  const std::uint64_t address_field = spec::frame_mask(maxphyaddr);
  std::set<std::pair<std::uint64_t, unsigned>> visited;
  std::optional<std::string> found;
  std::function<void(std::uint64_t, unsigned)> visit = [&](std::uint64_t table, unsigned level) {
    if (found || !visited.insert({table, level}).second) return;
    for (unsigned i = 0; i < 512 && !found; ++i) {
      const std::uint64_t slot = table + i * 8;
      if (!f.ept && level == f.levels && i == kReservedPml4Index) continue;  // the harness's
      const auto read = f.read(slot);
      if (!read) return;  // the table itself is not mapped: nothing below it is reached
      const std::uint64_t entry = *read;
      if (!(entry & (f.ept ? 7 : 1))) continue;
      const bool page = level == 1 || ((level == 2 || level == 3) && (entry & (1u << 7)));
      const std::uint64_t size = page ? std::uint64_t{1} << spec::index_shift(level) : kPage;
      const std::uint64_t base = entry & address_field & ~(size - 1);
      if (base + size > limit) {
        found = fmt::format("the {}{} at {:#x} ({:#x}) points at {} {:#x}, outside the vector's {} "
                            "[0, {:#x}) (the harness's space is above)",
                            f.prefix, spec::level_name(level), slot, entry, f.space, base, f.space, limit);
        return;
      }
      if (!page) visit(base, level - 1);
    }
  };
  for (std::uint64_t table : top_tables) visit(table, f.levels);
  return found;
}

std::optional<std::string> check_paging_structures(const model::MachineState& s, const std::set<std::uint64_t>& top_tables,
                                                   std::uint64_t gpa_limit) {
  const model::GuestPhysicalView guest = s.guest_physical();
  TableFormat f{"guest-physical", "", s.paging_levels(), false, [&](std::uint64_t gpa) -> std::optional<std::uint64_t> {
                  const auto hpa = guest.host_address(gpa);
                  if (!hpa) return std::nullopt;
                  return s.memory.read64(*hpa);
                }};
  if (auto v = check_structures(f, s.features.maxphyaddr, top_tables, gpa_limit)) return v;
  if (s.npt) {
    // Under nested paging likewise (AMD64 APM Vol. 2 15.25.5: long-mode format, present =
    // bit 0, PS = bit 7): every nested table and mapped page in host-physical [0, limit).
    // Guest-physical [limit, 2 limit) - the nested PDPT entry 1 under nested PML4 entry 0 -
    // is the L1 harness's (its stubs and their tables), so a vector leaves it unmapped.
    TableFormat n{"host-physical", "nested ", 4, false,
                  [&](std::uint64_t hpa) -> std::optional<std::uint64_t> { return s.memory.read64(hpa); }};
    const std::uint64_t root = top_table_address(s.npt->ncr3, s.features.maxphyaddr);
    if (auto v = check_structures(n, s.features.maxphyaddr, {root}, gpa_limit)) return v;
    const std::uint64_t pml4e = s.memory.read64(root);
    if ((pml4e & 1) && (s.memory.read64((pml4e & spec::frame_mask(s.features.maxphyaddr)) + 8) & 1))
      return fmt::format("the nested PDPTE for guest-physical [{:#x}, {:#x}) is present: that range is the L1 harness's",
                         gpa_limit, 2 * gpa_limit);
    return std::nullopt;
  }
  if (!s.ept) return std::nullopt;
  // Under EPT the vector owns host-physical [0, limit) too: every EPT table and every page
  // an EPT entry maps lies there, so the guest cannot reach the L1 harness's memory.
  TableFormat e{"host-physical", "EPT ", s.ept_shape().levels, true,
                [&](std::uint64_t hpa) -> std::optional<std::uint64_t> { return s.memory.read64(hpa); }};
  return check_structures(e, s.features.maxphyaddr, {top_table_address(s.ept->eptp, s.features.maxphyaddr)}, gpa_limit);
}

}  // namespace

std::uint64_t top_table_address(std::uint64_t cr3, unsigned maxphyaddr) {
  const std::uint64_t below = maxphyaddr >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << maxphyaddr) - 1;
  return cr3 & below & ~(kPage - 1);
}

std::optional<AddressSpaceViolation> check_vector_address_space(const model::MachineState& initial,
                                                                std::span<const model::Operation> operations,
                                                                std::span<const std::uint64_t> checked_entries,
                                                                std::uint64_t gpa_limit) {
  using Where = AddressSpaceViolation::Where;
  auto violation = [](Where where, std::size_t index, std::string message) {
    return std::optional<AddressSpaceViolation>{AddressSpaceViolation{where, index, std::move(message)}};
  };
  const std::string window = fmt::format("guest-physical [0, {:#x})", gpa_limit);
  if (operations.size() > kMaxVectorOperations)
    return violation(Where::state, 0, fmt::format("{} operations: a vector has at most {}", operations.size(), kMaxVectorOperations));
  if (checked_entries.size() > kMaxCheckedEntries)
    return violation(Where::state, 0,
                     fmt::format("{} checked entries: a vector has at most {}", checked_entries.size(), kMaxCheckedEntries));
  for (std::size_t i = 0; i < checked_entries.size(); ++i)
    if (checked_entries[i] + 8 > gpa_limit)
      return violation(Where::entry, i, fmt::format("{:#x} is outside the vector's {}", checked_entries[i], window));
  for (std::uint64_t frame : initial.memory.frame_numbers())
    if ((frame + 1) * kPage > gpa_limit)
      return violation(Where::state, 0,
                       fmt::format("memory at {} {:#x} is outside the vector's {} (the harness's space is above)",
                                   initial.ept || initial.npt ? "host-physical" : "guest-physical", frame * kPage, window));

  // Every top-level table the vector runs on leaves entry 511 to the harness.
  const unsigned maxphyaddr = initial.features.maxphyaddr;
  std::set<std::uint64_t> top_tables{top_table_address(initial.regs.cr3, maxphyaddr)};
  for (const auto& op : operations)
    if (op.kind == model::OperationKind::mov_cr3) top_tables.insert(top_table_address(op.value, maxphyaddr));
  for (std::uint64_t table : top_tables) {
    if (table + kPage > gpa_limit)
      return violation(Where::state, 0, fmt::format("the top-level table at {:#x} is outside the vector's {}", table, window));
    const auto slot = initial.guest_physical().host_address(table + kReservedPml4Index * 8);
    if (slot && initial.memory.read64(*slot) != 0)
      return violation(Where::state, 0,
                       fmt::format("the top-level table at {:#x} uses entry {} (linear {:#x} and up), which the harness "
                                   "reserves",
                                   table, kReservedPml4Index, kVectorLinearLimit));
  }

  // Everything the paging structures point at: a translation to guest-physical memory the
  // vector does not own would reach the harness's (its region follows the window).
  if (auto v = check_paging_structures(initial, top_tables, gpa_limit)) return violation(Where::state, 0, *v);

  // A VMX L1 (vtspec/vector/4): the physical addresses its VMX instructions and its VMCS
  // name lie in the window too, or at or above MAXPHYADDR, where they are no memory (the
  // instructions fail on them without an access, SDM Vol. 3C 31.3; a VM entry checks them
  // first, 27.2.1). A VMCS link pointer of FFFFFFFF_FFFFFFFFH points nowhere (25.4.2).
  const auto beyond = [&](std::uint64_t a) { return maxphyaddr < 64 && (a >> maxphyaddr) != 0; };
  const auto vmcs_address = [&](std::uint64_t encoding, std::uint64_t value) -> std::optional<std::string> {
    if (std::find(std::begin(spec::vmx::kPhysicalAddressFields), std::end(spec::vmx::kPhysicalAddressFields), encoding) ==
        std::end(spec::vmx::kPhysicalAddressFields))
      return std::nullopt;
    if (encoding == spec::vmx::vmcs_field::vmcs_link_pointer && value == ~std::uint64_t{0}) return std::nullopt;
    const std::uint64_t page = value & ~(kPage - 1);
    if (page + kPage <= gpa_limit || beyond(value)) return std::nullopt;
    return fmt::format("VMCS field {} = {:#x} points at physical memory outside the vector's {} (the L1's is above)",
                       spec::vmx::kVmcsFieldTable[*spec::vmx::field_position(static_cast<std::uint32_t>(encoding))].name, value,
                       window);
  };
  if (initial.vmx)
    for (std::size_t f = 0; f < spec::vmx::kVmcsFieldCount; ++f)
      if (auto v = vmcs_address(spec::vmx::kVmcsFieldTable[f].encoding, initial.vmx->vmcs.values[f]))
        return violation(Where::state, 0, *v);
  for (std::size_t i = 0; i < operations.size(); ++i) {
    const model::Operation& op = operations[i];
    if (initial.vmx && op.kind == model::OperationKind::vmwrite)
      if (auto v = vmcs_address(op.field, op.value)) return violation(Where::operation, i, *v);
    for (const model::Field& field : model::row_of(op).fields) {
      if (initial.vmx && field.member == model::Member::gpa && beyond(model::get_member(op, field.member))) continue;
      if (field.member == model::Member::linear) {
        const std::uint64_t linear = model::get_member(op, field.member);
        const std::uint64_t last = op.kind == model::OperationKind::access ? linear + op.size - 1 : linear;
        if (linear >= kVectorLinearLimit || last >= kVectorLinearLimit || last < linear)
          return violation(Where::operation, i,
                           fmt::format("{}: linear {:#x} is in PML4 entry {}'s range ({:#x} and up), which the harness "
                                       "reserves",
                                       field.key, linear, kReservedPml4Index, kVectorLinearLimit));
      } else if (field.member == model::Member::gpa) {
        const std::uint64_t gpa = model::get_member(op, field.member);
        if (gpa + 8 > gpa_limit)
          return violation(Where::operation, i, fmt::format("{}: {:#x} is outside the vector's {}", field.key, gpa, window));
        // The entry it stores points inside the window too (a 2-MByte or 1-GByte page is
        // aligned, so its first 4 KBytes inside means all of it).
        const std::uint64_t target = op.value & spec::frame_mask(maxphyaddr);
        if ((op.value & 1) && target + kPage > gpa_limit)
          return violation(Where::operation, i,
                           fmt::format("value: the entry {:#x} points at guest-physical {:#x}, outside the vector's {}",
                                       op.value, target, window));
        if (top_tables.count(gpa & ~(kPage - 1)) && (gpa & (kPage - 1)) == kReservedPml4Index * 8)
          return violation(Where::operation, i,
                           fmt::format("{}: {:#x} is entry {} of a top-level table, which the harness reserves", field.key,
                                       gpa, kReservedPml4Index));
      }
    }
  }
  return std::nullopt;
}

}  // namespace vtspec::vectors
