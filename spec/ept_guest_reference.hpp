// How each guest-physical reference of a two-dimensional walk is presented to EPT: the kind
// of access the EPT rights are checked against (SDM Vol. 3C 29.3.3.2) and how it arose, for
// the Table 28-7 qualification of a violation. Two kinds of reference exist:
//   * guest paging-structure references (entry reads and accessed/dirty updates, 29.3.1);
//   * the access to the final guest-physical address of the linear address.
#pragma once

#include "spec/ept_violation_qualification.hpp"
#include "spec/ept_walk.hpp"
#include "spec/paging_access_rights.hpp"

namespace vtspec::spec {

// One guest-physical reference: the access EPT checks and how it arose.
template <class D>
struct EptReference {
  EptAccess<D> access;
  EptAccessOrigin<D> origin;
};

// A guest paging-structure reference: an entry read (`update` false) or the locked
// read-modify-write of an accessed/dirty update (`update` true).
// 29.3.3.2 / 29.3.5: "If the enable accessed and dirty flags for EPT VM-execution control is
// 1, processor accesses to guest paging-structure entries are treated as writes" (EPTP bit 6);
// a violation on one then reports bits 0 and 1 (Table 28-7). Without it an entry read is a
// read, and an A/D update is a write reported with bit 1 and an implementation-specific
// bit 0 (the note to Table 28-7 bit 0). Bit 8 is clear: not the final translation.
template <class D>
EptReference<D> paging_structure_reference(const typename D::Word& eptp, bool update) {
  EptReference<D> r;
  const typename D::Bool ad = D::bit(eptp, eptp::accessed_dirty);
  r.access.read = update ? ad : D::truth(true);
  r.access.write = update ? D::truth(true) : ad;
  r.origin.read_modify_write = update ? !ad : D::truth(false);
  r.origin.to_final_translation = D::truth(false);
  return r;
}

// The access to the final guest-physical address: the guest access's kind (a read unless a
// write or fetch), from the final translation of a valid linear address whose rights give
// Table 28-7 bits 11:9.
template <class D>
EptReference<D> final_translation_reference(const Access<D>& access, const CombinedRights<D>& linear) {
  EptReference<D> r;
  r.access.read = !access.write && !access.fetch;
  r.access.write = access.write;
  r.access.fetch = access.fetch;
  r.access.linear_user = linear.user;
  r.origin.linear_writable = linear.writable;
  r.origin.linear_exec_disabled = linear.exec_disabled;
  return r;
}

}  // namespace vtspec::spec
