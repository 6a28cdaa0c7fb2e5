// The VMCS field encodings of SDM Vol. 3C Appendix B ("Field Encoding in VMCS"), each with
// its name and the capability that makes it exist; width and type come from the encoding
// itself (SDM Vol. 3C 25.11.2, "VMREAD, VMWRITE, and Encodings of VMCS Fields", Table
// 25-21 "Structure of VMCS Component Encoding"):
//   bit 0      access type (0 = full, 1 = high: bits 63:32 of a 64-bit field)
//   bits 9:1   index
//   bits 11:10 type (0 control, 1 VM-exit information = read-only data, 2 guest state,
//              3 host state)
//   bit 12     reserved (0)
//   bits 14:13 width (0 16-bit, 1 64-bit, 2 32-bit, 3 natural width)
//   bits 31:15 reserved (0)
//
// "Exists" follows Appendix B's notes ("This field exists only on processors that support
// the 1-setting of the ... control"): the capability is an allowed-1 bit of a VMX control
// capability MSR (Appendix A.3-A.5, A.3.3 for the secondary and A.3.4 for the tertiary
// controls), a bit of IA32_VMX_EPT_VPID_CAP (A.10) or IA32_VMX_VMFUNC (A.11), or
// IA32_VMX_BASIC bit 49 (dual-monitor treatment, A.1). A field that two controls make
// exist (e.g. guest IA32_PAT: "load IA32_PAT" VM-entry or "save IA32_PAT" VM-exit) names
// both.
//
// One definition: the list below (VTSPEC_VMCS_FIELDS) gives the constants in
// vmcs_field:: and the table vmcs_field_table().
//
// Not listed (not yet needed, and their existence conditions were not transcribed): guest
// and host UINV, PASID directory addresses, the instruction-timeout control, the IPI and
// HLAT fields beyond those below, Intel PT/ENCLS/ENCLV-specific fields other than those
// named, and the secondary VM-exit controls' dependent fields.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace vtspec::spec::vmx {

// Which capability MSR a field's existence depends on.
enum class CapabilityMsr : std::uint8_t {
  none,        // always exists
  pinbased,    // IA32_VMX_(TRUE_)PINBASED_CTLS allowed-1 bit (A.3.1)
  procbased,   // IA32_VMX_(TRUE_)PROCBASED_CTLS allowed-1 bit (A.3.2)
  procbased2,  // IA32_VMX_PROCBASED_CTLS2 allowed-1 bit (A.3.3)
  procbased3,  // IA32_VMX_PROCBASED_CTLS3 bit (A.3.4; a 64-bit allowed-1 MSR)
  exit,        // IA32_VMX_(TRUE_)EXIT_CTLS allowed-1 bit (A.4)
  entry,       // IA32_VMX_(TRUE_)ENTRY_CTLS allowed-1 bit (A.5)
  vmfunc,      // IA32_VMX_VMFUNC bit (A.11)
  basic,       // IA32_VMX_BASIC bit (A.1)
};

struct FieldCapability {
  CapabilityMsr msr = CapabilityMsr::none;
  unsigned bit = 0;
};

enum class FieldWidth : std::uint8_t { bits16 = 0, bits64 = 1, bits32 = 2, natural = 3 };
enum class FieldType : std::uint8_t { control = 0, read_only = 1, guest = 2, host = 3 };

