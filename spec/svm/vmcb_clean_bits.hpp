// VMCB clean bits (AMD64 APM Vol. 2 15.15.3): a 1 tells the processor that the VMM has not
// changed a group of VMCB fields since the last VMRUN of this VMCB on this processor, so it
// may use a copy it cached then instead of reading them. For translations that matters for
// two groups: NP (bit 4: nCR3 and G_PAT) and CRx (bit 5: CR0, CR3, CR4, EFER). The processor
// ignores the clean bits - reads every field - when this VMRUN's VMCB is not the one it last
// ran (a different physical address), so a stale value is possible only for the same VMCB.
// A VMM that changes a field and leaves its clean bit set therefore allows both the old and
// the new value: the model's allowed set is the union.
#pragma once

#include <cstdint>

namespace vtspec::spec::svm {

enum class CleanGroup : unsigned {
  intercepts = 0,  // I: the intercept vectors, TSC offset, pause filter
  iopm = 1,        // IOPM_BASE, MSRPM_BASE
  asid = 2,        // ASID
  tpr = 3,         // V_TPR, V_IRQ, ...
  nested_paging = 4,  // NP: nCR3, G_PAT
  control_registers = 5,  // CRx: CR0, CR3, CR4, EFER
  debug_registers = 6,
  descriptor_tables = 7,  // GDT, IDT
  segments = 8,
  cr2 = 9,
  lbr = 10,
  avic = 11,
};

// May this VMRUN use the value of `group` cached at the last VMRUN rather than the VMCB's?
constexpr bool may_use_cached(CleanGroup group, std::uint32_t clean_bits, bool same_vmcb_as_last_vmrun) {
  return same_vmcb_as_last_vmrun && ((clean_bits >> static_cast<unsigned>(group)) & 1u) != 0;
}

}  // namespace vtspec::spec::svm
