// The bits of the VMX control fields: SDM Vol. 3C 25.6.1 (pin-based, Table 25-5), 25.6.2
// (primary and secondary processor-based, Tables 25-6 and 25-7), 25.7.1 (VM-exit controls,
// Table 25-13), 25.8.1 (VM-entry controls, Table 25-15), 25.8.3 (VM-entry
// interruption-information field, Table 25-17) and 25.4.2 (guest non-register state).
// One definition each; the VM-entry checks, the field table and the model use these.
#pragma once

namespace vtspec::spec::vmx {

namespace pin {
inline constexpr unsigned external_interrupt_exiting = 0, nmi_exiting = 3, virtual_nmis = 5,
                          preemption_timer = 6, posted_interrupts = 7;
}
namespace proc {
inline constexpr unsigned interrupt_window = 2, tsc_offsetting = 3, hlt_exiting = 7, invlpg_exiting = 9,
                          cr3_load_exiting = 15, cr3_store_exiting = 16, activate_tertiary = 17,
                          use_tpr_shadow = 21, nmi_window = 22, use_io_bitmaps = 25, monitor_trap_flag = 27,
                          use_msr_bitmaps = 28, activate_secondary = 31;
}
namespace proc2 {
inline constexpr unsigned virtualize_apic_accesses = 0, enable_ept = 1, descriptor_table_exiting = 2,
                          virtualize_x2apic = 4, enable_vpid = 5, unrestricted_guest = 7,
                          apic_register_virtualization = 8, virtual_interrupt_delivery = 9, enable_invpcid = 12,
                          enable_vmfunc = 13, vmcs_shadowing = 14, enable_pml = 17, ept_violation_ve = 18,
                          mode_based_execute = 22, sub_page_write = 23, tsc_scaling = 25;
}
namespace exit_ctl {
inline constexpr unsigned save_debug_controls = 2, host_address_space_size = 9, load_perf_global_ctrl = 12,
                          acknowledge_interrupt = 15, save_pat = 18, load_pat = 19, save_efer = 20, load_efer = 21,
                          save_preemption_timer = 22, load_cet = 28, load_pkrs = 29;
}
namespace entry_ctl {
inline constexpr unsigned load_debug_controls = 2, ia32e_mode_guest = 9, entry_to_smm = 10,
                          deactivate_dual_monitor = 11, load_perf_global_ctrl = 13, load_pat = 14, load_efer = 15,
                          load_bndcfgs = 16, load_cet = 20, load_pkrs = 22;
}
// VM-entry interruption-information field (Table 25-17).
namespace interruption {
inline constexpr unsigned valid = 31, deliver_error_code = 11;
inline constexpr unsigned type_external = 0, type_reserved = 1, type_nmi = 2, type_hardware_exception = 3,
                          type_software_interrupt = 4, type_privileged_software_exception = 5,
                          type_software_exception = 6, type_other = 7;
}
// Guest interruptibility state (Table 25-3) and activity state (25.4.2).
namespace interruptibility {
inline constexpr unsigned sti = 0, mov_ss = 1, smi = 2, nmi = 3, enclave = 4;
}
namespace activity {
inline constexpr unsigned active = 0, hlt = 1, shutdown = 2, wait_for_sipi = 3;
}

}  // namespace vtspec::spec::vmx
