#include "conformance/qemu_platform/vmx_unit.hpp"

#include <fmt/format.h>

#include "spec/vmx/vmcs_fields.hpp"
#include "spec/vmx/vmx_controls.hpp"

namespace vtspec::conformance::qemu {

namespace {

namespace f = spec::vmx::vmcs_field;
using spec::vmx::VmxCapabilities;

// The capability MSRs (SDM Vol. 3C Appendix A, Table A-1 .. A.11), in the order of
// VmxCapabilities' members.
struct CapabilityMsr {
  std::uint32_t index;
  std::uint64_t VmxCapabilities::*member;
};
constexpr CapabilityMsr kAlways[] = {
    {0x480, &VmxCapabilities::basic},      {0x481, &VmxCapabilities::pinbased},   {0x482, &VmxCapabilities::procbased},
    {0x483, &VmxCapabilities::exit},       {0x484, &VmxCapabilities::entry},      {0x485, &VmxCapabilities::misc},
    {0x486, &VmxCapabilities::cr0_fixed0}, {0x487, &VmxCapabilities::cr0_fixed1}, {0x488, &VmxCapabilities::cr4_fixed0},
    {0x489, &VmxCapabilities::cr4_fixed1}, {0x48a, &VmxCapabilities::vmcs_enum},
};
// Each exists when the earlier MSRs say so (A.3.3, A.10, A.2, A.11).
std::vector<CapabilityMsr> conditional(const VmxCapabilities& c) {
  std::vector<CapabilityMsr> out;
  const bool secondary = VmxCapabilities::may_be_1(c.procbased, spec::vmx::proc::activate_secondary);
  if (secondary) out.push_back({0x48b, &VmxCapabilities::procbased2});
  if (c.basic_bit(spec::vmx::basic_bits::true_controls)) {
    out.push_back({0x48d, &VmxCapabilities::true_pinbased});
    out.push_back({0x48e, &VmxCapabilities::true_procbased});
    out.push_back({0x48f, &VmxCapabilities::true_exit});
    out.push_back({0x490, &VmxCapabilities::true_entry});
  }
  return out;
}
// Stage 3: what the secondary controls say exists (A.10 EPT_VPID_CAP, A.11 VMFUNC).
std::vector<CapabilityMsr> after_secondary(const VmxCapabilities& c) {
  std::vector<CapabilityMsr> out;
  const std::uint64_t p2 = c.procbased2_settings();
  if (VmxCapabilities::may_be_1(p2, spec::vmx::proc2::enable_ept) || VmxCapabilities::may_be_1(p2, spec::vmx::proc2::enable_vpid))
    out.push_back({0x48c, &VmxCapabilities::ept_vpid_cap});
  if (VmxCapabilities::may_be_1(p2, spec::vmx::proc2::enable_vmfunc)) out.push_back({0x491, &VmxCapabilities::vmfunc});
  return out;
}
std::vector<CapabilityMsr> stage_msrs(unsigned stage, const VmxCapabilities& c) {
  if (stage == 1) return {std::begin(kAlways), std::end(kAlways)};
  if (stage == 2) return conditional(c);
  if (stage == 3) return after_secondary(c);
  return {};
}

constexpr std::uint32_t kExitReads[] = {f::vm_instruction_error,          f::exit_reason,
                                        f::exit_qualification,            f::guest_linear_address,
                                        f::guest_physical_address,        f::vm_exit_interruption_information,
                                        f::vm_exit_interruption_error_code, f::guest_rip};

}  // namespace

constexpr std::pair<std::uint32_t, std::uint32_t> kCpuidLeaves[] = {{1, 0}, {7, 0}, {0x80000001, 0}, {0x80000008, 0}};

std::vector<Command> vmx_probe_stage(unsigned stage, const VmxProbe& so_far) {
  std::vector<Command> out;
  if (stage == 0) {
    for (auto [leaf, subleaf] : kCpuidLeaves) out.push_back(cpuid_command(leaf, subleaf));
    return out;
  }
  if (!so_far.vmx) return {};
  for (const auto& m : stage_msrs(stage, so_far.caps)) out.push_back(rdmsr_command(m.index));
  return out;
}

void read_vmx_probe_stage(unsigned stage, std::span<const Command> done, VmxProbe& probe) {
  if (stage == 0) {
    for (std::size_t i = 0; i < std::size(kCpuidLeaves) && i < done.size(); ++i)
      probe.cpuid[kCpuidLeaves[i]] = {static_cast<std::uint32_t>(done[i].result), static_cast<std::uint32_t>(done[i].result >> 32),
                                      static_cast<std::uint32_t>(done[i].mask), static_cast<std::uint32_t>(done[i].mask >> 32)};
    const auto& basic = probe.cpuid[{1, 0}];
    const auto& sizes = probe.cpuid[{0x80000008, 0}];
    probe.vmx = (basic[2] >> 5) & 1u;  // CPUID.01H:ECX.VMX [bit 5]
    probe.caps.maxphyaddr = sizes[0] & 0xff;
    probe.caps.linear_address_bits = (sizes[0] >> 8) & 0xff;
    return;
  }
  const auto msrs = stage_msrs(stage, probe.caps);
  for (std::size_t i = 0; i < msrs.size() && i < done.size(); ++i) probe.caps.*(msrs[i].member) = done[i].result;
}

std::vector<Command> vmx_enable_commands(const VmxCapabilities& caps) {
  // Bits fixed to 0 (FIXED1) are left as the proxy has them: it sets none of them.
  return {set_cr_bits_command(0, caps.cr0_fixed0 & 0xffffffffu), set_cr_bits_command(4, caps.cr4_fixed0 & 0xffffffffu),
          write_command(VT_L1_VMXON_REGION, caps.revision(), 4), vmx_region_command(VT_QC_VMXON, VT_L1_VMXON_REGION)};
}

void append_vm_entry(std::vector<Command>& list, const VmEntryRequest& r, std::uint32_t revision) {
  list.insert(list.end(), r.host_before.begin(), r.host_before.end());
  if (r.enter_guest) {
    // A fresh VMCS each time: cleared (so its data is in the region and its launch state
    // clear, 25.11.3), zeroed, given the revision identifier (25.2), made current; then the
    // fields. Zeroing the region after VMCLEAR stands for "every field 0": it holds on
    // processors that keep the VMCS data in the region in the plain form, as Bochs and a
    // nested KVM do; on others the region's format is the implementation's (25.2), and a
    // VMCLEAR'd region written only through VMWRITE would be needed.
    list.push_back(vmx_region_command(VT_QC_VMCLEAR, VT_L1_VMCS));
    list.push_back(fill_zero_command(VT_L1_VMCS, 4096));
    list.push_back(write_command(VT_L1_VMCS, revision, 4));
    list.push_back(vmx_region_command(VT_QC_VMPTRLD, VT_L1_VMCS));
    for (const auto& [field, value] : r.fields) list.push_back(vmwrite_command(field, value));
    list.push_back(vmlaunch_command(r.rax, r.rbx));
    for (std::uint32_t field : kExitReads) list.push_back(vmread_command(field));
  }
  for (std::uint64_t a : r.read_back) list.push_back(read_command(a));
}

std::string describe_vmx_fail(std::uint32_t vmx_fail) {
  return vmx_fail == VT_VMX_FAIL_INVALID ? "VMfailInvalid" : vmx_fail == VT_VMX_FAIL_VALID ? "VMfailValid" : "VMsucceed";
}

VmExitRecord read_vm_exit(std::span<const Command> list, std::size_t& at, const VmEntryRequest& r) {
  VmExitRecord e;
  auto next = [&]() -> const Command& {
    if (at >= list.size()) throw std::out_of_range("read_vm_exit: the list is shorter than its request");
    return list[at++];
  };
  auto check = [&](const Command& c, const std::string& what) {
    if (e.failure.empty() && (c.status != 0 || c.vmx_fail != 0))
      e.failure = fmt::format("the L1's {} failed ({}, status {})", what, describe_vmx_fail(c.vmx_fail), c.status);
  };
  for (std::size_t i = 0; i < r.host_before.size(); ++i) {
    const Command& c = next();
    check(c, fmt::format("command {} (kind {})", i, c.kind));
  }
  if (r.enter_guest) {
    check(next(), "VMCLEAR");
    next();  // FILL
    next();  // the revision identifier
    check(next(), "VMPTRLD");
    for (const auto& [field, value] : r.fields) check(next(), fmt::format("VMWRITE of field {:#x} = {:#x}", field, value));
    const Command& launch = next();
    e.entered = true;
    e.vmfail = launch.vmx_fail;
    e.rbx = launch.result;
    e.rax = launch.mask;
    std::uint64_t* into[] = {&e.instruction_error, &e.exit_reason,      &e.qualification,      &e.guest_linear,
                             &e.guest_physical,    &e.interruption_info, &e.interruption_error, &e.rip};
    for (std::uint64_t* v : into) {
      const Command& c = next();
      // A VMREAD of a field the processor lacks fails (VMfailValid 12): the value stays 0.
      *v = c.vmx_fail ? 0 : c.result;
    }
  }
  for (std::size_t i = 0; i < r.read_back.size(); ++i) e.read_back.push_back(next().result);
  return e;
}

}  // namespace vtspec::conformance::qemu
