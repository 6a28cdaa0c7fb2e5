// The checks on the host-state area, SDM Vol. 3C 27.2.2 (host control registers and MSRs,
// host segment and descriptor-table registers) and 27.2.3 (address-space size). The
// logical processor executing VMLAUNCH/VMRESUME is in IA-32e mode (the model's VMM is
// 64-bit). A failure is VMfailValid(8) (vm_entry_outcome.hpp).
#pragma once

#include "spec/control_registers.hpp"
#include "spec/vmx/vm_entry_check.hpp"

namespace vtspec::spec::vmx {

// The segment registers in VMCS order (25.4.1, the encodings' index order): ES, CS, SS, DS,
// FS, GS, LDTR, TR. The host-state area has no LDTR.
enum Segment : unsigned { es = 0, cs, ss, ds, fs, gs, ldtr, tr };
inline constexpr const char* kSegmentNames[] = {"ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR"};

constexpr std::uint32_t host_selector(unsigned s) {
  return s == tr ? vmcs_field::host_tr_selector : vmcs_field::host_es_selector + 2 * s;
}

// A valid IA32_PAT value: every byte is a memory type 0, 1, 4, 5, 6 or 7 (Vol. 3A 11.12.2;
// checked on VM entry for "load IA32_PAT", 27.2.2 and 27.3.1.1).
template <class D>
typename D::Bool pat_valid(const typename D::Word& pat) {
  typename D::Bool ok = D::truth(true);
  for (unsigned i = 0; i < 8; ++i) {
    const auto t = D::field(pat, 8 * i + 7, 8 * i);
    ok = ok && t != D::word(2) && t != D::word(3) && D::field(t, 7, 3) == D::word(0);
  }
  return ok;
}

// IA32_EFER bits that exist (Vol. 4 IA32_EFER): SCE, LME, LMA, NXE.
inline constexpr std::uint64_t kEferDefined = efer::sce | efer::lme | efer::lma | efer::nxe;

template <class D>
std::vector<EntryCheck<D>> vm_entry_host_state_checks() {
  using In = EntryInput<D>;
  using B = typename D::Bool;
  const auto always = nullptr;
  EntryCheckList<D> list{EntryCheckClass::host_state};
  auto add = [&](const char* id, const char* sdm, const char* rule, auto applies, auto holds, unsigned param = 0) {
    list.add(id, sdm, rule, applies, holds, param);
  };
  // ---- 27.2.2 control registers and MSRs ----
  add("host.cr0-fixed", "SDM Vol. 3C 27.2.2, A.7",
      "the host CR0 has every bit set that IA32_VMX_CR0_FIXED0 requires and none that IA32_VMX_CR0_FIXED1 forbids",
      always, [](const In& in, unsigned) -> B {
        return fixed_bits_respected<D>(in[vmcs_field::host_cr0], in.caps.cr0_fixed0, in.caps.cr0_fixed1);
      });
  add("host.cr4-fixed", "SDM Vol. 3C 27.2.2, A.8",
      "the host CR4 has every bit set that IA32_VMX_CR4_FIXED0 requires and none that IA32_VMX_CR4_FIXED1 forbids",
      always, [](const In& in, unsigned) -> B {
        return fixed_bits_respected<D>(in[vmcs_field::host_cr4], in.caps.cr4_fixed0, in.caps.cr4_fixed1);
      });
  add("host.cr3-width", "SDM Vol. 3C 27.2.2",
      "the host CR3 sets no bit in 63:52 nor in 51:32 beyond the physical-address width", always,
      [](const In& in, unsigned) -> B {
        return !D::any(in[vmcs_field::host_cr3], bit_range(63, in.caps.maxphyaddr));
      });
  add("host.sysenter-esp-canonical", "SDM Vol. 3C 27.2.2", "the host IA32_SYSENTER_ESP is canonical", always,
      [](const In& in, unsigned) -> B {
        return canonical<D>(in[vmcs_field::host_ia32_sysenter_esp], in.caps.linear_address_bits);
      });
  add("host.sysenter-eip-canonical", "SDM Vol. 3C 27.2.2", "the host IA32_SYSENTER_EIP is canonical", always,
      [](const In& in, unsigned) -> B {
        return canonical<D>(in[vmcs_field::host_ia32_sysenter_eip], in.caps.linear_address_bits);
      });
  add("host.pat-valid", "SDM Vol. 3C 27.2.2",
      "with \"load IA32_PAT\" (exit control 19), every byte of the host IA32_PAT is a valid memory type (0, 1, 4-7)",
      [](const In& in, unsigned) -> B { return in.exit(exit_ctl::load_pat); },
      [](const In& in, unsigned) -> B { return pat_valid<D>(in[vmcs_field::host_ia32_pat]); });
  add("host.efer-reserved", "SDM Vol. 3C 27.2.2",
      "with \"load IA32_EFER\" (exit control 21), the reserved bits of the host IA32_EFER are 0",
      [](const In& in, unsigned) -> B { return in.exit(exit_ctl::load_efer); },
      [](const In& in, unsigned) -> B { return !D::any(in[vmcs_field::host_ia32_efer], ~kEferDefined); });
  add("host.efer-lma-lme", "SDM Vol. 3C 27.2.2",
      "with \"load IA32_EFER\", host IA32_EFER.LMA and LME each equal the \"host address-space size\" control",
      [](const In& in, unsigned) -> B { return in.exit(exit_ctl::load_efer); },
      [](const In& in, unsigned) -> B {
        const auto e = in[vmcs_field::host_ia32_efer];
        return D::any(e, efer::lma) == in.host_64() && D::any(e, efer::lme) == in.host_64();
      });
  // ---- 27.2.2 segment and descriptor-table registers ----
  static constexpr const char* selector_ids[] = {"host.es-selector-rpl-ti", "host.cs-selector-rpl-ti",
                                                 "host.ss-selector-rpl-ti", "host.ds-selector-rpl-ti",
                                                 "host.fs-selector-rpl-ti", "host.gs-selector-rpl-ti", nullptr,
                                                 "host.tr-selector-rpl-ti"};
  for (unsigned s : {es, cs, ss, ds, fs, gs, tr})
    add(selector_ids[s], "SDM Vol. 3C 27.2.2",
        "the RPL (bits 1:0) and TI flag (bit 2) of the host selector are 0", always,
        [](const In& in, unsigned seg) -> B { return !D::any(in[host_selector(seg)], 7); }, s);
  add("host.cs-selector-nonzero", "SDM Vol. 3C 27.2.2", "the host CS selector is not 0000H", always,
      [](const In& in, unsigned) -> B { return in[vmcs_field::host_cs_selector] != D::word(0); });
  add("host.tr-selector-nonzero", "SDM Vol. 3C 27.2.2", "the host TR selector is not 0000H", always,
      [](const In& in, unsigned) -> B { return in[vmcs_field::host_tr_selector] != D::word(0); });
  add("host.ss-selector-nonzero", "SDM Vol. 3C 27.2.2",
      "with \"host address-space size\" = 0, the host SS selector is not 0000H",
      [](const In& in, unsigned) -> B { return !in.host_64(); },
      [](const In& in, unsigned) -> B { return in[vmcs_field::host_ss_selector] != D::word(0); });
  static constexpr struct {
    const char* id;
    std::uint32_t field;
  } bases[] = {{"host.fs-base-canonical", vmcs_field::host_fs_base},
               {"host.gs-base-canonical", vmcs_field::host_gs_base},
               {"host.gdtr-base-canonical", vmcs_field::host_gdtr_base},
               {"host.idtr-base-canonical", vmcs_field::host_idtr_base},
               {"host.tr-base-canonical", vmcs_field::host_tr_base}};
  for (const auto& b : bases)
    add(b.id, "SDM Vol. 3C 27.2.2", "the host FS, GS, GDTR, IDTR and TR base addresses are canonical", always,
        [](const In& in, unsigned field) -> B { return canonical<D>(in[field], in.caps.linear_address_bits); },
        b.field);
  // ---- 27.2.3 address-space size (the processor is in IA-32e mode) ----
  add("host.address-space-size", "SDM Vol. 3C 27.2.3",
      "the logical processor is in IA-32e mode, so \"host address-space size\" is 1", always,
      [](const In& in, unsigned) -> B { return in.host_64(); });
  add("host.64-cr4-pae", "SDM Vol. 3C 27.2.3", "with \"host address-space size\" = 1, host CR4.PAE is 1",
      [](const In& in, unsigned) -> B { return in.host_64(); },
      [](const In& in, unsigned) -> B { return D::any(in[vmcs_field::host_cr4], cr4::pae); });
  add("host.64-rip-canonical", "SDM Vol. 3C 27.2.3", "with \"host address-space size\" = 1, the host RIP is canonical",
      [](const In& in, unsigned) -> B { return in.host_64(); },
      [](const In& in, unsigned) -> B { return canonical<D>(in[vmcs_field::host_rip], in.caps.linear_address_bits); });
  add("host.32-no-ia32e-guest", "SDM Vol. 3C 27.2.3",
      "with \"host address-space size\" = 0, \"IA-32e mode guest\" is 0, host CR4.PCIDE is 0 and host RIP bits "
      "63:32 are 0",
      [](const In& in, unsigned) -> B { return !in.host_64(); },
      [](const In& in, unsigned) -> B {
        return !in.ia32e_guest() && !D::any(in[vmcs_field::host_cr4], cr4::pcide) &&
               !D::any(in[vmcs_field::host_rip], bit_range(63, 32));
      });
  return list.rows;
}

}  // namespace vtspec::spec::vmx
