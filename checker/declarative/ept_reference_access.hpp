// An independent transcription of how the guest-physical references of a two-dimensional
// walk are presented to EPT - the access kind checked (SDM Vol. 3C 29.3.3.2) and the
// Table 28-7 origin bits - as a table with one row per kind of reference. Compared with
// spec/ept_guest_reference.hpp by the obligation "ept-access-derivation", and used by
// "two-dimensional-composition" for its composed walk. Only the value domain is shared.
//
//   reference                      EPTP[6] (EPT A/D)   R  W  X   bit 0 open  bit 8
//   guest paging-entry read               0            1  0  0       no        0
//   guest paging-entry read               1            1  1  0       no        0   29.3.3.2: "treated as writes"
//   guest A/D update (locked RMW)         0            0  1  0       yes       0   note to Table 28-7 bit 0
//   guest A/D update (locked RMW)         1            1  1  0       no        0   29.3.5
//   final access, data read               -            1  0  0       no        1
//   final access, data write              -            0  1  0       no        1
//   final access, instruction fetch       -            0  0  1       no        1
#pragma once

#include "spec/domain.hpp"
#include "spec/ept_violation_qualification.hpp"  // EptAccessOrigin: a plain record
#include "spec/ept_walk.hpp"                     // EptAccess: a plain record

namespace vtspec::checker::declarative {

enum class GuestReference { entry_read, flag_update };

template <class D>
struct ReferencePresentation {
  spec::EptAccess<D> access;
  spec::EptAccessOrigin<D> origin;
};

template <class D>
ReferencePresentation<D> present_paging_structure_reference(GuestReference kind, const typename D::Word& eptp) {
  const typename D::Bool ept_ad = D::bit(eptp, 6);
  ReferencePresentation<D> p;
  p.origin.linear_valid = D::truth(true);
  p.origin.to_final_translation = D::truth(false);
  p.access.fetch = D::truth(false);
  p.access.linear_user = D::truth(false);
  if (kind == GuestReference::entry_read) {
    p.access.read = D::truth(true);
    p.access.write = D::ite(ept_ad, D::truth(true), D::truth(false));
    p.origin.read_modify_write = D::truth(false);
  } else {
    p.access.read = D::ite(ept_ad, D::truth(true), D::truth(false));
    p.access.write = D::truth(true);
    p.origin.read_modify_write = D::ite(ept_ad, D::truth(false), D::truth(true));
  }
  return p;
}

// The final access: `write`/`fetch` of the guest access; `user`, `writable`, `exec_disabled`
// of the guest's linear translation (Table 28-7 bits 9-11).
template <class D>
ReferencePresentation<D> present_final_access(const typename D::Bool& write, const typename D::Bool& fetch,
                                              const typename D::Bool& user, const typename D::Bool& writable,
                                              const typename D::Bool& exec_disabled) {
  ReferencePresentation<D> p;
  p.access.read = D::ite(write, D::truth(false), D::ite(fetch, D::truth(false), D::truth(true)));
  p.access.write = write;
  p.access.fetch = fetch;
  p.access.linear_user = user;
  p.origin.linear_valid = D::truth(true);
  p.origin.to_final_translation = D::truth(true);
  p.origin.read_modify_write = D::truth(false);
  p.origin.linear_writable = writable;
  p.origin.linear_exec_disabled = exec_disabled;
  return p;
}

}  // namespace vtspec::checker::declarative
