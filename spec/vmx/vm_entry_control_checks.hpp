// The checks on the VMX controls, SDM Vol. 3C 27.2.1: VM-execution control fields
// (27.2.1.1), VM-exit control fields (27.2.1.2), VM-entry control fields (27.2.1.3). A
// failure is VMfailValid(7) (vm_entry_outcome.hpp).
#pragma once

#include "spec/ept_pointer.hpp"
#include "spec/vmx/vm_entry_check.hpp"

namespace vtspec::spec::vmx {

namespace detail {

// param of an address row: the field's encoding in bits 15:0, its alignment (number of low
// bits that must be 0) in bits 23:16.
constexpr unsigned address_param(std::uint32_t encoding, unsigned align_bits) { return encoding | (align_bits << 16); }

template <class D>
typename D::Bool address_row_holds(const EntryInput<D>& in, unsigned p) {
  return physical_address_ok<D>(in[p & 0xffff], p >> 16, in.caps.maxphyaddr);
}

template <class D>
typename D::Bool interruption_valid(const EntryInput<D>& in) {
  return in.bit(vmcs_field::vm_entry_interruption_information, interruption::valid);
}
template <class D>
typename D::Word interruption_type(const EntryInput<D>& in) {
  return D::field(in[vmcs_field::vm_entry_interruption_information], 10, 8);
}
template <class D>
typename D::Word interruption_vector(const EntryInput<D>& in) {
  return D::field(in[vmcs_field::vm_entry_interruption_information], 7, 0);
}

}  // namespace detail

template <class D>
std::vector<EntryCheck<D>> vm_entry_control_checks() {
  using In = EntryInput<D>;
  using B = typename D::Bool;
  using detail::address_param;
  const auto always = nullptr;
  EntryCheckList<D> list{EntryCheckClass::control};
  auto add = [&](const char* id, const char* sdm, const char* rule, auto applies, auto holds, unsigned param = 0) {
    list.add(id, sdm, rule, applies, holds, param);
  };
  auto address = [&](const char* id, const char* rule, B (*applies)(const In&, unsigned), std::uint32_t field,
                     unsigned align) {
    add(id, "SDM Vol. 3C 27.2.1.1", rule, applies, detail::address_row_holds<D>, address_param(field, align));
  };

  // ---- 27.2.1.1 VM-execution control fields ----
  add("ctl.pin-based-reserved", "SDM Vol. 3C 27.2.1.1, A.3.1",
      "reserved bits of the pin-based VM-execution controls are set as IA32_VMX_(TRUE_)PINBASED_CTLS requires", always,
      [](const In& in, unsigned) -> B {
        return control_respects<D>(in[vmcs_field::pin_based_controls], in.caps.pinbased_settings());
      });
  add("ctl.primary-reserved", "SDM Vol. 3C 27.2.1.1, A.3.2",
      "reserved bits of the primary processor-based controls are set as IA32_VMX_(TRUE_)PROCBASED_CTLS requires",
      always, [](const In& in, unsigned) -> B {
        return control_respects<D>(in[vmcs_field::primary_processor_based_controls], in.caps.procbased_settings());
      });
  add("ctl.secondary-reserved", "SDM Vol. 3C 27.2.1.1, A.3.3",
      "with \"activate secondary controls\" = 1, reserved bits of the secondary controls are set as "
      "IA32_VMX_PROCBASED_CTLS2 requires",
      [](const In& in, unsigned) -> B { return in.proc(proc::activate_secondary); },
      [](const In& in, unsigned) -> B {
        return control_respects<D>(in[vmcs_field::secondary_processor_based_controls],
                                   in.caps.procbased2_settings());
      });
  add("ctl.tertiary-reserved", "SDM Vol. 3C 27.2.1.1, A.3.4",
      "with \"activate tertiary controls\" = 1, no tertiary control is set that IA32_VMX_PROCBASED_CTLS3 does not "
      "allow",
      [](const In& in, unsigned) -> B { return in.proc(proc::activate_tertiary); },
      [](const In& in, unsigned) -> B {
        return !D::any(in[vmcs_field::tertiary_processor_based_controls], ~in.caps.procbased3_allowed1());
      });
  add("ctl.cr3-target-count", "SDM Vol. 3C 27.2.1.1, A.6",
      "the CR3-target count is not greater than IA32_VMX_MISC[24:16] (4 on processors so far)", always,
      [](const In& in, unsigned) -> B {
        return small_le<D>(in[vmcs_field::cr3_target_count], D::word(in.caps.cr3_target_values()));
      });
  address("ctl.io-bitmap-a-address", "with \"use I/O bitmaps\", the I/O-bitmap A address is 4-KByte aligned and "
          "within the physical-address width",
          [](const In& in, unsigned) -> B { return in.proc(proc::use_io_bitmaps); }, vmcs_field::io_bitmap_a, 12);
  address("ctl.io-bitmap-b-address", "with \"use I/O bitmaps\", the I/O-bitmap B address is 4-KByte aligned and "
          "within the physical-address width",
          [](const In& in, unsigned) -> B { return in.proc(proc::use_io_bitmaps); }, vmcs_field::io_bitmap_b, 12);
  address("ctl.msr-bitmap-address", "with \"use MSR bitmaps\", the MSR-bitmap address is 4-KByte aligned and within "
          "the physical-address width",
          [](const In& in, unsigned) -> B { return in.proc(proc::use_msr_bitmaps); }, vmcs_field::msr_bitmap, 12);
  address("ctl.virtual-apic-address", "with \"use TPR shadow\", the virtual-APIC address is 4-KByte aligned and "
          "within the physical-address width",
          [](const In& in, unsigned) -> B { return in.proc(proc::use_tpr_shadow); }, vmcs_field::virtual_apic_address,
          12);
  add("ctl.tpr-threshold-reserved", "SDM Vol. 3C 27.2.1.1",
      "with \"use TPR shadow\" and \"virtual-interrupt delivery\" = 0, bits 31:4 of the TPR threshold are 0",
      [](const In& in, unsigned) -> B {
        return in.proc(proc::use_tpr_shadow) && !in.proc2(proc2::virtual_interrupt_delivery);
      },
      [](const In& in, unsigned) -> B { return !D::any(in[vmcs_field::tpr_threshold], bit_range(31, 4)); });
  add("ctl.no-tpr-shadow-x2apic", "SDM Vol. 3C 27.2.1.1",
      "with \"use TPR shadow\" = 0, \"virtualize x2APIC mode\", \"APIC-register virtualization\" and "
      "\"virtual-interrupt delivery\" are 0",
      [](const In& in, unsigned) -> B { return !in.proc(proc::use_tpr_shadow); },
      [](const In& in, unsigned) -> B {
        return !in.proc2(proc2::virtualize_x2apic) && !in.proc2(proc2::apic_register_virtualization) &&
               !in.proc2(proc2::virtual_interrupt_delivery);
      });
  add("ctl.virtual-nmis-need-nmi-exiting", "SDM Vol. 3C 27.2.1.1",
      "with \"NMI exiting\" = 0, \"virtual NMIs\" is 0",
      [](const In& in, unsigned) -> B { return !in.pin(pin::nmi_exiting); },
      [](const In& in, unsigned) -> B { return !in.pin(pin::virtual_nmis); });
  add("ctl.nmi-window-needs-virtual-nmis", "SDM Vol. 3C 27.2.1.1",
      "with \"virtual NMIs\" = 0, \"NMI-window exiting\" is 0",
      [](const In& in, unsigned) -> B { return !in.pin(pin::virtual_nmis); },
      [](const In& in, unsigned) -> B { return !in.proc(proc::nmi_window); });
  address("ctl.apic-access-address", "with \"virtualize APIC accesses\", the APIC-access address is 4-KByte aligned "
          "and within the physical-address width",
          [](const In& in, unsigned) -> B { return in.proc2(proc2::virtualize_apic_accesses); },
          vmcs_field::apic_access_address, 12);
  add("ctl.x2apic-excludes-apic-accesses", "SDM Vol. 3C 27.2.1.1",
      "with \"virtualize x2APIC mode\" = 1, \"virtualize APIC accesses\" is 0",
      [](const In& in, unsigned) -> B { return in.proc2(proc2::virtualize_x2apic); },
      [](const In& in, unsigned) -> B { return !in.proc2(proc2::virtualize_apic_accesses); });
  add("ctl.virtual-interrupts-need-external-exiting", "SDM Vol. 3C 27.2.1.1",
      "with \"virtual-interrupt delivery\" = 1, \"external-interrupt exiting\" is 1",
      [](const In& in, unsigned) -> B { return in.proc2(proc2::virtual_interrupt_delivery); },
      [](const In& in, unsigned) -> B { return in.pin(pin::external_interrupt_exiting); });
  add("ctl.posted-interrupts-controls", "SDM Vol. 3C 27.2.1.1",
      "with \"process posted interrupts\" = 1, \"virtual-interrupt delivery\" and \"acknowledge interrupt on exit\" "
      "are 1",
      [](const In& in, unsigned) -> B { return in.pin(pin::posted_interrupts); },
      [](const In& in, unsigned) -> B {
        return in.proc2(proc2::virtual_interrupt_delivery) && in.exit(exit_ctl::acknowledge_interrupt);
      });
  add("ctl.posted-interrupt-vector", "SDM Vol. 3C 27.2.1.1",
      "with \"process posted interrupts\" = 1, bits 15:8 of the posted-interrupt notification vector are 0",
      [](const In& in, unsigned) -> B { return in.pin(pin::posted_interrupts); },
      [](const In& in, unsigned) -> B {
        return !D::any(in[vmcs_field::posted_interrupt_notification_vector], bit_range(15, 8));
      });
  address("ctl.posted-interrupt-descriptor-address", "with \"process posted interrupts\" = 1, the posted-interrupt "
          "descriptor address is 64-byte aligned and within the physical-address width",
          [](const In& in, unsigned) -> B { return in.pin(pin::posted_interrupts); },
          vmcs_field::posted_interrupt_descriptor_address, 6);
  add("ctl.vpid-nonzero", "SDM Vol. 3C 27.2.1.1", "with \"enable VPID\" = 1, the VPID is not 0000H",
      [](const In& in, unsigned) -> B { return in.proc2(proc2::enable_vpid); },
      [](const In& in, unsigned) -> B { return in[vmcs_field::vpid] != D::word(0); });
  // The EPTP rules themselves are spec/ept_pointer.hpp's, against the EPT features of the
  // capability MSRs (ept_capabilities, A.10).
  add("ctl.eptp-memory-type", "SDM Vol. 3C 27.2.1.1, 25.6.11, A.10",
      "with \"enable EPT\" = 1, the EPTP memory type (bits 2:0) is one IA32_VMX_EPT_VPID_CAP supports (UC bit 8, WB "
      "bit 14)",
      [](const In& in, unsigned) -> B { return in.proc2(proc2::enable_ept); },
      [](const In& in, unsigned) -> B {
        return eptp_memory_type_supported<D>(in[vmcs_field::ept_pointer], ept_capabilities(in.caps));
      });
  add("ctl.eptp-walk-length", "SDM Vol. 3C 27.2.1.1, 25.6.11, A.10",
      "with \"enable EPT\" = 1, bits 5:3 of the EPTP (walk length - 1) are 3 (4-level, cap bit 6) or 4 (5-level, cap "
      "bit 7)",
      [](const In& in, unsigned) -> B { return in.proc2(proc2::enable_ept); },
      [](const In& in, unsigned) -> B {
        return eptp_walk_length_supported<D>(in[vmcs_field::ept_pointer], ept_capabilities(in.caps));
      });
  add("ctl.eptp-accessed-dirty", "SDM Vol. 3C 27.2.1.1, 25.6.11, A.10",
      "with \"enable EPT\" = 1, EPTP bit 6 (A/D flags) is 0 unless IA32_VMX_EPT_VPID_CAP bit 21 is 1",
      [](const In& in, unsigned) -> B { return in.proc2(proc2::enable_ept); },
      [](const In& in, unsigned) -> B {
        return eptp_accessed_dirty_supported<D>(in[vmcs_field::ept_pointer], ept_capabilities(in.caps));
      });
  add("ctl.eptp-reserved", "SDM Vol. 3C 27.2.1.1, 25.6.11",
      "with \"enable EPT\" = 1, EPTP bits 11:8 and the bits beyond the physical-address width are 0",
      [](const In& in, unsigned) -> B { return in.proc2(proc2::enable_ept); },
      [](const In& in, unsigned) -> B {
        return eptp_reserved_bits_clear<D>(in[vmcs_field::ept_pointer], ept_capabilities(in.caps));
      });
  add("ctl.pml-needs-ept", "SDM Vol. 3C 27.2.1.1", "with \"enable PML\" = 1, \"enable EPT\" is 1",
      [](const In& in, unsigned) -> B { return in.proc2(proc2::enable_pml); },
      [](const In& in, unsigned) -> B { return in.proc2(proc2::enable_ept); });
  address("ctl.pml-address", "with \"enable PML\" = 1, the PML address is 4-KByte aligned and within the "
          "physical-address width",
          [](const In& in, unsigned) -> B { return in.proc2(proc2::enable_pml); }, vmcs_field::pml_address, 12);
  add("ctl.unrestricted-needs-ept", "SDM Vol. 3C 27.2.1.1", "with \"unrestricted guest\" = 1, \"enable EPT\" is 1",
      [](const In& in, unsigned) -> B { return in.proc2(proc2::unrestricted_guest); },
      [](const In& in, unsigned) -> B { return in.proc2(proc2::enable_ept); });
  add("ctl.mode-based-execute-needs-ept", "SDM Vol. 3C 27.2.1.1",
      "with \"mode-based execute control for EPT\" = 1, \"enable EPT\" is 1",
      [](const In& in, unsigned) -> B { return in.proc2(proc2::mode_based_execute); },
      [](const In& in, unsigned) -> B { return in.proc2(proc2::enable_ept); });
  add("ctl.sub-page-write-needs-ept", "SDM Vol. 3C 27.2.1.1",
      "with \"sub-page write permissions for EPT\" = 1, \"enable EPT\" is 1",
      [](const In& in, unsigned) -> B { return in.proc2(proc2::sub_page_write); },
      [](const In& in, unsigned) -> B { return in.proc2(proc2::enable_ept); });
  add("ctl.vmfunc-reserved", "SDM Vol. 3C 27.2.1.1, A.11",
      "with \"enable VM functions\" = 1, no VM-function control is set that IA32_VMX_VMFUNC does not allow",
      [](const In& in, unsigned) -> B { return in.proc2(proc2::enable_vmfunc); },
      [](const In& in, unsigned) -> B { return !D::any(in[vmcs_field::vm_function_controls], ~in.caps.vmfunc); });
  add("ctl.eptp-switching-needs-ept", "SDM Vol. 3C 27.2.1.1",
      "with \"enable VM functions\" and EPTP switching (VM-function control bit 0), \"enable EPT\" is 1",
      [](const In& in, unsigned) -> B {
        return in.proc2(proc2::enable_vmfunc) && D::bit(in[vmcs_field::vm_function_controls], 0);
      },
      [](const In& in, unsigned) -> B { return in.proc2(proc2::enable_ept); });
  address("ctl.eptp-list-address", "with EPTP switching enabled, the EPTP-list address is 4-KByte aligned and within "
          "the physical-address width",
          [](const In& in, unsigned) -> B {
            return in.proc2(proc2::enable_vmfunc) && D::bit(in[vmcs_field::vm_function_controls], 0);
          },
          vmcs_field::eptp_list_address, 12);
  address("ctl.vmread-bitmap-address", "with \"VMCS shadowing\" = 1, the VMREAD-bitmap address is 4-KByte aligned "
          "and within the physical-address width",
          [](const In& in, unsigned) -> B { return in.proc2(proc2::vmcs_shadowing); },
          vmcs_field::vmread_bitmap_address, 12);
  address("ctl.vmwrite-bitmap-address", "with \"VMCS shadowing\" = 1, the VMWRITE-bitmap address is 4-KByte aligned "
          "and within the physical-address width",
          [](const In& in, unsigned) -> B { return in.proc2(proc2::vmcs_shadowing); },
          vmcs_field::vmwrite_bitmap_address, 12);
  address("ctl.ve-information-address", "with \"EPT-violation #VE\" = 1, the virtualization-exception information "
          "address is 4-KByte aligned and within the physical-address width",
          [](const In& in, unsigned) -> B { return in.proc2(proc2::ept_violation_ve); },
          vmcs_field::virtualization_exception_information_address, 12);

  // ---- 27.2.1.2 VM-exit control fields ----
  add("ctl.exit-reserved", "SDM Vol. 3C 27.2.1.2, A.4",
      "reserved bits of the VM-exit controls are set as IA32_VMX_(TRUE_)EXIT_CTLS requires", always,
      [](const In& in, unsigned) -> B {
        return control_respects<D>(in[vmcs_field::vm_exit_controls], in.caps.exit_settings());
      });
  add("ctl.save-preemption-timer-needs-timer", "SDM Vol. 3C 27.2.1.2",
      "with \"activate VMX-preemption timer\" = 0, \"save VMX-preemption timer value\" is 0",
      [](const In& in, unsigned) -> B { return !in.pin(pin::preemption_timer); },
      [](const In& in, unsigned) -> B { return !in.exit(exit_ctl::save_preemption_timer); });
  address("ctl.exit-msr-store-address", "with a nonzero VM-exit MSR-store count, the VM-exit MSR-store address is "
          "16-byte aligned and within the physical-address width",
          [](const In& in, unsigned) -> B { return in[vmcs_field::vm_exit_msr_store_count] != D::word(0); },
          vmcs_field::vm_exit_msr_store_address, 4);
  address("ctl.exit-msr-load-address", "with a nonzero VM-exit MSR-load count, the VM-exit MSR-load address is "
          "16-byte aligned and within the physical-address width",
          [](const In& in, unsigned) -> B { return in[vmcs_field::vm_exit_msr_load_count] != D::word(0); },
          vmcs_field::vm_exit_msr_load_address, 4);

  // ---- 27.2.1.3 VM-entry control fields ----
  add("ctl.entry-reserved", "SDM Vol. 3C 27.2.1.3, A.5",
      "reserved bits of the VM-entry controls are set as IA32_VMX_(TRUE_)ENTRY_CTLS requires", always,
      [](const In& in, unsigned) -> B {
        return control_respects<D>(in[vmcs_field::vm_entry_controls], in.caps.entry_settings());
      });
  add("ctl.event-type-not-reserved", "SDM Vol. 3C 27.2.1.3",
      "with a valid VM-entry interruption-information field, the interruption type is not 1 (reserved) and is 7 "
      "(other event) only if the \"monitor trap flag\" control may be 1",
      [](const In& in, unsigned) -> B { return detail::interruption_valid(in); },
      [](const In& in, unsigned) -> B {
        const auto t = detail::interruption_type(in);
        return t != D::word(interruption::type_reserved) &&
               (t != D::word(interruption::type_other) ||
                D::truth(VmxCapabilities::may_be_1(in.caps.procbased_settings(), proc::monitor_trap_flag)));
      });
  add("ctl.event-nmi-vector", "SDM Vol. 3C 27.2.1.3",
      "an injected NMI (type 2) has vector 2",
      [](const In& in, unsigned) -> B {
        return detail::interruption_valid(in) && detail::interruption_type(in) == D::word(interruption::type_nmi);
      },
      [](const In& in, unsigned) -> B { return detail::interruption_vector(in) == D::word(2); });
  add("ctl.event-exception-vector", "SDM Vol. 3C 27.2.1.3",
      "an injected hardware exception (type 3) has a vector of at most 31",
      [](const In& in, unsigned) -> B {
        return detail::interruption_valid(in) &&
               detail::interruption_type(in) == D::word(interruption::type_hardware_exception);
      },
      [](const In& in, unsigned) -> B { return small_le<D>(detail::interruption_vector(in), D::word(31)); });
  add("ctl.event-other-vector", "SDM Vol. 3C 27.2.1.3",
      "an injected other event (type 7) has vector 0 (pending MTF VM exit)",
      [](const In& in, unsigned) -> B {
        return detail::interruption_valid(in) && detail::interruption_type(in) == D::word(interruption::type_other);
      },
      [](const In& in, unsigned) -> B { return detail::interruption_vector(in) == D::word(0); });
  add("ctl.event-error-code-forbidden", "SDM Vol. 3C 27.2.1.3",
      "the deliver-error-code bit (11) is 0 if the type is not hardware exception or guest CR0.PE is 0",
      [](const In& in, unsigned) -> B {
        return detail::interruption_valid(in) &&
               (detail::interruption_type(in) != D::word(interruption::type_hardware_exception) ||
                !D::bit(in[vmcs_field::guest_cr0], 0));
      },
      [](const In& in, unsigned) -> B {
        return !in.bit(vmcs_field::vm_entry_interruption_information, interruption::deliver_error_code);
      });
  add("ctl.event-error-code-required", "SDM Vol. 3C 27.2.1.3",
      "the deliver-error-code bit is 1 for a hardware exception with guest CR0.PE = 1, IA32_VMX_BASIC[56] = 0 and "
      "vector #DF, #TS, #NP, #SS, #GP, #PF or #AC (8, 10-14, 17)",
      [](const In& in, unsigned) -> B {
        const auto v = detail::interruption_vector(in);
        return detail::interruption_valid(in) &&
               detail::interruption_type(in) == D::word(interruption::type_hardware_exception) &&
               D::bit(in[vmcs_field::guest_cr0], 0) && D::truth(!in.caps.basic_bit(basic_bits::no_error_code_check)) &&
               (v == D::word(8) || v == D::word(10) || v == D::word(11) || v == D::word(12) || v == D::word(13) ||
                v == D::word(14) || v == D::word(17));
      },
      [](const In& in, unsigned) -> B {
        return in.bit(vmcs_field::vm_entry_interruption_information, interruption::deliver_error_code);
      });
  add("ctl.event-reserved", "SDM Vol. 3C 27.2.1.3",
      "bits 30:12 of a valid VM-entry interruption-information field are 0",
      [](const In& in, unsigned) -> B { return detail::interruption_valid(in); },
      [](const In& in, unsigned) -> B {
        return !D::any(in[vmcs_field::vm_entry_interruption_information], bit_range(30, 12));
      });
  add("ctl.event-error-code-width", "SDM Vol. 3C 27.2.1.3",
      "with deliver-error-code = 1, bits 31:16 of the VM-entry exception error code are 0",
      [](const In& in, unsigned) -> B {
        return detail::interruption_valid(in) &&
               in.bit(vmcs_field::vm_entry_interruption_information, interruption::deliver_error_code);
      },
      [](const In& in, unsigned) -> B {
        return !D::any(in[vmcs_field::vm_entry_exception_error_code], bit_range(31, 16));
      });
  add("ctl.event-instruction-length", "SDM Vol. 3C 27.2.1.3, A.6",
      "for a software interrupt or (privileged) software exception (types 4-6), the VM-entry instruction length is "
      "1-15 (0 allowed if IA32_VMX_MISC[30])",
      [](const In& in, unsigned) -> B {
        const auto t = detail::interruption_type(in);
        return detail::interruption_valid(in) &&
               (t == D::word(interruption::type_software_interrupt) ||
                t == D::word(interruption::type_privileged_software_exception) ||
                t == D::word(interruption::type_software_exception));
      },
      [](const In& in, unsigned) -> B {
        const auto len = in[vmcs_field::vm_entry_instruction_length];
        return small_le<D>(len, D::word(15)) &&
               (len != D::word(0) || D::truth(in.caps.misc_bit(misc_bits::inject_zero_length)));
      });
  address("ctl.entry-msr-load-address", "with a nonzero VM-entry MSR-load count, the VM-entry MSR-load address is "
          "16-byte aligned and within the physical-address width",
          [](const In& in, unsigned) -> B { return in[vmcs_field::vm_entry_msr_load_count] != D::word(0); },
          vmcs_field::vm_entry_msr_load_address, 4);
  add("ctl.entry-to-smm-outside-smm", "SDM Vol. 3C 27.2.1.3",
      "outside SMM (the model never is in SMM), \"entry to SMM\" and \"deactivate dual-monitor treatment\" are 0",
      always, [](const In& in, unsigned) -> B {
        return !in.entry(entry_ctl::entry_to_smm) && !in.entry(entry_ctl::deactivate_dual_monitor);
      });
  return list.rows;
}

}  // namespace vtspec::spec::vmx
