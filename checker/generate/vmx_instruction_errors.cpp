// The VMX-instruction vectors (vtspec/vector/4, vectors/corpus/vmx/instruction-errors.yaml):
// each VMX instruction in the cases of SDM Vol. 3C 31.3 that end in VMfailInvalid,
// VMfailValid with each VM-instruction error number it can produce (31.4), #UD, #GP(0), or
// success. Expectations come from the model; each operation's outcome is also written here,
// from the instruction's pseudocode in 31.3 and the error table of 31.4, and generation fails
// when the model disagrees.
#include <stdexcept>

#include <fmt/format.h>

#include "checker/generate/draft.hpp"
#include "checker/generate/vmx_l1_state.hpp"
#include "spec/vmx/vmcs_fields.hpp"
#include "vectors/format/vmx_yaml.hpp"

namespace vtspec::generate {

namespace {

namespace f = spec::vmx::vmcs_field;
using model::Event;

constexpr std::uint64_t kWrongRevision = 0x203000;  // a region whose revision identifier is not the CPU's
// A guest-state natural-width encoding (type 2, width 3, Appendix B.4) with index 7FH, which
// no field has: error 12 on every processor.
constexpr std::uint64_t kNoSuchGuestField = 0x68fe;
constexpr std::uint64_t kBeyondMaxPhyAddr = std::uint64_t{1} << 40;  // bochs-2.7: MAXPHYADDR 40

Event ok() { return Event::completed(); }
Event value(std::uint64_t v) { return Event::completed(v); }
Event invalid() { return Event::vm_fail_invalid(); }
Event fail(unsigned n) { return Event::vm_fail_valid(n); }
Event ud() { return Event::exception(model::kInvalidOpcodeVector); }
Event gp() { return Event::exception(model::kGeneralProtectionVector, 0); }

struct Case {
  Draft draft;
  std::vector<Event> expected;  // per operation, from 31.3 / 31.4
};

struct Builder {
  std::vector<Case> cases;
  const model::vmx::VmxProfile& profile = *model::vmx::find_vmx_profile(kBochsProfile);

