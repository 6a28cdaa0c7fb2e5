#include "checker/proofs/guest_unknowns.hpp"

namespace vtspec::checker {

std::uint64_t eval_u64(const z3::model& m, const z3::expr& e) {
  const z3::expr v = m.eval(e, true);
  std::uint64_t out = 0;
  if (v.is_numeral_u64(out)) return out;
  return 0;
}

bool eval_bool(const z3::model& m, const z3::expr& e) { return m.eval(e, true).is_true(); }

GuestUnknowns::GuestUnknowns(const std::string& p)
    : cr3(S::unknown_word((p + "cr3").c_str())), linear(S::unknown_word((p + "linear").c_str())) {
  auto b = [&](const char* n) { return S::unknown_bool((p + n).c_str()); };
  ctl.cr0_wp = b("cr0.wp");
  ctl.cr4_pge = b("cr4.pge");
  ctl.cr4_smep = b("cr4.smep");
  ctl.cr4_smap = b("cr4.smap");
  ctl.cr4_pke = b("cr4.pke");
  ctl.cr4_pks = b("cr4.pks");
  ctl.efer_nxe = b("efer.nxe");
  ctl.rflags_ac = b("rflags.ac");
  ctl.pkru = S::unknown_word((p + "pkru").c_str());
  ctl.pkrs = S::unknown_word((p + "pkrs").c_str());
  access.write = b("access.write");
  access.fetch = b("access.fetch");
  access.user = b("access.user");
  access.implicit = b("access.implicit");
}

z3::expr GuestUnknowns::well_formed() const {
  const z3::expr high32 = S::word(0xffffffff00000000ull);
  return !(access.write && access.fetch) && !(access.user && access.implicit) &&
         (ctl.pkru & high32) == S::word(0) && (ctl.pkrs & high32) == S::word(0);
}

declarative::RightsFacts<S> GuestUnknowns::facts() const {
  return declarative::RightsFacts<S>{access.user,   access.write,  access.fetch,   access.implicit, ctl.cr0_wp,
                                     ctl.cr4_smep,  ctl.cr4_smap,  ctl.cr4_pke,    ctl.cr4_pks,     ctl.efer_nxe,
                                     ctl.rflags_ac, ctl.pkru,      ctl.pkrs,       S::truth(false), S::truth(false),
                                     S::truth(false), S::word(0)};
}

void GuestUnknowns::to_state(const z3::model& m, const spec::PagingShape& shape, model::MachineState& state,
                             model::AccessRequest& request) const {
  using namespace model;
  state.features.maxphyaddr = shape.maxphyaddr;
  state.features.page1gb = shape.page1gb;
  state.features.la57 = shape.levels == 5;
  state.features.smep = state.features.smap = state.features.pku = state.features.pks = true;
  state.features.pcid = state.features.nx = true;
  auto on = [&](const z3::expr& e, std::uint64_t bit) { return eval_bool(m, e) ? bit : 0; };
  state.regs.cr0 = cr0::pe | cr0::pg | on(ctl.cr0_wp, cr0::wp);
  state.regs.cr4 = cr4::pae | on(ctl.cr4_pge, cr4::pge) | on(ctl.cr4_smep, cr4::smep) | on(ctl.cr4_smap, cr4::smap) |
                   on(ctl.cr4_pke, cr4::pke) | on(ctl.cr4_pks, cr4::pks) | (shape.levels == 5 ? cr4::la57 : 0);
  state.regs.efer = efer::lme | efer::lma | on(ctl.efer_nxe, efer::nxe);
  state.regs.rflags = 0x2 | on(ctl.rflags_ac, rflags::ac);
  state.regs.pkru = eval_u64(m, ctl.pkru);
  state.regs.pkrs = eval_u64(m, ctl.pkrs);
  state.regs.cr3 = eval_u64(m, cr3);
  request.linear = eval_u64(m, linear);
  request.kind = eval_bool(m, access.write) ? spec::AccessKind::write
                 : eval_bool(m, access.fetch) ? spec::AccessKind::fetch
                                              : spec::AccessKind::read;
  request.cpl = eval_bool(m, access.user) ? 3 : 0;
  request.implicit_supervisor = eval_bool(m, access.implicit);
}

void fill_memory(const z3::model& m, const SymbolicMemory& memory, model::MachineState& state) {
  for (const auto& r : memory.reads) {
    const std::uint64_t address = eval_u64(m, r.address);
    const std::uint64_t value = eval_u64(m, r.value);
    if (address >> state.features.maxphyaddr) continue;  // never read by a concrete walk
    state.memory.write64(address, value);
  }
}

}  // namespace vtspec::checker
