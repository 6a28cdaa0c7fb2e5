#include "conformance/qemu_platform/svm_unit.hpp"

#include <cstring>
#include <optional>

#include "spec/svm/vmcb_layout.hpp"

namespace vtspec::conformance::qemu {

namespace {
constexpr std::uint32_t kEferMsr = 0xc0000080, kVmHsavePaMsr = 0xc0010117;  // APM Vol. 2 15.30.4
constexpr std::uint64_t kSvme = 1ull << 12;
}  // namespace

SvmUnit::SvmUnit(Machine& machine) : machine_(machine) {
  const std::uint64_t efer = machine_.run_one(rdmsr_command(kEferMsr)).result;
  std::vector<Command> enable = {wrmsr_command(kEferMsr, efer | kSvme), wrmsr_command(kVmHsavePaMsr, VT_QEMU_SVM_HSAVE)};
  machine_.run(enable);
  if ((machine_.run_one(rdmsr_command(kEferMsr)).result & kSvme) == 0)
    throw MachineFailure("EFER.SVME did not stay set: this CPU model offers no SVM");
}

std::size_t SvmUnit::batch_capacity() { return (VT_QEMU_RAM_BYTES - VT_QEMU_SVM_VMCB) / spec::svm::vmcb::size; }

void SvmUnit::write_vmcb(std::uint64_t at, const VmcbSetup& v) {
  namespace o = spec::svm::vmcb;
  std::uint8_t page[o::size] = {};
  auto put = [&](std::uint32_t offset, std::uint64_t value, unsigned bytes) { std::memcpy(page + offset, &value, bytes); };
  put(o::intercept_exceptions, v.intercept_exceptions, 4);
  put(o::intercept_misc1, v.intercept_misc1, 4);
  put(o::intercept_misc2, v.intercept_misc2, 4);
  put(o::guest_asid, v.asid, 4);
  put(o::tlb_control, v.tlb_control, 1);
  put(o::clean_bits, v.clean_bits, 4);
  put(o::nested_control, v.nested_paging ? 1 : 0, 8);
  put(o::nested_cr3, v.ncr3, 8);
  put(o::iopm_base_pa, v.iopm_base, 8);
  put(o::msrpm_base_pa, v.msrpm_base, 8);
  put(o::event_injection, v.event_injection, 4);
  // Segments {selector 16, attrib 16, limit 32, base 64}; attrib packs descriptor bits 47:40
  // and 55:52 (Table B-2): type, S, DPL, P in 7:0, AVL, L, D/B, G in 11:8.
  const std::uint64_t dpl = std::uint64_t{v.cpl & 3} << 5;
  auto segment = [&](std::uint32_t offset, std::uint16_t selector, std::uint64_t attrib) {
    put(offset, selector, 2);
    put(offset + 2, attrib, 2);
    put(offset + 4, 0xffffffff, 4);
    put(offset + 8, 0, 8);
  };
  const std::uint16_t rpl = static_cast<std::uint16_t>(v.cpl & 3);
  segment(o::save_cs, static_cast<std::uint16_t>(0x08 | rpl), v.cs_attrib | dpl | v.cs_attrib_set);  // code, accessed, readable; L = 1
  for (std::uint32_t s : {o::save_ss, o::save_ds, o::save_es}) segment(s, static_cast<std::uint16_t>(0x10 | rpl), 0xc93 | dpl);
  put(o::save_cpl, v.cpl, 1);
  put(o::save_efer, v.efer, 8);
  put(o::save_cr0, v.cr0, 8);
  put(o::save_cr3, v.cr3, 8);
  put(o::save_cr4, v.cr4, 8);
  put(o::save_dr6, v.dr6, 8);
  put(o::save_dr7, v.dr7, 8);
  put(o::save_rflags, v.rflags, 8);
  put(o::save_rip, v.rip, 8);
  put(o::save_rsp, v.rsp, 8);
  put(o::save_rax, v.rax, 8);
  put(o::save_g_pat, 0x0007040600070406ull, 8);  // the power-on PAT
  machine_.write_ram(at, std::span<const std::uint8_t>(page, sizeof page));
}

std::vector<VmExitInfo> SvmUnit::run(std::span<const VmrunRequest> requests) {
  namespace o = spec::svm::vmcb;
  std::vector<VmExitInfo> out;
  std::size_t at = 0;
  while (at < requests.size()) {
    // One batch: requests up to the batch's VMCB capacity; each VMRUN's command index.
    std::vector<Command> commands;
    std::vector<std::optional<std::size_t>> vmrun_at;
    std::size_t vmcbs = 0;
    for (; at < requests.size() && (vmcbs < batch_capacity() || !requests[at].enter_guest); ++at) {
      const VmrunRequest& r = requests[at];
      commands.insert(commands.end(), r.host_before.begin(), r.host_before.end());
      if (!r.enter_guest) {
        vmrun_at.push_back(std::nullopt);
        continue;
      }
      const std::uint64_t vmcb = VT_QEMU_SVM_VMCB + vmcbs++ * o::size;
      write_vmcb(vmcb, r.vmcb);
      vmrun_at.push_back(commands.size());
      commands.push_back(vmrun_command(vmcb, r.rbx));
    }
    machine_.run(commands);
    for (const Command& c : commands)
      if (c.status != 0) throw MachineFailure("the proxy could not run a command of the batch (VMRUN needs the long-mode build)");
    std::size_t vmcb_index = 0;
    for (const auto& index : vmrun_at) {
      VmExitInfo e;
      if (index) {
        const std::uint64_t vmcb = VT_QEMU_SVM_VMCB + vmcb_index++ * o::size;
        e.entered = true;
        e.exit_code = machine_.read_ram64(vmcb + o::exit_code);
        e.exit_info1 = machine_.read_ram64(vmcb + o::exit_info1);
        e.exit_info2 = machine_.read_ram64(vmcb + o::exit_info2);
        e.exit_int_info = machine_.read_ram64(vmcb + o::exit_int_info);
        e.rip = machine_.read_ram64(vmcb + o::save_rip);
        e.rax = machine_.read_ram64(vmcb + o::save_rax);
        e.rbx = commands[*index].result;
      }
      out.push_back(e);
    }
  }
  return out;
}

std::array<std::uint32_t, 4> SvmUnit::cpuid(std::uint32_t leaf, std::uint32_t subleaf) {
  const Command c = machine_.run_one(cpuid_command(leaf, subleaf));
  return {static_cast<std::uint32_t>(c.result), static_cast<std::uint32_t>(c.result >> 32), static_cast<std::uint32_t>(c.mask),
          static_cast<std::uint32_t>(c.mask >> 32)};
}

VmExitInfo SvmUnit::run_one(const VmrunRequest& request) { return run(std::span<const VmrunRequest>(&request, 1)).front(); }

}  // namespace vtspec::conformance::qemu