// X(name, encoding, capability msr, bit, alternative msr, bit)
#define VTSPEC_VMCS_FIELDS(X)                                                              \
  /* B.1.1 16-bit control fields */                                                          \
  X(vpid, 0x0000, procbased2, 5, none, 0)                                                    \
  X(posted_interrupt_notification_vector, 0x0002, pinbased, 7, none, 0)                      \
  X(eptp_index, 0x0004, procbased2, 18, none, 0)                                             \
  X(hlat_prefix_size, 0x0006, procbased3, 1, none, 0)                                        \
  X(last_pid_pointer_index, 0x0008, procbased3, 4, none, 0)                                  \
  /* B.1.2 16-bit guest-state fields */                                                      \
  X(guest_es_selector, 0x0800, none, 0, none, 0)                                             \
  X(guest_cs_selector, 0x0802, none, 0, none, 0)                                             \
  X(guest_ss_selector, 0x0804, none, 0, none, 0)                                             \
  X(guest_ds_selector, 0x0806, none, 0, none, 0)                                             \
  X(guest_fs_selector, 0x0808, none, 0, none, 0)                                             \
  X(guest_gs_selector, 0x080a, none, 0, none, 0)                                             \
  X(guest_ldtr_selector, 0x080c, none, 0, none, 0)                                           \
  X(guest_tr_selector, 0x080e, none, 0, none, 0)                                             \
  X(guest_interrupt_status, 0x0810, procbased2, 9, none, 0)                                  \
  X(pml_index, 0x0812, procbased2, 17, none, 0)                                              \
  /* B.1.3 16-bit host-state fields */                                                       \
  X(host_es_selector, 0x0c00, none, 0, none, 0)                                              \
  X(host_cs_selector, 0x0c02, none, 0, none, 0)                                              \
  X(host_ss_selector, 0x0c04, none, 0, none, 0)                                              \
  X(host_ds_selector, 0x0c06, none, 0, none, 0)                                              \
  X(host_fs_selector, 0x0c08, none, 0, none, 0)                                              \
  X(host_gs_selector, 0x0c0a, none, 0, none, 0)                                              \
  X(host_tr_selector, 0x0c0c, none, 0, none, 0)                                              \
  /* B.2.1 64-bit control fields */                                                          \
  X(io_bitmap_a, 0x2000, none, 0, none, 0)                                                   \
  X(io_bitmap_b, 0x2002, none, 0, none, 0)                                                   \
  X(msr_bitmap, 0x2004, procbased, 28, none, 0)                                              \
  X(vm_exit_msr_store_address, 0x2006, none, 0, none, 0)                                     \
  X(vm_exit_msr_load_address, 0x2008, none, 0, none, 0)                                      \
  X(vm_entry_msr_load_address, 0x200a, none, 0, none, 0)                                     \
  /* Table B-4 gives the executive-VMCS pointer no existence condition (unlike the fields */ \
  /* around it): it exists on every VMX processor, dual-monitor treatment or not. A field */  \
  /* test on Bochs found the condition once written here (docs/bochs-divergences.md). */      \
  X(executive_vmcs_pointer, 0x200c, none, 0, none, 0)                                        \
  X(pml_address, 0x200e, procbased2, 17, none, 0)                                            \
  X(tsc_offset, 0x2010, none, 0, none, 0)                                                    \
  X(virtual_apic_address, 0x2012, procbased, 21, none, 0)                                    \
  X(apic_access_address, 0x2014, procbased2, 0, none, 0)                                     \
  X(posted_interrupt_descriptor_address, 0x2016, pinbased, 7, none, 0)                       \
  X(vm_function_controls, 0x2018, procbased2, 13, none, 0)                                   \
  X(ept_pointer, 0x201a, procbased2, 1, none, 0)                                             \
  X(eoi_exit_bitmap_0, 0x201c, procbased2, 9, none, 0)                                       \
  X(eoi_exit_bitmap_1, 0x201e, procbased2, 9, none, 0)                                       \
  X(eoi_exit_bitmap_2, 0x2020, procbased2, 9, none, 0)                                       \
  X(eoi_exit_bitmap_3, 0x2022, procbased2, 9, none, 0)                                       \
  X(eptp_list_address, 0x2024, vmfunc, 0, none, 0)                                           \
  X(vmread_bitmap_address, 0x2026, procbased2, 14, none, 0)                                  \
  X(vmwrite_bitmap_address, 0x2028, procbased2, 14, none, 0)                                 \
  X(virtualization_exception_information_address, 0x202a, procbased2, 18, none, 0)          \
  X(xss_exiting_bitmap, 0x202c, procbased2, 20, none, 0)                                     \
  X(encls_exiting_bitmap, 0x202e, procbased2, 15, none, 0)                                   \
  X(sub_page_permission_table_pointer, 0x2030, procbased2, 23, none, 0)                      \
  X(tsc_multiplier, 0x2032, procbased2, 25, none, 0)                                         \
  X(tertiary_processor_based_controls, 0x2034, procbased, 17, none, 0)                       \
  X(enclv_exiting_bitmap, 0x2036, procbased2, 28, none, 0)                                   \
  X(hlat_pointer, 0x2040, procbased3, 1, none, 0)                                            \
  X(pid_pointer_table_address, 0x2042, procbased3, 4, none, 0)                               \
  /* B.2.2 64-bit read-only data field */                                                    \
  X(guest_physical_address, 0x2400, procbased2, 1, none, 0)                                  \
  /* B.2.3 64-bit guest-state fields */                                                      \
  X(vmcs_link_pointer, 0x2800, none, 0, none, 0)                                             \
  X(guest_ia32_debugctl, 0x2802, none, 0, none, 0)                                           \
  X(guest_ia32_pat, 0x2804, entry, 14, exit, 18)                                             \
  X(guest_ia32_efer, 0x2806, entry, 15, exit, 20)                                            \
  X(guest_ia32_perf_global_ctrl, 0x2808, entry, 13, none, 0)                                 \
  X(guest_pdpte0, 0x280a, procbased2, 1, none, 0)                                            \
  X(guest_pdpte1, 0x280c, procbased2, 1, none, 0)                                            \
  X(guest_pdpte2, 0x280e, procbased2, 1, none, 0)                                            \
  X(guest_pdpte3, 0x2810, procbased2, 1, none, 0)                                            \
  X(guest_ia32_bndcfgs, 0x2812, entry, 16, exit, 23)                                         \
  X(guest_ia32_rtit_ctl, 0x2814, entry, 18, exit, 25)                                        \
  X(guest_ia32_lbr_ctl, 0x2816, entry, 21, exit, 26)                                         \
  X(guest_ia32_pkrs, 0x2818, entry, 22, exit, 29)                                            \
  /* B.2.4 64-bit host-state fields */                                                       \
  X(host_ia32_pat, 0x2c00, exit, 19, none, 0)                                                \
  X(host_ia32_efer, 0x2c02, exit, 21, none, 0)                                               \
  X(host_ia32_perf_global_ctrl, 0x2c04, exit, 12, none, 0)                                   \
  X(host_ia32_pkrs, 0x2c06, exit, 29, none, 0)                                               \
  /* B.3.1 32-bit control fields */                                                          \
  X(pin_based_controls, 0x4000, none, 0, none, 0)                                            \
  X(primary_processor_based_controls, 0x4002, none, 0, none, 0)                              \
  X(exception_bitmap, 0x4004, none, 0, none, 0)                                              \
  X(page_fault_error_code_mask, 0x4006, none, 0, none, 0)                                    \
  X(page_fault_error_code_match, 0x4008, none, 0, none, 0)                                   \
  X(cr3_target_count, 0x400a, none, 0, none, 0)                                              \
  X(vm_exit_controls, 0x400c, none, 0, none, 0)                                              \
  X(vm_exit_msr_store_count, 0x400e, none, 0, none, 0)                                       \
  X(vm_exit_msr_load_count, 0x4010, none, 0, none, 0)                                        \
  X(vm_entry_controls, 0x4012, none, 0, none, 0)                                             \
  X(vm_entry_msr_load_count, 0x4014, none, 0, none, 0)                                       \
  X(vm_entry_interruption_information, 0x4016, none, 0, none, 0)                             \
  X(vm_entry_exception_error_code, 0x4018, none, 0, none, 0)                                 \
  X(vm_entry_instruction_length, 0x401a, none, 0, none, 0)                                   \
  X(tpr_threshold, 0x401c, procbased, 21, none, 0)                                           \
  X(secondary_processor_based_controls, 0x401e, procbased, 31, none, 0)                      \
  X(ple_gap, 0x4020, procbased2, 10, none, 0)                                                \
  X(ple_window, 0x4022, procbased2, 10, none, 0)                                             \
  /* B.3.2 32-bit read-only data fields */                                                   \
  X(vm_instruction_error, 0x4400, none, 0, none, 0)                                          \
  X(exit_reason, 0x4402, none, 0, none, 0)                                                   \
  X(vm_exit_interruption_information, 0x4404, none, 0, none, 0)                              \
  X(vm_exit_interruption_error_code, 0x4406, none, 0, none, 0)                               \
  X(idt_vectoring_information, 0x4408, none, 0, none, 0)                                     \
  X(idt_vectoring_error_code, 0x440a, none, 0, none, 0)                                      \
  X(vm_exit_instruction_length, 0x440c, none, 0, none, 0)                                    \
  X(vm_exit_instruction_information, 0x440e, none, 0, none, 0)                               \
  /* B.3.3 32-bit guest-state fields */                                                      \
  X(guest_es_limit, 0x4800, none, 0, none, 0)                                                \
  X(guest_cs_limit, 0x4802, none, 0, none, 0)                                                \
  X(guest_ss_limit, 0x4804, none, 0, none, 0)                                                \
  X(guest_ds_limit, 0x4806, none, 0, none, 0)                                                \
  X(guest_fs_limit, 0x4808, none, 0, none, 0)                                                \
  X(guest_gs_limit, 0x480a, none, 0, none, 0)                                                \
  X(guest_ldtr_limit, 0x480c, none, 0, none, 0)                                              \
  X(guest_tr_limit, 0x480e, none, 0, none, 0)                                                \
  X(guest_gdtr_limit, 0x4810, none, 0, none, 0)                                              \
  X(guest_idtr_limit, 0x4812, none, 0, none, 0)                                              \
  X(guest_es_access_rights, 0x4814, none, 0, none, 0)                                        \
  X(guest_cs_access_rights, 0x4816, none, 0, none, 0)                                        \
  X(guest_ss_access_rights, 0x4818, none, 0, none, 0)                                        \
  X(guest_ds_access_rights, 0x481a, none, 0, none, 0)                                        \
  X(guest_fs_access_rights, 0x481c, none, 0, none, 0)                                        \
  X(guest_gs_access_rights, 0x481e, none, 0, none, 0)                                        \
  X(guest_ldtr_access_rights, 0x4820, none, 0, none, 0)                                      \
  X(guest_tr_access_rights, 0x4822, none, 0, none, 0)                                        \
  X(guest_interruptibility_state, 0x4824, none, 0, none, 0)                                  \
  X(guest_activity_state, 0x4826, none, 0, none, 0)                                          \
  X(guest_smbase, 0x4828, none, 0, none, 0)                                                  \
  X(guest_ia32_sysenter_cs, 0x482a, none, 0, none, 0)                                        \
  X(vmx_preemption_timer_value, 0x482e, pinbased, 6, none, 0)                                \
  /* B.3.4 32-bit host-state field */                                                        \
  X(host_ia32_sysenter_cs, 0x4c00, none, 0, none, 0)                                         \
  /* B.4.1 natural-width control fields */                                                   \
  X(cr0_guest_host_mask, 0x6000, none, 0, none, 0)                                           \
  X(cr4_guest_host_mask, 0x6002, none, 0, none, 0)                                           \
  X(cr0_read_shadow, 0x6004, none, 0, none, 0)                                               \
  X(cr4_read_shadow, 0x6006, none, 0, none, 0)                                               \
  X(cr3_target_value0, 0x6008, none, 0, none, 0)                                             \
  X(cr3_target_value1, 0x600a, none, 0, none, 0)                                             \
  X(cr3_target_value2, 0x600c, none, 0, none, 0)                                             \
  X(cr3_target_value3, 0x600e, none, 0, none, 0)                                             \
  /* B.4.2 natural-width read-only data fields */                                            \
  X(exit_qualification, 0x6400, none, 0, none, 0)                                            \
  X(io_rcx, 0x6402, none, 0, none, 0)                                                        \
  X(io_rsi, 0x6404, none, 0, none, 0)                                                        \
  X(io_rdi, 0x6406, none, 0, none, 0)                                                        \
  X(io_rip, 0x6408, none, 0, none, 0)                                                        \
  X(guest_linear_address, 0x640a, none, 0, none, 0)                                          \
  /* B.4.3 natural-width guest-state fields */                                               \
  X(guest_cr0, 0x6800, none, 0, none, 0)                                                     \
  X(guest_cr3, 0x6802, none, 0, none, 0)                                                     \
  X(guest_cr4, 0x6804, none, 0, none, 0)                                                     \
  X(guest_es_base, 0x6806, none, 0, none, 0)                                                 \
  X(guest_cs_base, 0x6808, none, 0, none, 0)                                                 \
  X(guest_ss_base, 0x680a, none, 0, none, 0)                                                 \
  X(guest_ds_base, 0x680c, none, 0, none, 0)                                                 \
  X(guest_fs_base, 0x680e, none, 0, none, 0)                                                 \
  X(guest_gs_base, 0x6810, none, 0, none, 0)                                                 \
  X(guest_ldtr_base, 0x6812, none, 0, none, 0)                                               \
  X(guest_tr_base, 0x6814, none, 0, none, 0)                                                 \
  X(guest_gdtr_base, 0x6816, none, 0, none, 0)                                               \
  X(guest_idtr_base, 0x6818, none, 0, none, 0)                                               \
  X(guest_dr7, 0x681a, none, 0, none, 0)                                                     \
  X(guest_rsp, 0x681c, none, 0, none, 0)                                                     \
  X(guest_rip, 0x681e, none, 0, none, 0)                                                     \
  X(guest_rflags, 0x6820, none, 0, none, 0)                                                  \
  X(guest_pending_debug_exceptions, 0x6822, none, 0, none, 0)                                \
  X(guest_ia32_sysenter_esp, 0x6824, none, 0, none, 0)                                       \
  X(guest_ia32_sysenter_eip, 0x6826, none, 0, none, 0)                                       \
  X(guest_ia32_s_cet, 0x6828, entry, 20, exit, 28)                                           \
  X(guest_ssp, 0x682a, entry, 20, exit, 28)                                                  \
  X(guest_ia32_interrupt_ssp_table_addr, 0x682c, entry, 20, exit, 28)                        \
  /* B.4.4 natural-width host-state fields */                                                \
  X(host_cr0, 0x6c00, none, 0, none, 0)                                                      \
  X(host_cr3, 0x6c02, none, 0, none, 0)                                                      \
  X(host_cr4, 0x6c04, none, 0, none, 0)                                                      \
  X(host_fs_base, 0x6c06, none, 0, none, 0)                                                  \
  X(host_gs_base, 0x6c08, none, 0, none, 0)                                                  \
  X(host_tr_base, 0x6c0a, none, 0, none, 0)                                                  \
  X(host_gdtr_base, 0x6c0c, none, 0, none, 0)                                                \
  X(host_idtr_base, 0x6c0e, none, 0, none, 0)                                                \
  X(host_ia32_sysenter_esp, 0x6c10, none, 0, none, 0)                                        \
  X(host_ia32_sysenter_eip, 0x6c12, none, 0, none, 0)                                        \
  X(host_rsp, 0x6c14, none, 0, none, 0)                                                      \
  X(host_rip, 0x6c16, none, 0, none, 0)                                                      \
  X(host_ia32_s_cet, 0x6c18, exit, 28, none, 0)                                              \
  X(host_ssp, 0x6c1a, exit, 28, none, 0)                                                     \
  X(host_ia32_interrupt_ssp_table_addr, 0x6c1c, exit, 28, none, 0)

