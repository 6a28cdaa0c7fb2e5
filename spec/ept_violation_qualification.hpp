// The exit qualification of a VM exit caused by an EPT violation, SDM Vol. 3C Table 28-7
// ("Exit Qualification for EPT Violations"), built from what the EPT walk found
// (spec/ept_walk.hpp: the access and the rights of the entries) and from facts the walk does
// not know: how the guest-physical access arose.
//
// Two steps, in the manner of tlb_invalidation.hpp:
//   walk_ept(...)                              -> EptWalk         (29.3.3.2: is it a violation)
//   ept_violation_qualification(caps, walk, o) -> ExitQualification (Table 28-7: how it is reported)
#pragma once

#include "spec/ept_walk.hpp"

namespace vtspec::spec {

// Table 28-7 bit positions.
namespace ept_qualification {
inline constexpr unsigned read = 0, write = 1, fetch = 2;
inline constexpr unsigned readable = 3, writable = 4, executable = 5, user_executable = 6;
inline constexpr unsigned linear_valid = 7, final_translation = 8;
inline constexpr unsigned linear_user = 9, linear_writable = 10, linear_exec_disabled = 11;
}  // namespace ept_qualification

// How the guest-physical access arose, as far as Table 28-7 reports it.
template <class D>
struct EptAccessOrigin {
  using B = typename D::Bool;
  // Bit 7: the guest-physical address came from translating a guest linear address (the
  // guest-linear-address field is valid).
  B linear_valid = D::truth(true);
  // Bit 8 (with bit 7): the access was to the linear address's final translation, not to a
  // guest paging-structure entry during its translation.
  B to_final_translation = D::truth(true);
  // A guest accessed/dirty-flag update without EPT A/D: a locked read-modify-write, so
  // bit 1 is set and bit 0 is implementation-specific (note to bit 0).
  B read_modify_write = D::truth(false);
  // Bits 10 and 11 (with the advanced-information capability): R/W and XD of the guest
  // linear translation. Bit 9, U/S, is EptAccess::linear_user, which the walk also uses.
  B linear_writable = D::truth(false);
  B linear_exec_disabled = D::truth(false);
};

template <class D>
struct ExitQualification {
  typename D::Word value;      // zero unless the walk is a violation
  typename D::Word undefined;  // bits whose value the SDM leaves to the implementation
};

template <class D>
ExitQualification<D> ept_violation_qualification(const EptCapabilities& caps, const EptWalk<D>& walk,
                                                 const EptAccessOrigin<D>& origin) {
  using W = typename D::Word;
  using B = typename D::Bool;
  namespace q = ept_qualification;
  const auto flag = [](const B& b, unsigned n) { return D::shift_left(D::from_bool(b), n); };
  const EptAccess<D>& access = walk.access;
  const EptRights<D>& rights = walk.rights;
  // Bits 2:0: the kind of access; bits 6:3: the AND of the entries' bits 0, 1, 2 and 10
  // (bit 6 is 0 unless mode-based execute control is in use).
  W value = flag(access.read, q::read) | flag(access.write, q::write) | flag(access.fetch, q::fetch);
  value = value | flag(rights.readable, q::readable) | flag(rights.writable, q::writable) |
          flag(rights.executable, q::executable);
  if (caps.mode_based_execute) value = value | flag(rights.user_executable, q::user_executable);
  // Bits 8:7: the origin; bit 8 is reported only with bit 7.
  const B final_linear = origin.linear_valid && origin.to_final_translation;
  value = value | flag(origin.linear_valid, q::linear_valid) | flag(final_linear, q::final_translation);
  // Bits 11:9, when IA32_VMX_EPT_VPID_CAP[22] reports advanced VM-exit information and the
  // access was to a linear address's final translation: U/S, R/W and XD of that translation.
  const B advanced = D::truth(caps.advanced_exit_info) && final_linear;
  value = value | flag(advanced && access.linear_user, q::linear_user) |
          flag(advanced && origin.linear_writable, q::linear_writable) |
          flag(advanced && origin.linear_exec_disabled, q::linear_exec_disabled);
  // Left open: bit 0 of a read-modify-write; bits 11:9 when bit 8 is clear (an access to a
  // guest paging-structure entry).
  const W rmw_read = D::ite(origin.read_modify_write, D::word(bit_at(q::read)), D::word(0));
  const W advanced_open = D::ite(origin.to_final_translation || !D::truth(caps.advanced_exit_info), D::word(0),
                                 D::word(bit_range(q::linear_exec_disabled, q::linear_user)));
  return {D::ite(walk.violation, value, D::word(0)), D::ite(walk.violation, rmw_read | advanced_open, D::word(0))};
}

}  // namespace vtspec::spec
