// What #VMEXIT does with processor state (AMD64 APM Vol. 2 15.6, "#VMEXIT"): it writes the
// guest's state back into the VMCB's state-save area - the subset VMRUN loaded from it - and
// reloads the host's from the host save area (VM_HSAVE_PA, 15.30.4), with a few registers
// forced. A VMM relies on both: the first to see what the guest did, the second to run on.
#pragma once

#include <array>
#include <cstdint>

#include "spec/svm/vmcb_layout.hpp"

namespace vtspec::spec::svm {

struct SavedField {
  const char* name;
  std::uint32_t offset;  // in the VMCB (Table B-2)
  unsigned bytes;
};

// 15.6: "the processor ... writes back to the VMCB the current guest state": the segment
// registers ES, CS, SS, DS, GDTR and IDTR, EFER, CR4, CR3, CR2, CR0, DR7, DR6, RFLAGS, RIP,
// RSP, RAX and the CPL (the segments, GDTR and IDTR are listed by their base words here).
inline constexpr std::array<SavedField, 17> kSavedAtVmexit = {{
    {"ES", vmcb::save_es, 16},   {"CS", vmcb::save_cs, 16},     {"SS", vmcb::save_ss, 16},     {"DS", vmcb::save_ds, 16},
    {"GDTR", vmcb::save_gdtr, 16}, {"IDTR", vmcb::save_idtr, 16}, {"CPL", vmcb::save_cpl, 1},  {"EFER", vmcb::save_efer, 8},
    {"CR4", vmcb::save_cr4, 8},  {"CR3", vmcb::save_cr3, 8},    {"CR2", vmcb::save_cr2, 8},    {"CR0", vmcb::save_cr0, 8},
    {"DR7", vmcb::save_dr7, 8},  {"DR6", vmcb::save_dr6, 8},    {"RFLAGS", vmcb::save_rflags, 8}, {"RIP", vmcb::save_rip, 8},
    {"RSP", vmcb::save_rsp, 8},
}};
// RAX is saved too (15.6) at save_rax; it is listed apart because VMRUN's own operand is the
// host's RAX, which the host save area restores.
inline constexpr SavedField kSavedRax = {"RAX", vmcb::save_rax, 8};

// 15.6: the host state restored from the host save area - GDTR, IDTR, EFER, CR0, CR4, CR3,
// RFLAGS, RIP, RSP, RAX, ES, CS, SS, DS - with CR0.PE forced to 1, the CPL to 0, DR7 cleared
// of every breakpoint, and the global interrupt flag cleared (GIF = 0). General registers
// other than RAX and RSP are not touched: they keep the guest's values.
inline constexpr std::array<const char*, 14> kRestoredAtVmexit = {
    "GDTR", "IDTR", "EFER", "CR0", "CR4", "CR3", "RFLAGS", "RIP", "RSP", "RAX", "ES", "CS", "SS", "DS"};

}  // namespace vtspec::spec::svm
