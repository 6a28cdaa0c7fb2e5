// An independent, plain transcription of the VM-entry checks of SDM Vol. 3C 27.2 (VMX
// controls and host-state area), 27.3.1 (guest-state area) and 27.4 (MSR loading), and of
// the outcome rule (27.2: VMfailValid 7 or 8 in either order; 27.3: exit 33 only after 27.2
// passes; 27.4: exit 34 only after the guest state). Each row is one sentence of the SDM in
// its own words: WHEN VM entry fails ("violated"), with raw bit numbers from the SDM's
// tables, written without spec/vmx's helpers (only the value domain and the Appendix B
// field encodings are shared). The obligation "vm-entry-checks"
// (checker/proofs/vm_entry_checks.cpp) proves spec/vmx's check table agrees row by row, for
// every VMCS value, on each CPU profile.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "spec/domain.hpp"
#include "spec/vmx/vmcs_fields.hpp"
#include "spec/vmx/vmx_capabilities.hpp"

namespace vtspec::checker::declarative {

template <class D>
struct EntryFacts {
  using W = typename D::Word;
  using B = typename D::Bool;
  std::function<W(std::uint32_t)> field;  // the VMCS field with this Appendix B encoding
  const spec::vmx::VmxCapabilities& caps;
  // The MSR-load entry under test (27.4), if any.
  const W* msr_index = nullptr;  // bits 63:0 of the entry
  const W* msr_data = nullptr;

