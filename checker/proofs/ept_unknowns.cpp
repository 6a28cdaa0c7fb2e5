#include "checker/proofs/ept_unknowns.hpp"

#include <set>

namespace vtspec::checker {

EptUnknowns::EptUnknowns(const std::string& p)
    : eptp(S::unknown_word((p + "eptp").c_str())), gpa(S::unknown_word((p + "gpa").c_str())) {
  auto b = [&](const char* n) { return S::unknown_bool((p + n).c_str()); };
  access.read = b("access.read");
  access.write = b("access.write");
  access.fetch = b("access.fetch");
  origin.read_modify_write = b("access.rmw");
  origin.linear_valid = b("access.linear_valid");
  origin.to_final_translation = b("access.final");
  access.linear_user = b("access.linear_user");
  origin.linear_writable = b("access.linear_writable");
  origin.linear_exec_disabled = b("access.linear_xd");
}

z3::expr EptUnknowns::well_formed(const spec::EptShape& shape) const {
  const std::uint64_t frame = spec::frame_mask(shape.caps.maxphyaddr);
  const z3::expr type = eptp & S::word(7);
  const z3::expr length = S::shift_right(eptp, 3u) & S::word(7);
  z3::expr ok = (type == S::word(0) || type == S::word(6)) && length == S::word(shape.levels - 1) &&
                (eptp & S::word(~(frame | 0xffull))) == S::word(0);
  if (!shape.caps.accessed_dirty) ok = ok && !S::bit(eptp, 6);
  ok = ok && (gpa & S::word(~((std::uint64_t{1} << shape.caps.maxphyaddr) - 1))) == S::word(0);
  return ok && z3::implies(!origin.linear_valid, origin.to_final_translation) && (access.read || access.write || access.fetch);
}

z3::expr EptUnknowns::final_translation() const {
  return origin.linear_valid && origin.to_final_translation && !origin.read_modify_write &&
         (access.read == (!access.write && !access.fetch)) && !(access.write && access.fetch) &&
         !(access.fetch && origin.linear_exec_disabled);
}

bool ept_counterexample_state(const z3::model& m, const EptUnknowns& u, const spec::EptShape& shape,
                              const SymbolicMemory& memory, model::MachineState& state, model::AccessRequest& request) {
  using namespace model;
  state.features.maxphyaddr = shape.caps.maxphyaddr;
  state.ept = EptSettings{eval_u64(m, u.eptp), shape.caps};
  state.ept->caps.walk_length_5 = shape.levels == 5 || state.ept->caps.walk_length_5;
  fill_memory(m, memory, state);
  const std::uint64_t gpa = eval_u64(m, u.gpa);
  const bool replayable = eval_bool(m, u.final_translation());
  // Guest tables at guest-physical addresses whose top EPT index differs from gpa's, mapped
  // through fresh EPT tables in host frames the counterexample does not use.
  const unsigned top_shift = 12 + 9 * (shape.levels - 1);
  const std::uint64_t top_index = ((gpa >> top_shift) & 0x1ff) ^ 1;
  const std::uint64_t guest_base = top_index << top_shift;
  std::set<std::uint64_t> used;
  for (auto f : state.memory.frame_numbers()) used.insert(f);
  std::uint64_t next = 0x100000 >> 12;
  auto fresh_frame = [&]() {
    while (used.count(next)) ++next;
    used.insert(next);
    return (next++) << 12;
  };
  const std::uint64_t ept_root = state.ept->eptp & spec::frame_mask(shape.caps.maxphyaddr);
  const std::uint64_t rwx = 0x7, leaf_flags = 0x7 | (6u << 3) | (1u << 8) | (1u << 9);
  std::uint64_t table = ept_root;
  for (unsigned level = shape.levels; level >= 2; --level) {
    const std::uint64_t next_table = fresh_frame();
    const std::uint64_t index = level == shape.levels ? top_index : 0;
    state.memory.write64(table + index * 8, next_table | rwx | (1u << 8));
    table = next_table;
  }
  std::uint64_t guest_frames[4];
  for (unsigned k = 0; k < 4; ++k) {
    guest_frames[k] = fresh_frame();
    state.memory.write64(table + k * 8, guest_frames[k] | leaf_flags);
  }
  // Guest 4-level tables: PML4 at guest_base, PDPT +0x1000, PD +0x2000, PT +0x3000; linear
  // address (gpa & 0xfff) uses index 0 at every level.
  const std::uint64_t upper = 0x27;  // P, RW, US, A
  for (unsigned k = 0; k < 3; ++k) state.memory.write64(guest_frames[k], (guest_base + (k + 1) * 0x1000) | upper);
  const bool user = eval_bool(m, u.access.linear_user), writable = eval_bool(m, u.origin.linear_writable);
  const bool xd = eval_bool(m, u.origin.linear_exec_disabled);
  state.memory.write64(guest_frames[3], (gpa & ~0xfffull & spec::frame_mask(shape.caps.maxphyaddr)) | 0x61 | (writable ? 2u : 0u) |
                                            (user ? 4u : 0u) | (xd ? std::uint64_t{1} << 63 : 0));
  state.regs.cr3 = guest_base;
  state.regs.cr0 = cr0::pe | cr0::pg;  // WP=0: supervisor writes to read-only pages are allowed
  state.regs.cr4 = cr4::pae;
  state.regs.efer = efer::lme | efer::lma | efer::nxe;
  request.linear = gpa & 0xfff;
  request.cpl = 0;
  request.kind = eval_bool(m, u.access.write) ? spec::AccessKind::write
                 : eval_bool(m, u.access.fetch) ? spec::AccessKind::fetch
                                                : spec::AccessKind::read;
  return replayable;
}

}  // namespace vtspec::checker
