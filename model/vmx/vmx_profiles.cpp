#include "model/vmx/vmx_profiles.hpp"

#include "spec/control_registers.hpp"
#include "spec/vmx/vm_entry_guest_state_checks.hpp"
#include "spec/vmx/vmx_controls.hpp"

namespace vtspec::model::vmx {

namespace {

using spec::bit_at;
using spec::vmx::VmxCapabilities;

// The MSR values Bochs 2.7 lists for its corei7_skylake_x model (a Core i7-7800X), in the
// comment of bochs/cpu/cpudb/intel/corei7_skylake-x.cc ("MSR 00000480: 00DA-0400-0000-0004
// BX_MSR_VMX_BASIC" ... "MSR 00000490: 0003-FFFF-0000-11FB BX_MSR_VMX_TRUE_VMENTRY_CTRLS").
// IA32_VMX_VMFUNC is not listed there: EPTP switching (bit 0), which the model enables
// (BX_VMX_EPTP_SWITCHING). MAXPHYADDR 46, 48-bit linear addresses (CPUID.80000008H of the
// i7-7800X).
VmxCapabilities skylake_x() {
  VmxCapabilities c;
  c.basic = 0x00da040000000004;
  c.pinbased = 0x000000ff00000016;
  c.procbased = 0xfff9fffe0401e172;
  c.exit = 0x01ffffff00036dff;
  c.entry = 0x0003ffff000011ff;
  c.misc = 0x000000007004c1e7;
  c.cr0_fixed0 = 0x80000021;
  c.cr0_fixed1 = 0xffffffff;
  c.cr4_fixed0 = 0x00002000;
  c.cr4_fixed1 = 0x003727ff;
  c.vmcs_enum = 0x2e;
  c.procbased2 = 0x025d3fff00000000;
  c.ept_vpid_cap = 0x00000f0106734141;
  c.true_pinbased = 0x000000ff00000016;
  c.true_procbased = 0xfff9fffe04006172;
  c.true_exit = 0x01ffffff00036dfb;
  c.true_entry = 0x0003ffff000011fb;
  c.vmfunc = 0x1;
  c.maxphyaddr = 46;
  c.linear_address_bits = 48;
  return c;
}

// What Bochs 2.7's default VMX CPU (corei7_skylake_x, `cpu: model=corei7_skylake_x`) reports,
// measured: the capability MSRs read by RDMSR on Bochs 2.7 (Debian 2.7+dfsg-2) through the
// VMX probe of conformance/qemu_platform/vmx_unit.hpp (ctest
// BochsMachine.VmxProbeReadsTheCapabilityMsrsOfTheCpuModel prints them), and MAXPHYADDR 40 /
// 48-bit linear addresses from its CPUID.80000008H. They differ from the cpudb listing above
// (VMCS revision 2BH, fewer secondary controls, no EPT_VPID_CAP bit 22): Bochs emulates its
// own feature set under the model's name. The corpus's VMX vectors use this profile, so
// that Bochs runs them.
VmxCapabilities bochs_2_7() {
  VmxCapabilities c;
  c.basic = 0x00d810000000002b;
  c.pinbased = 0x0000007f00000016;
  c.procbased = 0xf7f9fffe0401e172;
  c.exit = 0x007fffff00036dff;
  c.entry = 0x0000ffff000011ff;
  c.misc = 0x00000000600401e0;
  c.cr0_fixed0 = 0x80000021;
  c.cr0_fixed1 = 0xffffffff;
  c.cr4_fixed0 = 0x00002000;
  c.cr4_fixed1 = 0x003727ff;
  c.vmcs_enum = 0x34;
  c.procbased2 = 0x02177fff00000000;
  c.ept_vpid_cap = 0x00000f0106334141;
  c.true_pinbased = 0x0000007f00000016;
  c.true_procbased = 0xf7f9fffe04006172;
  c.true_exit = 0x007fffff00036dfb;
  c.true_entry = 0x0000ffff000011fb;
  c.vmfunc = 0x1;
  c.maxphyaddr = 40;
  c.linear_address_bits = 48;
  return c;
}

// A typical current server part, constructed (not a dump): the Skylake-X settings plus what
// later Xeon Scalable parts enumerate - 5-level EPT (EPT_VPID_CAP bit 7), sub-page write
// permissions (secondary control 23; 22, mode-based execute, Skylake-X has), CR4.LA57/PKE/PKS
// (CR4_FIXED1 bits 12, 22, 24), load/save PKRS (entry 22, exit 29), MAXPHYADDR 52 and 57-bit
// linear addresses.
VmxCapabilities server() {
  VmxCapabilities c = skylake_x();
  c.ept_vpid_cap |= bit_at(7);
  c.procbased2 |= (bit_at(22) | bit_at(23)) << 32;
  c.cr4_fixed1 |= bit_at(12) | bit_at(22) | bit_at(24);
  c.entry |= bit_at(22) << 32;
  c.true_entry |= bit_at(22) << 32;
  c.exit |= bit_at(29) << 32;
  c.true_exit |= bit_at(29) << 32;
  c.maxphyaddr = 52;
  c.linear_address_bits = 57;
  return c;
}

const std::vector<VmxProfile>& profiles() {
  static const std::vector<VmxProfile> list = {
      {"bochs-skylake-x", "Bochs 2.7 cpu/cpudb/intel/corei7_skylake-x.cc (its VMX MSR listing)", skylake_x()},
      {"bochs-2.7", "Bochs 2.7's corei7_skylake_x as it runs: the capability MSRs it returns, measured", bochs_2_7()},
      {"server", "constructed: Skylake-X plus 5-level EPT, SPP, LA57, PKS, MAXPHYADDR 52", server()},
  };
  return list;
}

}  // namespace

std::span<const VmxProfile> vmx_profiles() { return profiles(); }

const VmxProfile* find_vmx_profile(std::string_view name) {
  for (const auto& p : profiles())
    if (name == p.name) return &p;
  return nullptr;
}

std::string vmx_profile_names() {
  std::string s;
  for (const auto& p : profiles()) s += std::string(s.empty() ? "" : ", ") + p.name;
  return s;
}

spec::vmx::VmcsValues<spec::Concrete> valid_vmcs(const VmxCapabilities& caps) {
  namespace f = spec::vmx::vmcs_field;
  using namespace spec::vmx;
  auto v = zero_vmcs();
  auto set = [&](std::uint32_t field, std::uint64_t value) { v.values[*field_position(field)] = value; };
  auto allowed0 = [](std::uint64_t msr) { return msr & 0xffffffffu; };
  auto may_be_1 = [](std::uint64_t msr, unsigned n) { return VmxCapabilities::may_be_1(msr, n); };

  // Controls: the allowed-0 settings (A.3-A.5), secondary controls with EPT and VPID.
  set(f::pin_based_controls, allowed0(caps.pinbased_settings()));
  std::uint64_t secondary = 0;
  if (may_be_1(caps.procbased2_settings(), proc2::enable_ept)) secondary |= bit_at(proc2::enable_ept);
  if (may_be_1(caps.procbased2_settings(), proc2::enable_vpid)) secondary |= bit_at(proc2::enable_vpid);
  set(f::primary_processor_based_controls,
      allowed0(caps.procbased_settings()) | (secondary ? bit_at(proc::activate_secondary) : 0));
  set(f::secondary_processor_based_controls, secondary);
  set(f::vm_exit_controls, allowed0(caps.exit_settings()) | bit_at(exit_ctl::host_address_space_size));
  set(f::vm_entry_controls, allowed0(caps.entry_settings()) | bit_at(entry_ctl::ia32e_mode_guest));
  set(f::vpid, 1);
  // EPTP: WB (6), 4-level walk (bits 5:3 = 3), PML4 at 0x100000 (25.6.11).
  set(f::ept_pointer, 0x100000 | 6 | (3u << 3));
  set(f::vmcs_link_pointer, ~std::uint64_t{0});

  // Host: 64-bit, paging, selectors with RPL 0 and TI 0, canonical bases.
  set(f::host_cr0, caps.cr0_fixed0 | spec::cr0::et | spec::cr0::wp);
  set(f::host_cr3, 0x1000);
  set(f::host_cr4, caps.cr4_fixed0 | spec::cr4::pae);
  set(f::host_cs_selector, 0x08);
  for (auto s : {f::host_ss_selector, f::host_ds_selector, f::host_es_selector, f::host_fs_selector,
                 f::host_gs_selector})
    set(s, 0x10);
  set(f::host_tr_selector, 0x18);
  set(f::host_rip, 0x400000);
  set(f::host_rsp, 0x7ff000);
  set(f::host_ia32_efer, spec::efer::lme | spec::efer::lma);

  // Guest: IA-32e mode, 64-bit code segment, flat data segments, busy 64-bit TSS, CPL 0.
  set(f::guest_cr0, caps.cr0_fixed0 | spec::cr0::et | spec::cr0::wp);
  set(f::guest_cr3, 0x2000);
  set(f::guest_cr4, caps.cr4_fixed0 | spec::cr4::pae);
  set(f::guest_ia32_efer, spec::efer::lme | spec::efer::lma);
  set(f::guest_dr7, 0x400);
  set(f::guest_rflags, 0x2);
  set(f::guest_rip, 0x401000);
  set(f::guest_rsp, 0x7fe000);
  set(f::guest_cs_selector, 0x08);
  set(f::guest_cs_limit, 0xffffffff);
  set(f::guest_cs_access_rights, 0xa09b);  // type 11, S, P, L, G
  for (unsigned s : {es, ss, ds, fs, gs}) {
    set(guest_selector(s), 0x10);
    set(guest_limit(s), 0xffffffff);
    set(guest_access_rights(s), 0xc093);  // type 3, S, P, D/B, G
  }
  set(f::guest_ldtr_access_rights, 0x10000);  // unusable
  set(f::guest_tr_selector, 0x18);
  set(f::guest_tr_limit, 0x67);
  set(f::guest_tr_access_rights, 0x8b);  // busy 64-bit TSS, P
  set(f::guest_gdtr_limit, 0x7f);
  set(f::guest_idtr_limit, 0xfff);
  return v;
}

}  // namespace vtspec::model::vmx
