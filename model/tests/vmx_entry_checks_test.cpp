// The VM-entry check table on concrete VMCSs: a valid VMCS per profile passes every check;
// violating one rule fails exactly the check the SDM sentence names, with the outcome of
// SDM Vol. 3C 27.2-27.4 (VMfailValid 7 / 8, exit 33 with its qualification, exit 34 with the
// entry number).
#include <gtest/gtest.h>

#include <set>

#include "model/vmx/vmx_profiles.hpp"
#include "spec/vmx/vm_entry_checks.hpp"

namespace vtspec::spec::vmx {
namespace {

using model::vmx::valid_vmcs;
using model::vmx::vmx_profiles;

const VmxCapabilities& skylake() { return model::vmx::find_vmx_profile("bochs-skylake-x")->caps; }

void set(VmcsValues<Concrete>& v, std::uint32_t field, std::uint64_t value) {
  const auto p = field_position(field);
  ASSERT_TRUE(p);
  v.values[*p] = value;
}
std::uint64_t get(const VmcsValues<Concrete>& v, std::uint32_t field) { return v.values[*field_position(field)]; }

std::set<std::string> failing(const EntryEvaluation& e) {
  std::set<std::string> ids;
  for (const auto& r : e.results)
    if (r.verdict == CheckVerdict::fail) ids.insert(vm_entry_checks<Concrete>()[r.row].id);
  return ids;
}

TEST(VmEntryChecks, IdsAreUniqueAndCited) {
  std::set<std::string> ids;
  for (const auto& c : vm_entry_checks<Concrete>()) {
    EXPECT_TRUE(ids.insert(c.id).second) << c.id;
    EXPECT_NE(std::string(c.sdm).find("SDM Vol. 3C 27."), std::string::npos) << c.id;
  }
}

TEST(VmEntryChecks, ValidVmcsPassesOnEveryProfile) {
  for (const auto& p : vmx_profiles()) {
    const auto e = evaluate_entry(valid_vmcs(p.caps), p.caps);
    EXPECT_EQ(failing(e), std::set<std::string>{}) << p.name;
    ASSERT_EQ(e.allowed.size(), 1u);
    EXPECT_EQ(e.allowed[0].kind, EntryOutcomeKind::success);
  }
}

TEST(VmEntryChecks, Cr0PgWithoutPe) {
  // 27.3.1.1: "If bit 31 in the CR0 field (corresponding to PG) is 1, bit 0 in that field
  // (PE) must also be 1." With "unrestricted guest", PE/PG are exempt from FIXED0, so only
  // this check fails. Exit 33, qualification 0.
  auto v = valid_vmcs(skylake());
  set(v, vmcs_field::secondary_processor_based_controls,
      get(v, vmcs_field::secondary_processor_based_controls) | bit_at(proc2::unrestricted_guest));
  set(v, vmcs_field::vm_entry_controls, get(v, vmcs_field::vm_entry_controls) & ~bit_at(entry_ctl::ia32e_mode_guest));
  set(v, vmcs_field::guest_cs_access_rights, 0xc09b);  // 32-bit code segment
  set(v, vmcs_field::guest_cr0, get(v, vmcs_field::guest_cr0) & ~cr0::pe);
  const auto e = evaluate_entry(v, skylake());
  EXPECT_TRUE(failing(e).count("guest.cr0-pg-needs-pe"));
  EXPECT_FALSE(failing(e).count("guest.cr0-fixed"));
  ASSERT_FALSE(e.allowed.empty());
  EXPECT_EQ(e.allowed[0], (EntryOutcome{EntryOutcomeKind::entry_failure, 33, 0}));
}

TEST(VmEntryChecks, Ia32eGuestNeedsPae) {
  // 27.3.1.1: "If the 'IA-32e mode guest' VM-entry control is 1, bit 31 in the CR0 field
  // ... and bit 5 in the CR4 field (PAE) must be 1."
  auto v = valid_vmcs(skylake());
  set(v, vmcs_field::guest_cr4, get(v, vmcs_field::guest_cr4) & ~cr4::pae);
  const auto e = evaluate_entry(v, skylake());
  EXPECT_EQ(failing(e), std::set<std::string>{"guest.ia32e-cr4-pae"});
  ASSERT_EQ(e.allowed.size(), 1u);
  EXPECT_EQ(e.allowed[0], (EntryOutcome{EntryOutcomeKind::entry_failure, 33, 0}));
}

TEST(VmEntryChecks, ControlFailureIsError7HostFailureIsError8BothAllowBoth) {
  auto v = valid_vmcs(skylake());
  set(v, vmcs_field::vpid, 0);  // 27.2.1.1: "enable VPID" = 1 requires a nonzero VPID
  auto e = evaluate_entry(v, skylake());
  EXPECT_EQ(failing(e), std::set<std::string>{"ctl.vpid-nonzero"});
  ASSERT_EQ(e.allowed.size(), 1u);
  EXPECT_EQ(e.allowed[0], (EntryOutcome{EntryOutcomeKind::vm_fail_valid, 7, 0}));

  auto h = valid_vmcs(skylake());
  set(h, vmcs_field::host_cs_selector, 0);  // 27.2.2: "The selector field for CS cannot be 0000H."
  e = evaluate_entry(h, skylake());
  EXPECT_EQ(failing(e), std::set<std::string>{"host.cs-selector-nonzero"});
  ASSERT_EQ(e.allowed.size(), 1u);
  EXPECT_EQ(e.allowed[0], (EntryOutcome{EntryOutcomeKind::vm_fail_valid, 8, 0}));

  set(h, vmcs_field::vpid, 0);
  // A guest-state error too: 27.3 is not reached.
  set(h, vmcs_field::guest_rflags, 0);
  e = evaluate_entry(h, skylake());
  EXPECT_EQ(e.allowed.size(), 2u);  // 27.2: "may be performed in any order"
  EXPECT_FALSE(e.why.empty());
}

TEST(VmEntryChecks, GuestFailuresAllowEveryQualification) {
  auto v = valid_vmcs(skylake());
  set(v, vmcs_field::vmcs_link_pointer, 0x123);     // qualification 4 (27.8)
  set(v, vmcs_field::guest_rflags, 0);              // bit 1 must be 1: qualification 0
  const auto e = evaluate_entry(v, skylake());
  EXPECT_EQ(failing(e), (std::set<std::string>{"guest.vmcs-link-pointer", "guest.rflags-reserved"}));
  ASSERT_EQ(e.allowed.size(), 2u);
  EXPECT_EQ(e.allowed[0], (EntryOutcome{EntryOutcomeKind::entry_failure, 33, 0}));
  EXPECT_EQ(e.allowed[1], (EntryOutcome{EntryOutcomeKind::entry_failure, 33, 4}));
}

TEST(VmEntryChecks, MsrLoadFirstFailingEntryNumberedFromOne) {
  // 27.4: entries are loaded in order; IA32_FS_BASE may not be loaded; the qualification is
  // the failing entry's number from 1.
  const auto v = valid_vmcs(skylake());
  const std::vector<MsrLoadEntry<Concrete>> msrs = {{0x10, 0}, {0xc0000100, 0}, {0x808, 0}};
  const auto e = evaluate_entry(v, skylake(), msrs);
  ASSERT_EQ(e.allowed.size(), 1u);
  EXPECT_EQ(e.allowed[0], (EntryOutcome{EntryOutcomeKind::entry_failure, 34, 2}));
}

TEST(VmEntryChecks, NotApplicableUnderTheControls) {
  // "use I/O bitmaps" = 0 on the valid VMCS: the I/O-bitmap address checks do not apply.
  const auto e = evaluate_entry(valid_vmcs(skylake()), skylake());
  const auto& table = vm_entry_checks<Concrete>();
  bool seen = false;
  for (const auto& r : e.results)
    if (table[r.row].id == "ctl.io-bitmap-a-address") {
      seen = true;
      EXPECT_EQ(r.verdict, CheckVerdict::not_applicable);
    }
  EXPECT_TRUE(seen);
}

TEST(VmEntryChecks, ReservedControlBitsFollowTheTrueMsrs) {
  // A.3.1: IA32_VMX_TRUE_PINBASED_CTLS bits 31:0 = 0x16: bits 1, 2, 4 must be 1.
  auto v = valid_vmcs(skylake());
  set(v, vmcs_field::pin_based_controls, 0x12);
  EXPECT_EQ(failing(evaluate_entry(v, skylake())), std::set<std::string>{"ctl.pin-based-reserved"});
  // bit 8 may not be 1 (allowed-1 bits 63:32 = 0xff).
  set(v, vmcs_field::pin_based_controls, 0x116);
  EXPECT_EQ(failing(evaluate_entry(v, skylake())), std::set<std::string>{"ctl.pin-based-reserved"});
}

}  // namespace
}  // namespace vtspec::spec::vmx