  Case& add(std::string id, std::string description, std::vector<std::string> sdm, const L1Start& start,
            const spec::vmx::VmcsValues<spec::Concrete>& vmcs = spec::vmx::zero_vmcs()) {
    Case c;
    c.draft.vector.id = "vmx/instruction/" + id;
    c.draft.vector.description = std::move(description);
    c.draft.vector.sdm = std::move(sdm);
    c.draft.state = vmx_l1_state(profile, vmcs, start);
    c.draft.state.host_writes.emplace_back(kWrongRevision, profile.caps.revision() ^ 1);
    cases.push_back(std::move(c));
    return cases.back();
  }
};

void op(Case& c, const char* name, Event want, std::uint64_t address = 0, std::uint64_t field = 0, std::uint64_t v = 0,
        unsigned cpl = 0) {
  c.draft.vmx(name, address, field, v, cpl);
  c.expected.push_back(std::move(want));
}

}  // namespace

std::vector<CorpusFile> vmx_instruction_errors() {
  Builder b;
  const L1Start outside{.vmxon = false, .current = false}, no_current{.vmxon = true, .current = false}, current{};
  {
    Case& c = b.add("vmxon-then-in-root", "VMXON enters VMX operation; a second VMXON fails: VMfailInvalid without a current "
                    "VMCS, VMfailValid(15) with one", {"Vol. 3C 31.3 VMXON", "Vol. 3C 31.4"}, outside);
    op(c, "vmxon", ok(), kVmxonRegion);
    op(c, "vmxon", invalid(), kVmxonRegion);
    op(c, "vmptrld", ok(), kVmcsRegion);
    op(c, "vmxon", fail(15), kVmxonRegion);
  }
  {
    Case& c = b.add("vmxon-bad-region", "VMXON outside VMX operation of a region that is not 4-KByte aligned, beyond "
                    "MAXPHYADDR or has the wrong revision identifier: VMfailInvalid", {"Vol. 3C 31.3 VMXON"}, outside);
    op(c, "vmxon", invalid(), kVmxonRegion + 8);
    op(c, "vmxon", invalid(), kBeyondMaxPhyAddr);
    op(c, "vmxon", invalid(), kWrongRevision);
    op(c, "vmxon", ok(), kVmxonRegion);
  }
  {
    Case& c = b.add("vmptrld-errors", "VMPTRLD of a bad region: VMfailInvalid without a current VMCS; with one, error 9 "
                    "(invalid address), 10 (the VMXON pointer) or 11 (wrong revision identifier)",
                    {"Vol. 3C 31.3 VMPTRLD", "Vol. 3C 31.4"}, no_current);
    op(c, "vmptrld", invalid(), kWrongRevision);
    op(c, "vmptrld", ok(), kVmcsRegion);
    op(c, "vmptrld", fail(11), kWrongRevision);
    op(c, "vmptrld", fail(10), kVmxonRegion);
    op(c, "vmptrld", fail(9), kVmcsRegion + 8);
    op(c, "vmptrld", fail(9), kBeyondMaxPhyAddr);
    op(c, "vmptrld", ok(), kOtherRegion);
  }
  {
    Case& c = b.add("vmclear-errors", "VMCLEAR of an invalid address (error 2) and of the VMXON pointer (error 3); VMCLEAR "
                    "of the current VMCS leaves none, so VMREAD fails with VMfailInvalid",
                    {"Vol. 3C 31.3 VMCLEAR", "Vol. 3C 31.3 VMREAD", "Vol. 3C 31.4"}, current);
    op(c, "vmclear", fail(2), kVmcsRegion + 8);
    op(c, "vmclear", fail(2), kBeyondMaxPhyAddr);
    op(c, "vmclear", fail(3), kVmxonRegion);
    op(c, "vmclear", ok(), kVmcsRegion);
    op(c, "vmread", invalid(), 0, f::guest_rip);
    op(c, "vmclear", invalid(), kVmxonRegion);
  }
  {
    Case& c = b.add("vmread-vmwrite", "VMWRITE then VMREAD of a guest-state field; VMREAD and VMWRITE of a component the "
                    "processor does not have (or the high access of a natural-width field): error 12", {"Vol. 3C 31.3 VMREAD", "Vol. 3C 31.3 VMWRITE", "Vol. 3C 31.4"},
                    current);
    op(c, "vmwrite", ok(), 0, f::guest_rip, 0x1234);
    op(c, "vmread", value(0x1234), 0, f::guest_rip);
    op(c, "vmread", fail(12), 0, kNoSuchGuestField);
    op(c, "vmwrite", fail(12), 0, kNoSuchGuestField, 1);
    op(c, "vmread", fail(12), 0, f::guest_rip | 1);  // 25.11.2: only 64-bit fields have a high access
  }
  {
    Case& c = b.add("vmwrite-read-only-with-misc-29", "VMWRITE of a VM-exit information field with IA32_VMX_MISC bit 29 "
                    "set (the profile's): allowed", {"Vol. 3C 31.3 VMWRITE", "Vol. 3C A.6"}, current);
    op(c, "vmwrite", ok(), 0, f::exit_qualification, 7);
    op(c, "vmread", value(7), 0, f::exit_qualification);
  }
  {
    auto misc = b.profile.caps.misc & ~(std::uint64_t{1} << 29);
    Case& c = b.add("vmwrite-read-only", "VMWRITE of a VM-exit information field without IA32_VMX_MISC bit 29: error 13",
                    {"Vol. 3C 31.3 VMWRITE", "Vol. 3C 31.4", "Vol. 3C A.6"},
                    L1Start{.capabilities = fmt::format("{{ misc: {:#x} }}", misc)});
    op(c, "vmwrite", fail(13), 0, f::exit_qualification, 7);
  }
  {
    Case& c = b.add("vmlaunch-zero-vmcs", "VMLAUNCH of a VMCS with every field 0: its controls and its host state both "
                    "fail, in an order the SDM leaves open (error 7 or 8)", {"Vol. 3C 27.2", "Vol. 3C 31.4"}, current);
    op(c, "vmlaunch", fail(7));
  }
  {
    Case& c = b.add("vmresume-clear", "VMRESUME of a clear VMCS: error 5", {"Vol. 3C 31.3 VMRESUME", "Vol. 3C 31.4"}, current,
                    entry_base_vmcs(b.profile.caps));
    op(c, "vmresume", fail(5));
  }
  {
    Case& c = b.add("vm-entry-without-current-vmcs", "VMLAUNCH and VMRESUME without a current VMCS: VMfailInvalid",
                    {"Vol. 3C 31.3 VMLAUNCH/VMRESUME"}, no_current);
    op(c, "vmlaunch", invalid());
    op(c, "vmresume", invalid());
  }
  {
    Case& c = b.add("vmcall-in-root", "VMCALL in VMX root operation, dual-monitor treatment not active: error 1",
                    {"Vol. 3C 31.3 VMCALL", "Vol. 3C 31.4"}, current);
    op(c, "vmcall", fail(1));
  }
  {
    // EPT_VPID_CAP of bochs-2.7: INVEPT (bit 20) with both types (25, 26), INVVPID (32) with all
    // four (40-43); the errors left are INVVPID's operand checks.
    Case& c = b.add("invept-invvpid", "INVEPT and INVVPID of every type the CPU supports; INVVPID with VPID 0 for a type that "
                    "names one (1, 0, 3), or a non-canonical address for type 0: error 28",
                    {"Vol. 3C 31.3 INVEPT", "Vol. 3C 31.3 INVVPID", "Vol. 3C 31.4"}, current);
    const std::uint64_t eptp = 0x10001e;  // WB, 4-level, PML4 at 100000H (25.6.11)
    c.draft.invept(1, eptp);
    c.expected.push_back(ok());
    c.draft.invept(2, 0);
    c.expected.push_back(ok());
    for (unsigned type : {0u, 1u, 3u}) {
      c.draft.invvpid(type, 0, type == 0 ? 0x400000 : 0);
      c.expected.push_back(fail(28));
      c.draft.invvpid(type, 1, type == 0 ? 0x400000 : 0);
      c.expected.push_back(ok());
    }
    c.draft.invvpid(2, 0);
    c.expected.push_back(ok());
  }
  {
    Case& c = b.add("vmptrst", "VMPTRST stores the current-VMCS pointer, FFFFFFFF_FFFFFFFFH when there is none",
                    {"Vol. 3C 31.3 VMPTRST"}, no_current);
    op(c, "vmptrst", value(~std::uint64_t{0}));
    op(c, "vmptrld", ok(), kVmcsRegion);
    op(c, "vmptrst", value(kVmcsRegion));
  }
  {
    Case& c = b.add("vmxoff", "VMXOFF leaves VMX operation: then VMREAD is #UD", {"Vol. 3C 31.3 VMXOFF", "Vol. 3C 31.3 VMREAD"},
                    current);
    op(c, "vmxoff", ok());
    op(c, "vmread", ud(), 0, f::guest_rip);
  }
  {
    Case& c = b.add("outside-vmx-operation", "VMX instructions other than VMXON (VMPTRLD, VMLAUNCH, VMCALL, INVEPT) outside VMX operation: #UD",
                    {"Vol. 3C 31.3"}, outside);
    op(c, "vmptrld", ud(), kVmcsRegion);
    op(c, "vmlaunch", ud());
    op(c, "vmcall", ud());
    c.draft.invept(2, 0);
    c.expected.push_back(ud());
  }
  {
    Case& c = b.add("cpl-3", "VMXON outside VMX operation and VMREAD in it at CPL 3: #GP(0)", {"Vol. 3C 31.3"}, outside);
    op(c, "vmxon", gp(), kVmxonRegion, 0, 0, 3);
    op(c, "vmxon", ok(), kVmxonRegion);
    op(c, "vmread", gp(), 0, f::guest_rip, 0, 3);
  }
  {
    Case& c = b.add("vmxon-without-cr4-vmxe", "VMXON with CR4.VMXE = 0: #UD", {"Vol. 3C 31.3 VMXON"}, outside);
    c.draft.state.cr4 = {"PAE"};
    op(c, "vmxon", ud(), kVmxonRegion);
  }

  CorpusFile file{"vmx/instruction-errors.yaml",
                  "The VMX instructions' failures (SDM Vol. 3C 31.3, 31.4): VMfailInvalid, each VM-instruction error number, "
                  "#UD and #GP(0)",
                  {}};
  for (auto& c : b.cases) {
    complete(c.draft);
    for (std::size_t i = 0; i < c.expected.size(); ++i) {
      const auto& got = c.draft.vector.expectations.at(i).outcomes.front().event;
      if (!model::difference(c.expected[i], got).empty())
        throw std::logic_error(fmt::format("{} operation {}: the model says {}, SDM 31.3 says {}", c.draft.vector.id, i,
                                           model::describe(got), model::describe(c.expected[i])));
    }
    file.drafts.push_back(std::move(c.draft));
  }
  return {std::move(file)};
}

}  // namespace vtspec::generate