namespace vmcs_field {
#define VTSPEC_VMCS_FIELD_CONSTANT(name, enc, msr, bit, alt, alt_bit) inline constexpr std::uint32_t name = enc;
VTSPEC_VMCS_FIELDS(VTSPEC_VMCS_FIELD_CONSTANT)
#undef VTSPEC_VMCS_FIELD_CONSTANT
}  // namespace vmcs_field

struct VmcsFieldInfo {
  std::uint32_t encoding;  // the full encoding (access type 0)
  const char* name;
  FieldCapability requires_capability;
  FieldCapability alternative;  // msr none: no second capability
};

inline constexpr auto kVmcsFieldTable = std::to_array<VmcsFieldInfo>({
#define VTSPEC_VMCS_FIELD_ROW(name, enc, msr, bit, alt, alt_bit) \
  {enc, #name, {CapabilityMsr::msr, bit}, {CapabilityMsr::alt, alt_bit}},
    VTSPEC_VMCS_FIELDS(VTSPEC_VMCS_FIELD_ROW)
#undef VTSPEC_VMCS_FIELD_ROW
});

inline constexpr std::size_t kVmcsFieldCount = kVmcsFieldTable.size();

// The 64-bit control fields that hold the physical address of a structure the processor
// reads or writes in memory (SDM Vol. 3C 25.6.2 bitmaps, 25.6.8 virtual-APIC/APIC-access
// pages and posted interrupts, 25.6.11 EPTP, 25.6.14 VM functions' EPTP list, 25.6.15
// VMREAD/VMWRITE bitmaps, 25.6.16 #VE information, 25.6.18 PML, 25.6.19 SPP, 25.7.2 and 25.8.2
// MSR areas, 25.4.2 VMCS link pointer), and the executive-VMCS pointer (32.15.8).
inline constexpr std::uint32_t kPhysicalAddressFields[] = {
    vmcs_field::io_bitmap_a, vmcs_field::io_bitmap_b, vmcs_field::msr_bitmap, vmcs_field::vm_exit_msr_store_address,
    vmcs_field::vm_exit_msr_load_address, vmcs_field::vm_entry_msr_load_address, vmcs_field::executive_vmcs_pointer,
    vmcs_field::pml_address, vmcs_field::virtual_apic_address, vmcs_field::apic_access_address,
    vmcs_field::posted_interrupt_descriptor_address, vmcs_field::ept_pointer, vmcs_field::eptp_list_address,
    vmcs_field::vmread_bitmap_address, vmcs_field::vmwrite_bitmap_address,
    vmcs_field::virtualization_exception_information_address, vmcs_field::sub_page_permission_table_pointer,
    vmcs_field::hlat_pointer, vmcs_field::pid_pointer_table_address, vmcs_field::vmcs_link_pointer,
};

// ---- The encoding's structure (Table 25-21) -------------------------------------------------
constexpr bool is_high_access(std::uint32_t encoding) { return (encoding & 1u) != 0; }
constexpr unsigned field_index(std::uint32_t encoding) { return (encoding >> 1) & 0x1ffu; }
constexpr FieldType field_type(std::uint32_t encoding) { return static_cast<FieldType>((encoding >> 10) & 3u); }
constexpr FieldWidth field_width(std::uint32_t encoding) { return static_cast<FieldWidth>((encoding >> 13) & 3u); }
// Bits 12, 15 and 31:16 are reserved in every encoding.
constexpr bool encoding_reserved_bits_clear(std::uint64_t encoding) { return (encoding & ~std::uint64_t{0x6fff}) == 0; }

// The field width in bits on a processor that supports Intel 64 (natural width = 64).
constexpr unsigned width_bits(FieldWidth w) {
  return w == FieldWidth::bits16 ? 16 : w == FieldWidth::bits32 ? 32 : 64;
}
constexpr std::uint64_t width_mask(FieldWidth w) {
  return w == FieldWidth::bits16 ? 0xffffu : w == FieldWidth::bits32 ? 0xffffffffu : ~std::uint64_t{0};
}

// The table row of a full encoding, if Appendix B lists it.
constexpr std::optional<std::size_t> field_position(std::uint32_t full_encoding) {
  for (std::size_t i = 0; i < kVmcsFieldCount; ++i)
    if (kVmcsFieldTable[i].encoding == full_encoding) return i;
  return std::nullopt;
}

// A VMREAD/VMWRITE operand names a component when it is a listed full encoding or the high
// access (bit 0 = 1) of a listed 64-bit field (25.11.2: "for 64-bit fields, the high
// access type ... accesses bits 63:32"). Bits 63:32 of the operand are part of it.
struct ComponentRef {
  std::size_t position;  // row of kVmcsFieldTable
  bool high;             // bits 63:32 of a 64-bit field
};
constexpr std::optional<ComponentRef> component_of(std::uint64_t operand) {
  if (!encoding_reserved_bits_clear(operand)) return std::nullopt;
  const auto enc = static_cast<std::uint32_t>(operand);
  if (is_high_access(enc)) {
    if (field_width(enc) != FieldWidth::bits64) return std::nullopt;
    const auto p = field_position(enc & ~1u);
    if (!p) return std::nullopt;
    return ComponentRef{*p, true};
  }
  const auto p = field_position(enc);
  if (!p) return std::nullopt;
  return ComponentRef{*p, false};
}

constexpr std::optional<std::size_t> field_by_name(std::string_view name) {
  for (std::size_t i = 0; i < kVmcsFieldCount; ++i)
    if (name == kVmcsFieldTable[i].name) return i;
  return std::nullopt;
}

}  // namespace vtspec::spec::vmx
