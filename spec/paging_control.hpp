// The run-time inputs of a linear-address translation: control-register bits, PKRU/PKRS and
// the access being made. Fields are domain values so that proofs can quantify over them.
#pragma once

#include "spec/domain.hpp"

namespace vtspec::spec {

template <class D>
struct PagingControl {
  using B = typename D::Bool;
  using W = typename D::Word;
  B cr0_wp = D::truth(true);
  B cr4_pge = D::truth(false);
  B cr4_smep = D::truth(false);
  B cr4_smap = D::truth(false);
  B cr4_pke = D::truth(false);
  B cr4_pks = D::truth(false);
  B efer_nxe = D::truth(true);
  B rflags_ac = D::truth(false);
  W pkru = D::word(0);
  W pkrs = D::word(0);  // IA32_PKRS, supervisor protection keys (SDM 4.6.2)
};

enum class AccessKind : std::uint8_t { read, write, fetch };

// SDM 4.6: an access is user-mode when CPL = 3 and it is not an implicit supervisor-mode
// access (a GDT/LDT/IDT/TSS reference, shadow-stack push on delivery, ...), and
// supervisor-mode otherwise. SMAP treats implicit accesses differently from explicit ones,
// so both facts are carried.
template <class D>
struct Access {
  using B = typename D::Bool;
  B write = D::truth(false);
  B fetch = D::truth(false);
  B user = D::truth(false);      // CPL = 3 and not implicit
  B implicit = D::truth(false);  // implicit supervisor-mode access

  static Access make(AccessKind kind, unsigned cpl, bool implicit_supervisor = false) {
    Access a;
    a.write = D::truth(kind == AccessKind::write);
    a.fetch = D::truth(kind == AccessKind::fetch);
    a.user = D::truth(cpl == 3 && !implicit_supervisor);
    a.implicit = D::truth(implicit_supervisor);
    return a;
  }
};

}  // namespace vtspec::spec
