// The checks on each entry of the VM-entry MSR-load area, SDM Vol. 3C 27.4 ("Loading MSRs"):
// entries are processed in order (from the first), after the guest state is loaded; the
// first entry that fails a check ends the VM entry with a VM-entry failure, exit reason 34,
// and the exit qualification is that entry's number counting from 1 (vm_entry_outcome.hpp).
// The MSRs whose WRMSR #GP conditions are transcribed are IA32_EFER and IA32_PAT (Vol. 4);
// other indices pass that check.
#pragma once

#include "spec/vmx/vm_entry_host_state_checks.hpp"

namespace vtspec::spec::vmx {

namespace msr {
inline constexpr std::uint32_t smm_monitor_ctl = 0x9b, pat = 0x277, efer = 0xc0000080, fs_base = 0xc0000100,
                               gs_base = 0xc0000101;
}

template <class D>
std::vector<EntryCheck<D>> vm_entry_msr_load_checks() {
  using In = EntryInput<D>;
  using B = typename D::Bool;
  EntryCheckList<D> list{EntryCheckClass::msr_load};
  auto add = [&](const char* id, const char* rule, B (*holds)(const In&, unsigned)) {
    list.add(id, "SDM Vol. 3C 27.4", rule,
             [](const In& in, unsigned) -> B { return D::truth(in.msr_entry != nullptr); }, holds);
  };
  add("msr.not-fs-gs-base", "the MSR index (bits 31:0) is not C0000100H (IA32_FS_BASE) or C0000101H (IA32_GS_BASE)",
      [](const In& in, unsigned) -> B {
        const auto i = D::field(in.msr_entry->index_and_reserved, 31, 0);
        return i != D::word(msr::fs_base) && i != D::word(msr::gs_base);
      });
  add("msr.not-x2apic", "bits 31:8 of the MSR index are not 000008H (an x2APIC register)",
      [](const In& in, unsigned) -> B { return D::field(in.msr_entry->index_and_reserved, 31, 8) != D::word(8); });
  add("msr.not-smm-only", "the MSR is not one writable only in SMM (IA32_SMM_MONITOR_CTL, 9BH): VM entry is not in SMM",
      [](const In& in, unsigned) -> B {
        return D::field(in.msr_entry->index_and_reserved, 31, 0) != D::word(msr::smm_monitor_ctl);
      });
  add("msr.reserved", "bits 63:32 of the entry are 0",
      [](const In& in, unsigned) -> B { return !D::any(in.msr_entry->index_and_reserved, bit_range(63, 32)); });
  add("msr.wrmsr-would-fault", "WRMSR of the data at CPL 0 would not #GP (IA32_EFER reserved bits, IA32_PAT types)",
      [](const In& in, unsigned) -> B {
        const auto i = D::field(in.msr_entry->index_and_reserved, 31, 0);
        const auto& v = in.msr_entry->data;
        return (i != D::word(msr::efer) || !D::any(v, ~kEferDefined)) && (i != D::word(msr::pat) || pat_valid<D>(v));
      });
  return list.rows;
}

}  // namespace vtspec::spec::vmx
