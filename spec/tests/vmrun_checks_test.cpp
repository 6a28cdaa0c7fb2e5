// VMRUN's consistency checks (AMD64 APM Vol. 2 15.5.1): a legal 64-bit guest VMCB passes
// every row, and each condition the APM lists as illegal fails exactly the row named for it.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "spec/svm/vmrun_checks.hpp"

namespace vtspec::spec::svm {
namespace {

// A long-mode guest as the APM requires it: EFER = LME | LMA | NXE | SVME (0x1d00), CR0 =
// PG | WP | ET | PE (0x80010011), CR4 = PAE, a 64-bit code segment (L = 1, D = 0: attrib 0x29b),
// VMRUN intercepted, ASID 1, bitmaps at 1 MByte.
VmrunInput<Concrete> legal() {
  VmrunInput<Concrete> in;
  in.efer = 0x1d00;
  in.cr0 = 0x80010011;
  in.cr3 = 0x1000;
  in.cr4 = 0x20;
  in.dr6 = 0xffff0ff0;
  in.dr7 = 0x400;
  in.cs_attrib = 0x29b;
  in.intercept_misc2 = 1;
  in.asid = 1;
  in.iopm_base = 0x100000;
  in.msrpm_base = 0x104000;
  return in;
}

std::set<std::string> failing(const VmrunInput<Concrete>& in, const SvmCapabilities& caps = {}) {
  std::set<std::string> out;
  for (const auto& row : vmrun_consistency_checks<Concrete>())
    if (!row.holds(in, caps)) out.insert(row.id);
  return out;
}

TEST(VmrunChecks, ALegalLongModeGuestPasses) {
  EXPECT_TRUE(failing(legal()).empty());
  EXPECT_TRUE(vmrun_consistent<Concrete>(legal(), {}));
}

struct Case {
  const char* name;
  void (*change)(VmrunInput<Concrete>&);
  const char* id;
};

class EachIllegalCondition : public ::testing::TestWithParam<Case> {};

TEST_P(EachIllegalCondition, FailsExactlyItsRow) {
  auto in = legal();
  GetParam().change(in);
  EXPECT_EQ(failing(in), std::set<std::string>{GetParam().id});
  EXPECT_FALSE(vmrun_consistent<Concrete>(in, {}));
}

INSTANTIATE_TEST_SUITE_P(
    Apm15_5_1, EachIllegalCondition,
    ::testing::Values(
        Case{"svme_clear", [](VmrunInput<Concrete>& in) { in.efer &= ~0x1000ull; }, "vmrun.efer-svme"},
        Case{"nw_without_cd", [](VmrunInput<Concrete>& in) { in.cr0 |= 1ull << 29; }, "vmrun.cr0-cd-nw"},
        Case{"cr0_bit_32", [](VmrunInput<Concrete>& in) { in.cr0 |= 1ull << 32; }, "vmrun.cr0-upper"},
        Case{"cr3_bit_48", [](VmrunInput<Concrete>& in) { in.cr3 |= 1ull << 48; }, "vmrun.cr3-mbz"},
        Case{"cr4_bit_31", [](VmrunInput<Concrete>& in) { in.cr4 |= 1ull << 31; }, "vmrun.cr4-mbz"},
        Case{"dr6_bit_32", [](VmrunInput<Concrete>& in) { in.dr6 |= 1ull << 32; }, "vmrun.dr6-upper"},
        Case{"dr7_bit_63", [](VmrunInput<Concrete>& in) { in.dr7 |= 1ull << 63; }, "vmrun.dr7-upper"},
        Case{"efer_bit_9", [](VmrunInput<Concrete>& in) { in.efer |= 1ull << 9; }, "vmrun.efer-mbz"},
        Case{"long_mode_without_pae", [](VmrunInput<Concrete>& in) { in.cr4 = 0; }, "vmrun.long-mode-pae"},
        Case{"long_mode_without_pe", [](VmrunInput<Concrete>& in) { in.cr0 &= ~1ull; }, "vmrun.long-mode-pe"},
        Case{"cs_l_and_d", [](VmrunInput<Concrete>& in) { in.cs_attrib |= 1ull << 10; }, "vmrun.long-mode-cs"},
        Case{"vmrun_not_intercepted", [](VmrunInput<Concrete>& in) { in.intercept_misc2 = 0; }, "vmrun.intercept-vmrun"},
        // 2^48 - 12K + 4K: the IOPM's last byte is at 2^48 + 4K - 1.
        Case{"iopm_past_maxphyaddr", [](VmrunInput<Concrete>& in) { in.iopm_base = (1ull << 48) - 0x2000; },
             "vmrun.iopm-below-maxphyaddr"},
        Case{"msrpm_past_maxphyaddr", [](VmrunInput<Concrete>& in) { in.msrpm_base = (1ull << 48) - 0x1000; },
             "vmrun.msrpm-below-maxphyaddr"},
        Case{"inject_nmi_as_exception", [](VmrunInput<Concrete>& in) { in.event_injection = 0x80000302; },
             "vmrun.event-injection"},
        Case{"inject_vector_32_as_exception", [](VmrunInput<Concrete>& in) { in.event_injection = 0x80000320; },
             "vmrun.event-injection"},
        Case{"inject_reserved_type_5", [](VmrunInput<Concrete>& in) { in.event_injection = 0x8000050e; },
             "vmrun.event-injection"},
        Case{"asid_zero", [](VmrunInput<Concrete>& in) { in.asid = 0; }, "vmrun.asid-nonzero"}),
    [](const ::testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

TEST(VmrunChecks, TablesEndingExactlyAtMaxphyaddrAreLegal) {
  // The last byte at 2^48 - 1 is a supported address (15.10.1, 15.11).
  auto in = legal();
  in.iopm_base = (1ull << 48) - 0x3000;
  in.msrpm_base = (1ull << 48) - 0x2000;
  EXPECT_TRUE(failing(in).empty());
}

TEST(VmrunChecks, LegalInjectionsPass) {
  auto in = legal();
  for (std::uint64_t inj : {0x8000030eull /* #PF */, 0x8000031full /* vector 31 */, 0x80000200ull /* NMI */,
                            0x80000020ull /* INTR 32 */, 0x0000050eull /* V = 0: ignored */}) {
    in.event_injection = inj;
    EXPECT_TRUE(failing(in).empty()) << std::hex << inj;
  }
}

TEST(VmrunChecks, LongModeWithoutSupport) {
  SvmCapabilities caps;
  caps.long_mode = false;
  EXPECT_EQ(failing(legal(), caps), std::set<std::string>{"vmrun.long-mode-supported"});
}

TEST(VmrunInstruction, FaultsBeforeTheVmcbIsRead) {
  // VMRUN instruction page: #UD with EFER.SVME = 0, #GP(0) at CPL > 0 or for an unaligned or
  // too-wide rAX.
  EXPECT_EQ(vmrun_exception(0xd00, 0, 0x10000, 48), 6u);
  EXPECT_EQ(vmrun_exception(0x1d00, 3, 0x10000, 48), 13u);
  EXPECT_EQ(vmrun_exception(0x1d00, 0, 0x10008, 48), 13u);
  EXPECT_EQ(vmrun_exception(0x1d00, 0, 1ull << 48, 48), 13u);
  EXPECT_EQ(vmrun_exception(0x1d00, 0, 0x10000, 48), 0u);
}

}  // namespace
}  // namespace vtspec::spec::svm