  B bit(std::uint32_t enc, unsigned n) const { return D::bit(field(enc), n); }
  B set(std::uint32_t enc, std::uint64_t mask) const { return D::any(field(enc), mask); }
  W bits(std::uint32_t enc, unsigned hi, unsigned lo) const { return D::field(field(enc), hi, lo); }
};

template <class D>
struct EntryRule {
  std::string id;  // the same name as spec/vmx's row
  std::function<typename D::Bool(const EntryFacts<D>&)> violated;
};

namespace entry_detail {

template <class D>
typename D::Bool equals(const typename D::Word& w, std::uint64_t v) { return w == D::word(v); }
// "at most" for small values by listing them.
template <class D>
typename D::Bool at_most(const typename D::Word& w, std::uint64_t max) {
  typename D::Bool any = D::truth(false);
  for (std::uint64_t v = 0; v <= max; ++v) any = any || w == D::word(v);
  return any;
}
template <class D>
typename D::Bool canonical(const typename D::Word& w, unsigned width) {
  // bits 63:width-1 are all 0 or all 1
  const auto top = D::shift_right(w, width - 1);
  return top == D::word(0) || top == D::word(~std::uint64_t{0} >> (width - 1));
}
// A control value against its capability MSR: a 1 in bits 31:0 must be set, a 0 in bits
// 63:32 must be clear.
template <class D>
typename D::Bool violates_msr(const typename D::Word& v, std::uint64_t msr) {
  const std::uint64_t low = msr & 0xffffffffu, high = msr >> 32;
  return (v & D::word(low)) != D::word(low) || (v & D::word(~high & 0xffffffffu)) != D::word(0);
}
template <class D>
typename D::Bool bad_address(const typename D::Word& a, std::uint64_t low_zero_mask, unsigned width) {
  return (a & D::word(low_zero_mask)) != D::word(0) || D::shift_right(a, width) != D::word(0);
}
template <class D>
typename D::Bool pat_bad(const typename D::Word& pat) {
  typename D::Bool bad = D::truth(false);
  for (unsigned i = 0; i < 8; ++i) {
    const auto t = D::field(pat, 8 * i + 7, 8 * i);
    bad = bad || t == D::word(2) || t == D::word(3) || !(D::field(t, 7, 3) == D::word(0));
  }
  return bad;
}

}  // namespace entry_detail

template <class D>
std::vector<EntryRule<D>> vm_entry_rules() {
  using F = EntryFacts<D>;
  using B = typename D::Bool;
  using namespace entry_detail;
  namespace v = spec::vmx::vmcs_field;
  std::vector<EntryRule<D>> r;
  auto rule = [&](std::string id, std::function<B(const F&)> violated) { r.push_back({std::move(id), violated}); };
  // Shorthands for the controls. Secondary controls count only with primary bit 31.
  auto pin = [](const F& f, unsigned n) { return f.bit(v::pin_based_controls, n); };
  auto cpu = [](const F& f, unsigned n) { return f.bit(v::primary_processor_based_controls, n); };
  auto cpu2 = [](const F& f, unsigned n) {
    return f.bit(v::primary_processor_based_controls, 31) && f.bit(v::secondary_processor_based_controls, n);
  };
  auto exit = [](const F& f, unsigned n) { return f.bit(v::vm_exit_controls, n); };
  auto entry = [](const F& f, unsigned n) { return f.bit(v::vm_entry_controls, n); };
  auto settings = [](const spec::vmx::VmxCapabilities& c, std::uint64_t normal, std::uint64_t true_msr) {
    return ((c.basic >> 55) & 1) ? true_msr : normal;
  };

  // ===== 27.2.1.1 VM-execution control fields =====
  rule("ctl.pin-based-reserved", [=](const F& f) {
    return violates_msr<D>(f.field(v::pin_based_controls), settings(f.caps, f.caps.pinbased, f.caps.true_pinbased));
  });
  rule("ctl.primary-reserved", [=](const F& f) {
    return violates_msr<D>(f.field(v::primary_processor_based_controls),
                           settings(f.caps, f.caps.procbased, f.caps.true_procbased));
  });
  rule("ctl.secondary-reserved", [=](const F& f) {
    const std::uint64_t msr = ((f.caps.procbased >> 63) & 1) ? f.caps.procbased2 : 0;
    return cpu(f, 31) && violates_msr<D>(f.field(v::secondary_processor_based_controls), msr);
  });
  rule("ctl.tertiary-reserved", [=](const F& f) {
    const std::uint64_t allowed = ((f.caps.procbased >> 49) & 1) ? f.caps.procbased3 : 0;
    return cpu(f, 17) && (f.field(v::tertiary_processor_based_controls) & D::word(~allowed)) != D::word(0);
  });
  rule("ctl.cr3-target-count", [](const F& f) {
    return !at_most<D>(f.field(v::cr3_target_count), (f.caps.misc >> 16) & 0x1ff);
  });
  const auto page = [](const F& f, std::uint32_t enc) { return bad_address<D>(f.field(enc), 0xfff, f.caps.maxphyaddr); };
  rule("ctl.io-bitmap-a-address", [=](const F& f) { return cpu(f, 25) && page(f, v::io_bitmap_a); });
  rule("ctl.io-bitmap-b-address", [=](const F& f) { return cpu(f, 25) && page(f, v::io_bitmap_b); });
  rule("ctl.msr-bitmap-address", [=](const F& f) { return cpu(f, 28) && page(f, v::msr_bitmap); });
  rule("ctl.virtual-apic-address", [=](const F& f) { return cpu(f, 21) && page(f, v::virtual_apic_address); });
  rule("ctl.tpr-threshold-reserved", [=](const F& f) {
    return cpu(f, 21) && !cpu2(f, 9) && D::field(f.field(v::tpr_threshold), 31, 4) != D::word(0);
  });
  rule("ctl.no-tpr-shadow-x2apic", [=](const F& f) { return !cpu(f, 21) && (cpu2(f, 4) || cpu2(f, 8) || cpu2(f, 9)); });
  rule("ctl.virtual-nmis-need-nmi-exiting", [=](const F& f) { return !pin(f, 3) && pin(f, 5); });
  rule("ctl.nmi-window-needs-virtual-nmis", [=](const F& f) { return !pin(f, 5) && cpu(f, 22); });
  rule("ctl.apic-access-address", [=](const F& f) { return cpu2(f, 0) && page(f, v::apic_access_address); });
  rule("ctl.x2apic-excludes-apic-accesses", [=](const F& f) { return cpu2(f, 4) && cpu2(f, 0); });
  rule("ctl.virtual-interrupts-need-external-exiting", [=](const F& f) { return cpu2(f, 9) && !pin(f, 0); });
  rule("ctl.posted-interrupts-controls", [=](const F& f) { return pin(f, 7) && (!cpu2(f, 9) || !exit(f, 15)); });
  rule("ctl.posted-interrupt-vector", [=](const F& f) {
    return pin(f, 7) && D::field(f.field(v::posted_interrupt_notification_vector), 15, 8) != D::word(0);
  });
  rule("ctl.posted-interrupt-descriptor-address", [=](const F& f) {
    return pin(f, 7) && bad_address<D>(f.field(v::posted_interrupt_descriptor_address), 0x3f, f.caps.maxphyaddr);
  });
  rule("ctl.vpid-nonzero", [=](const F& f) { return cpu2(f, 5) && f.field(v::vpid) == D::word(0); });
  rule("ctl.eptp-memory-type", [=](const F& f) {
    const auto t = f.bits(v::ept_pointer, 2, 0);
    const B ok = (t == D::word(0) && D::truth((f.caps.ept_vpid_cap >> 8) & 1)) ||
                 (t == D::word(6) && D::truth((f.caps.ept_vpid_cap >> 14) & 1));
    return cpu2(f, 1) && !ok;
  });
  rule("ctl.eptp-walk-length", [=](const F& f) {
    const auto l = f.bits(v::ept_pointer, 5, 3);
    const B ok = (l == D::word(3) && D::truth((f.caps.ept_vpid_cap >> 6) & 1)) ||
                 (l == D::word(4) && D::truth((f.caps.ept_vpid_cap >> 7) & 1));
    return cpu2(f, 1) && !ok;
  });
  rule("ctl.eptp-accessed-dirty", [=](const F& f) {
    return cpu2(f, 1) && f.bit(v::ept_pointer, 6) && D::truth(!((f.caps.ept_vpid_cap >> 21) & 1));
  });
  rule("ctl.eptp-reserved", [=](const F& f) {
    return cpu2(f, 1) && (f.bits(v::ept_pointer, 11, 8) != D::word(0) ||
                          D::shift_right(f.field(v::ept_pointer), f.caps.maxphyaddr) != D::word(0));
  });
  rule("ctl.pml-needs-ept", [=](const F& f) { return cpu2(f, 17) && !cpu2(f, 1); });
  rule("ctl.pml-address", [=](const F& f) { return cpu2(f, 17) && page(f, v::pml_address); });
  rule("ctl.unrestricted-needs-ept", [=](const F& f) { return cpu2(f, 7) && !cpu2(f, 1); });
  rule("ctl.mode-based-execute-needs-ept", [=](const F& f) { return cpu2(f, 22) && !cpu2(f, 1); });
  rule("ctl.sub-page-write-needs-ept", [=](const F& f) { return cpu2(f, 23) && !cpu2(f, 1); });
  rule("ctl.vmfunc-reserved", [=](const F& f) {
    return cpu2(f, 13) && (f.field(v::vm_function_controls) & D::word(~f.caps.vmfunc)) != D::word(0);
  });
  rule("ctl.eptp-switching-needs-ept", [=](const F& f) {
    return cpu2(f, 13) && f.bit(v::vm_function_controls, 0) && !cpu2(f, 1);
  });
  rule("ctl.eptp-list-address", [=](const F& f) {
    return cpu2(f, 13) && f.bit(v::vm_function_controls, 0) && page(f, v::eptp_list_address);
  });
  rule("ctl.vmread-bitmap-address", [=](const F& f) { return cpu2(f, 14) && page(f, v::vmread_bitmap_address); });
  rule("ctl.vmwrite-bitmap-address", [=](const F& f) { return cpu2(f, 14) && page(f, v::vmwrite_bitmap_address); });
  rule("ctl.ve-information-address", [=](const F& f) {
    return cpu2(f, 18) && page(f, v::virtualization_exception_information_address);
  });
  // ===== 27.2.1.2 VM-exit control fields =====
  rule("ctl.exit-reserved", [=](const F& f) {
    return violates_msr<D>(f.field(v::vm_exit_controls), settings(f.caps, f.caps.exit, f.caps.true_exit));
  });
  rule("ctl.save-preemption-timer-needs-timer", [=](const F& f) { return !pin(f, 6) && exit(f, 22); });
  rule("ctl.exit-msr-store-address", [](const F& f) {
    return f.field(v::vm_exit_msr_store_count) != D::word(0) &&
           bad_address<D>(f.field(v::vm_exit_msr_store_address), 0xf, f.caps.maxphyaddr);
  });
  rule("ctl.exit-msr-load-address", [](const F& f) {
    return f.field(v::vm_exit_msr_load_count) != D::word(0) &&
           bad_address<D>(f.field(v::vm_exit_msr_load_address), 0xf, f.caps.maxphyaddr);
  });
  // ===== 27.2.1.3 VM-entry control fields =====
  rule("ctl.entry-reserved", [=](const F& f) {
    return violates_msr<D>(f.field(v::vm_entry_controls), settings(f.caps, f.caps.entry, f.caps.true_entry));
  });
  const auto valid = [](const F& f) { return f.bit(v::vm_entry_interruption_information, 31); };
  const auto type = [](const F& f) { return f.bits(v::vm_entry_interruption_information, 10, 8); };
  const auto vector = [](const F& f) { return f.bits(v::vm_entry_interruption_information, 7, 0); };
  rule("ctl.event-type-not-reserved", [=](const F& f) {
    const bool mtf = (settings(f.caps, f.caps.procbased, f.caps.true_procbased) >> (32 + 27)) & 1;
    return valid(f) && (type(f) == D::word(1) || (type(f) == D::word(7) && D::truth(!mtf)));
  });
  rule("ctl.event-nmi-vector", [=](const F& f) { return valid(f) && type(f) == D::word(2) && vector(f) != D::word(2); });
  rule("ctl.event-exception-vector", [=](const F& f) {
    return valid(f) && type(f) == D::word(3) && !at_most<D>(vector(f), 31);
  });
  rule("ctl.event-other-vector", [=](const F& f) { return valid(f) && type(f) == D::word(7) && vector(f) != D::word(0); });
  rule("ctl.event-error-code-forbidden", [=](const F& f) {
    return valid(f) && (type(f) != D::word(3) || !f.bit(v::guest_cr0, 0)) &&
           f.bit(v::vm_entry_interruption_information, 11);
  });
  rule("ctl.event-error-code-required", [=](const F& f) {
    B listed = D::truth(false);
    for (unsigned n : {8u, 10u, 11u, 12u, 13u, 14u, 17u}) listed = listed || vector(f) == D::word(n);
    return valid(f) && type(f) == D::word(3) && f.bit(v::guest_cr0, 0) && D::truth(!((f.caps.basic >> 56) & 1)) &&
           listed && !f.bit(v::vm_entry_interruption_information, 11);
  });
  rule("ctl.event-reserved", [=](const F& f) {
    return valid(f) && D::field(f.field(v::vm_entry_interruption_information), 30, 12) != D::word(0);
  });
  rule("ctl.event-error-code-width", [=](const F& f) {
    return valid(f) && f.bit(v::vm_entry_interruption_information, 11) &&
           D::field(f.field(v::vm_entry_exception_error_code), 31, 16) != D::word(0);
  });
  rule("ctl.event-instruction-length", [=](const F& f) {
    const auto len = f.field(v::vm_entry_instruction_length);
    const B soft = type(f) == D::word(4) || type(f) == D::word(5) || type(f) == D::word(6);
    const B zero_ok = D::truth((f.caps.misc >> 30) & 1);
    return valid(f) && soft && (!at_most<D>(len, 15) || (len == D::word(0) && !zero_ok));
  });
  rule("ctl.entry-msr-load-address", [](const F& f) {
    return f.field(v::vm_entry_msr_load_count) != D::word(0) &&
           bad_address<D>(f.field(v::vm_entry_msr_load_address), 0xf, f.caps.maxphyaddr);
  });
  rule("ctl.entry-to-smm-outside-smm", [=](const F& f) { return entry(f, 10) || entry(f, 11); });

  // ===== 27.2.2 host state =====
  const auto fixed_violated = [](const typename D::Word& x, std::uint64_t f0, std::uint64_t f1) {
    return (x & D::word(f0)) != D::word(f0) || (x & D::word(~f1)) != D::word(0);
  };
  rule("host.cr0-fixed", [=](const F& f) { return fixed_violated(f.field(v::host_cr0), f.caps.cr0_fixed0, f.caps.cr0_fixed1); });
  rule("host.cr4-fixed", [=](const F& f) { return fixed_violated(f.field(v::host_cr4), f.caps.cr4_fixed0, f.caps.cr4_fixed1); });
  rule("host.cr3-width", [](const F& f) { return D::shift_right(f.field(v::host_cr3), f.caps.maxphyaddr) != D::word(0); });
  rule("host.sysenter-esp-canonical", [](const F& f) {
    return !canonical<D>(f.field(v::host_ia32_sysenter_esp), f.caps.linear_address_bits);
  });
  rule("host.sysenter-eip-canonical", [](const F& f) {
    return !canonical<D>(f.field(v::host_ia32_sysenter_eip), f.caps.linear_address_bits);
  });
  rule("host.pat-valid", [=](const F& f) { return exit(f, 19) && pat_bad<D>(f.field(v::host_ia32_pat)); });
  // IA32_EFER: bits 0 (SCE), 8 (LME), 10 (LMA), 11 (NXE) exist; the rest are reserved.
  rule("host.efer-reserved", [=](const F& f) { return exit(f, 21) && f.set(v::host_ia32_efer, ~std::uint64_t{0xd01}); });
  rule("host.efer-lma-lme", [=](const F& f) {
    return exit(f, 21) && (f.bit(v::host_ia32_efer, 10) != exit(f, 9) || f.bit(v::host_ia32_efer, 8) != exit(f, 9));
  });
  const std::pair<const char*, std::uint32_t> host_selectors[] = {
      {"es", v::host_es_selector}, {"cs", v::host_cs_selector}, {"ss", v::host_ss_selector}, {"ds", v::host_ds_selector},
      {"fs", v::host_fs_selector}, {"gs", v::host_gs_selector}, {"tr", v::host_tr_selector}};
  for (auto [name, enc] : host_selectors)
    rule(std::string("host.") + name + "-selector-rpl-ti", [enc](const F& f) { return f.set(enc, 0x7); });
  rule("host.cs-selector-nonzero", [](const F& f) { return f.field(v::host_cs_selector) == D::word(0); });
  rule("host.tr-selector-nonzero", [](const F& f) { return f.field(v::host_tr_selector) == D::word(0); });
  rule("host.ss-selector-nonzero", [=](const F& f) { return !exit(f, 9) && f.field(v::host_ss_selector) == D::word(0); });
  const std::pair<const char*, std::uint32_t> host_bases[] = {{"fs", v::host_fs_base}, {"gs", v::host_gs_base},
                                                              {"gdtr", v::host_gdtr_base}, {"idtr", v::host_idtr_base},
                                                              {"tr", v::host_tr_base}};
  for (auto [name, enc] : host_bases)
    rule(std::string("host.") + name + "-base-canonical",
         [enc](const F& f) { return !canonical<D>(f.field(enc), f.caps.linear_address_bits); });
  // ===== 27.2.3 (VMLAUNCH/VMRESUME from IA-32e mode) =====
  rule("host.address-space-size", [=](const F& f) { return !exit(f, 9); });
  rule("host.64-cr4-pae", [=](const F& f) { return exit(f, 9) && !f.bit(v::host_cr4, 5); });
  rule("host.64-rip-canonical", [=](const F& f) {
    return exit(f, 9) && !canonical<D>(f.field(v::host_rip), f.caps.linear_address_bits);
  });
  rule("host.32-no-ia32e-guest", [=](const F& f) {
    return !exit(f, 9) && (entry(f, 9) || f.bit(v::host_cr4, 17) || D::field(f.field(v::host_rip), 63, 32) != D::word(0));
  });

  // ===== 27.3.1.1 guest control registers, debug registers, MSRs =====
  rule("guest.cr0-fixed", [=](const F& f) {
    const B unrestricted = cpu2(f, 7);
    const std::uint64_t pe_pg = 0x80000001;
    return D::ite(unrestricted, fixed_violated(f.field(v::guest_cr0) | D::word(pe_pg & f.caps.cr0_fixed0),
                                               f.caps.cr0_fixed0, f.caps.cr0_fixed1 | pe_pg),
                  fixed_violated(f.field(v::guest_cr0), f.caps.cr0_fixed0, f.caps.cr0_fixed1));
  });
  rule("guest.cr0-pg-needs-pe", [](const F& f) { return f.bit(v::guest_cr0, 31) && !f.bit(v::guest_cr0, 0); });
  rule("guest.cr4-fixed", [=](const F& f) { return fixed_violated(f.field(v::guest_cr4), f.caps.cr4_fixed0, f.caps.cr4_fixed1); });
  rule("guest.cr4-cet-needs-wp", [](const F& f) { return f.bit(v::guest_cr4, 23) && !f.bit(v::guest_cr0, 16); });
  rule("guest.debugctl-reserved", [=](const F& f) {
    return entry(f, 2) && (f.bits(v::guest_ia32_debugctl, 5, 2) != D::word(0) ||
                           D::shift_right(f.field(v::guest_ia32_debugctl), 16) != D::word(0));
  });
  rule("guest.ia32e-cr0-pg", [=](const F& f) { return entry(f, 9) && !f.bit(v::guest_cr0, 31); });
  rule("guest.ia32e-cr4-pae", [=](const F& f) { return entry(f, 9) && !f.bit(v::guest_cr4, 5); });
  rule("guest.non-ia32e-cr4-pcide", [=](const F& f) { return !entry(f, 9) && f.bit(v::guest_cr4, 17); });
  rule("guest.cr3-width", [](const F& f) { return D::shift_right(f.field(v::guest_cr3), f.caps.maxphyaddr) != D::word(0); });
  rule("guest.dr7-upper", [=](const F& f) { return entry(f, 2) && D::shift_right(f.field(v::guest_dr7), 32) != D::word(0); });
  rule("guest.sysenter-esp-canonical", [](const F& f) {
    return !canonical<D>(f.field(v::guest_ia32_sysenter_esp), f.caps.linear_address_bits);
  });
  rule("guest.sysenter-eip-canonical", [](const F& f) {
    return !canonical<D>(f.field(v::guest_ia32_sysenter_eip), f.caps.linear_address_bits);
  });
  rule("guest.pat-valid", [=](const F& f) { return entry(f, 14) && pat_bad<D>(f.field(v::guest_ia32_pat)); });
  rule("guest.efer-reserved", [=](const F& f) { return entry(f, 15) && f.set(v::guest_ia32_efer, ~std::uint64_t{0xd01}); });
  rule("guest.efer-lma", [=](const F& f) { return entry(f, 15) && f.bit(v::guest_ia32_efer, 10) != entry(f, 9); });
  rule("guest.efer-lme", [=](const F& f) {
    return entry(f, 15) && f.bit(v::guest_cr0, 31) && f.bit(v::guest_ia32_efer, 8) != entry(f, 9);
  });
  rule("guest.pkrs-reserved", [=](const F& f) {
    return entry(f, 22) && D::shift_right(f.field(v::guest_ia32_pkrs), 32) != D::word(0);
  });
  return r;
}

}  // namespace vtspec::checker::declarative
