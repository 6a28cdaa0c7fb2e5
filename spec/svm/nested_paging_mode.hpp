// The regime of the nested (second-level) walk under AMD nested paging: AMD64 APM Vol. 2
// 15.25.3-15.25.5 ("Nested Paging", "Nested Page Tables", "Nested Table Walk").
//
// The nested page tables have the ordinary long-mode page-table format (APM Vol. 2 5.3),
// rooted at nCR3 (VMCB offset 0B0h). Their paging mode is the host's at VMRUN: the number of
// levels follows the host's CR4.LA57, and bit 63 (NX) of a nested entry is NX when the
// host's EFER.NXE = 1 and reserved otherwise. So the nested walk *is* spec/'s IA-32e walk
// (paging_walk.hpp), run with the nested rules below as parameters; no third walker.
#pragma once

#include "spec/paging_walk.hpp"

namespace vtspec::spec::svm {

struct NestedPagingMode {
  unsigned levels = 4;       // 5 when the host ran with CR4.LA57 = 1
  unsigned maxphyaddr = 48;  // the host's MAXPHYADDR
  bool page1gb = true;       // CPUID Fn8000_0001_EDX[Page1GB]: 1-GByte nested pages
  bool nxe = true;           // the host's EFER.NXE at VMRUN

  PagingShape shape() const {
    PagingShape s;
    s.levels = levels;
    s.maxphyaddr = maxphyaddr;
    s.page1gb = page1gb;
    return s;
  }
};

// The control bits of a nested walk. Every nested access is a user access (15.25.5), so
// CR0.WP, SMEP and SMAP do not decide anything; protection keys are not part of the nested
// regime (the host's CR4.PKE does not reach it), and only the host's EFER.NXE matters.
template <class D>
PagingControl<D> nested_control(const NestedPagingMode& mode) {
  PagingControl<D> c;
  c.cr0_wp = D::truth(true);
  c.cr4_smep = D::truth(false);
  c.cr4_smap = D::truth(false);
  c.cr4_pke = D::truth(false);
  c.cr4_pks = D::truth(false);
  c.efer_nxe = D::truth(mode.nxe);
  return c;
}

// Which guest-physical reference a nested translation serves.
enum class NestedStage : std::uint8_t {
  guest_table,    // a guest page-table entry read, or its accessed/dirty update
  final_address,  // the guest-physical address the guest walk produced
};

// The access the nested walk checks (15.25.5): every nested access is a user access. A
// guest page-table access - read or A/D update - is checked as a user *write*, since the
// processor may write the guest's A/D bits through it (the APM's rule as KVM's
// paging_tmpl.h "nested_access" and QEMU's ptw_translate both implement it); the final
// access keeps the guest access's kind.
template <class D>
Access<D> nested_access(NestedStage stage, const Access<D>& guest) {
  Access<D> a;
  a.user = D::truth(true);
  a.implicit = D::truth(false);
  if (stage == NestedStage::guest_table) {
    a.write = D::truth(true);
    a.fetch = D::truth(false);
  } else {
    a.write = guest.write;
    a.fetch = guest.fetch;
  }
  return a;
}

}  // namespace vtspec::spec::svm
