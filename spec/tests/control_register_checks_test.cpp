// The #GP(0) checks of MOV to CR0/CR3/CR4 and INVPCID, each case worked from the clause it
// cites: SDM Vol. 2B "MOV-Move to/from Control Registers" and "INVPCID" (exception lists),
// Vol. 3A 2.5, 4.1.2, 4.10.1.
#include <gtest/gtest.h>

#include "spec/control_register_checks.hpp"

namespace vtspec::spec {
namespace {

using C = ControlRegisterCheck;

// 64-bit mode with IA-32e paging: CR0.PE|PG|WP, CR4.PAE, EFER.LME|LMA|NXE.
ControlRegisterState<Concrete> long_mode() {
  ControlRegisterState<Concrete> s;
  s.cr0 = cr0::pe | cr0::pg | cr0::wp;
  s.cr3 = 0x1000;
  s.cr4 = cr4::pae;
  s.efer = efer::lme | efer::lma | efer::nxe;
  return s;
}

// Protected mode without paging: CR0.PE only, EFER.LME clear.
ControlRegisterState<Concrete> protected_mode() {
  ControlRegisterState<Concrete> s;
  s.cr0 = cr0::pe;
  s.cr3 = 0x1000;
  s.cr4 = 0;
  s.efer = 0;
  return s;
}

C cr0_check(const ControlRegisterState<Concrete>& s, std::uint64_t v) {
  return static_cast<C>(mov_to_cr0_check<Concrete>(s, v));
}
C cr3_check(const ControlRegisterState<Concrete>& s, std::uint64_t v, ControlRegisterSupport support = {}) {
  return static_cast<C>(mov_to_cr3_check<Concrete>(s, v, support));
}
C cr4_check(const ControlRegisterState<Concrete>& s, std::uint64_t v, ControlRegisterSupport support = {}) {
  return static_cast<C>(mov_to_cr4_check<Concrete>(s, v, support));
}
C invpcid(const ControlRegisterState<Concrete>& s, std::uint64_t type, std::uint64_t pcid, std::uint64_t linear = 0) {
  return static_cast<C>(invpcid_check<Concrete>(s, type, pcid, linear));
}

// ---- MOV to CR0 ---------------------------------------------------------------------------

TEST(MovToCr0, UpperHalfMustBeZero) {
  // Vol. 3A 2.5: "Bits 63:32 of CR0 and CR4 are reserved and must be written with zeros.
  // Writing a nonzero value to any of the upper 32 bits results in a #GP(0)."
  EXPECT_EQ(cr0_check(long_mode(), cr0::pe | cr0::pg | cr0::wp | (1ull << 32)), C::cr0_upper_bits_set);
  EXPECT_EQ(cr0_check(long_mode(), cr0::pe | cr0::pg | cr0::wp), C::passed);
}

TEST(MovToCr0, InvalidBitCombinations) {
  // Vol. 2B MOV: "setting the PG flag to 1 when the PE flag is set to 0, or setting the CD
  // flag to 0 when the NW flag is set to 1".
  EXPECT_EQ(cr0_check(protected_mode(), cr0::pg), C::cr0_pg_without_pe);
  EXPECT_EQ(cr0_check(long_mode(), cr0::pe | cr0::pg | cr0::nw), C::cr0_nw_without_cd);
  EXPECT_EQ(cr0_check(long_mode(), cr0::pe | cr0::pg | cr0::nw | cr0::cd), C::passed);
  EXPECT_EQ(cr0_check(long_mode(), cr0::pe | cr0::pg | cr0::cd), C::passed);
}

TEST(MovToCr0, PagingCannotBeTurnedOffIn64BitMode) {
  // Vol. 2B MOV, 64-Bit Mode Exceptions: "Attempting to clear CR0.PG".
  EXPECT_EQ(cr0_check(long_mode(), cr0::pe | cr0::wp), C::cr0_clears_pg_in_64_bit_mode);
  // Outside IA-32e mode it may be cleared - unless CR4.PCIDE = 1 (Protected Mode Exceptions).
  auto s = protected_mode();
  s.cr0 = cr0::pe | cr0::pg;
  EXPECT_EQ(cr0_check(s, cr0::pe), C::passed);
  s.cr4 = cr4::pcide;
  EXPECT_EQ(cr0_check(s, cr0::pe), C::cr0_clears_pg_with_pcide);
}

TEST(MovToCr0, IA32eModeNeedsPaeBeforePaging) {
  // Vol. 3A 4.1.2: "Paging cannot be enabled (by setting CR0.PG to 1) while CR4.PAE = 0 and
  // IA32_EFER.LME = 1."
  auto s = protected_mode();
  s.efer = efer::lme;
  EXPECT_EQ(cr0_check(s, cr0::pe | cr0::pg), C::cr0_sets_pg_with_lme_without_pae);
  s.cr4 = cr4::pae;
  EXPECT_EQ(cr0_check(s, cr0::pe | cr0::pg), C::passed);
}

TEST(MovToCr0, WriteProtectStaysWhileCetIsOn) {
  // Vol. 3A 2.5 (CR4.CET): CR4.CET "must be clear before CR0.WP can be cleared"; Vol. 2B MOV:
  // "clear CR0.WP while CR4.CET = 1" is #GP(0).
  auto s = long_mode();
  EXPECT_EQ(cr0_check(s, cr0::pe | cr0::pg), C::passed);  // WP may be cleared without CET
  s.cr4 |= cr4::cet;
  EXPECT_EQ(cr0_check(s, cr0::pe | cr0::pg), C::cr0_clears_wp_with_cet);
}

// ---- MOV to CR3 ---------------------------------------------------------------------------

TEST(MovToCr3, BitsFromMaxPhyAddrUpAreReserved) {
  // Vol. 3A 4.5 (Table 4-12): CR3 bits 63:M are reserved; Vol. 2B MOV: setting one is #GP(0).
  EXPECT_EQ(cr3_check(long_mode(), 0x2000), C::passed);
  EXPECT_EQ(cr3_check(long_mode(), 1ull << 46), C::cr3_reserved_bits_set);  // M = 46
  EXPECT_EQ(cr3_check(long_mode(), 1ull << 45), C::passed);
  EXPECT_EQ(cr3_check(long_mode(), 1ull << 45, {0, 40}), C::cr3_reserved_bits_set);
}

TEST(MovToCr3, Bit63IsTheNoFlushHintOnlyWithPcids) {
  // Vol. 3A 4.10.4.1 / Vol. 2B MOV: with CR4.PCIDE = 1 bit 63 selects no invalidation and is
  // not written; with PCIDE = 0 it is a reserved bit (Table 4-12).
  EXPECT_EQ(cr3_check(long_mode(), cr3::no_flush | 0x2000), C::cr3_reserved_bits_set);
  auto s = long_mode();
  s.cr4 |= cr4::pcide;
  EXPECT_EQ(cr3_check(s, cr3::no_flush | 0x2001), C::passed);
  EXPECT_EQ(cr3_check(s, cr3::no_flush | (1ull << 46)), C::cr3_reserved_bits_set);
}

// ---- MOV to CR4 ---------------------------------------------------------------------------

TEST(MovToCr4, BitsOfMissingFeaturesAreReserved) {
  // Vol. 2B MOV: "write a 1 to any reserved bit in CR4"; a feature's bit is reserved on a
  // processor without it (Vol. 3A 2.5).
  const ControlRegisterSupport no_smep{cr4::smep, 46};
  EXPECT_EQ(cr4_check(long_mode(), cr4::pae | cr4::smep, no_smep), C::cr4_reserved_bits_set);
  EXPECT_EQ(cr4_check(long_mode(), cr4::pae | cr4::smep), C::passed);
}

TEST(MovToCr4, PaeAndLa57AreFixedInIA32eMode) {
  // Vol. 2B MOV: "leave IA-32e mode by clearing CR4.PAE"; Vol. 3A 4.1.2: "CR4.PAE cannot be
  // cleared while IA-32e paging is active". Vol. 3A 2.5 (LA57): it cannot change in IA-32e mode.
  EXPECT_EQ(cr4_check(long_mode(), 0), C::cr4_clears_pae_in_ia32e_mode);
  EXPECT_EQ(cr4_check(long_mode(), cr4::pae | cr4::la57), C::cr4_changes_la57_in_ia32e_mode);
  EXPECT_EQ(cr4_check(protected_mode(), cr4::la57), C::passed);
}

TEST(MovToCr4, SettingPcide) {
  // Vol. 3A 4.10.1: PCIDE can be set only in IA-32e mode, and MOV to CR4 faults if it would
  // change PCIDE from 0 to 1 while CR3[11:0] != 000H.
  auto s = long_mode();
  EXPECT_EQ(cr4_check(s, cr4::pae | cr4::pcide), C::passed);  // CR3 = 0x1000
  s.cr3 = 0x1001;
  EXPECT_EQ(cr4_check(s, cr4::pae | cr4::pcide), C::cr4_sets_pcide_with_cr3_pcid);
  s.cr4 |= cr4::pcide;  // already set: not a 0 -> 1 change
  EXPECT_EQ(cr4_check(s, cr4::pae | cr4::pcide), C::passed);
  EXPECT_EQ(cr4_check(protected_mode(), cr4::pcide), C::cr4_sets_pcide_outside_ia32e_mode);
}

TEST(MovToCr4, CetNeedsWriteProtect) {
  // Vol. 3A 2.5 (CR4.CET): "CR4.CET can be set only if CR0.WP is set".
  EXPECT_EQ(cr4_check(long_mode(), cr4::pae | cr4::cet), C::passed);
  auto s = long_mode();
  s.cr0 &= ~cr0::wp;
  EXPECT_EQ(cr4_check(s, cr4::pae | cr4::cet), C::cr4_sets_cet_without_wp);
}

// ---- INVPCID --------------------------------------------------------------------------------

TEST(Invpcid, TypeAndDescriptor) {
  // Vol. 2B INVPCID, #GP(0): "INVPCID_TYPE > 3"; "bits 63:12 of INVPCID_DESC are not all zero".
  EXPECT_EQ(invpcid(long_mode(), 4, 0), C::invpcid_type_above_3);
  EXPECT_EQ(invpcid(long_mode(), 3, 0), C::passed);
  EXPECT_EQ(invpcid(long_mode(), 2, 0x1000), C::invpcid_descriptor_reserved);
}

TEST(Invpcid, NonZeroPcidNeedsPcide) {
  // Vol. 2B INVPCID: "If CR4.PCIDE = 0, INVPCID_TYPE is either 0 or 1, and INVPCID_DESC[11:0]
  // is not all zeros."
  EXPECT_EQ(invpcid(long_mode(), 1, 1), C::invpcid_pcid_without_pcide);
  EXPECT_EQ(invpcid(long_mode(), 0, 1, 0x1000), C::invpcid_pcid_without_pcide);
  EXPECT_EQ(invpcid(long_mode(), 2, 1), C::passed);  // types 2 and 3 ignore the PCID
  auto s = long_mode();
  s.cr4 |= cr4::pcide;
  EXPECT_EQ(invpcid(s, 1, 1), C::passed);
}

TEST(Invpcid, IndividualAddressMustBeCanonical) {
  // Vol. 2B INVPCID: "INVPCID_TYPE is 0 and the linear address in INVPCID_DESC[127:64] is not
  // canonical". Canonical: bits 63:47 equal (4-level), 63:56 equal (LA57) - Vol. 3A 4.5.
  EXPECT_EQ(invpcid(long_mode(), 0, 0, 0x0000'8000'0000'0000), C::invpcid_noncanonical_address);
  EXPECT_EQ(invpcid(long_mode(), 0, 0, 0xffff'8000'0000'0000), C::passed);
  EXPECT_EQ(invpcid(long_mode(), 0, 0, 0x0000'7fff'ffff'f000), C::passed);
  EXPECT_EQ(invpcid(long_mode(), 1, 0, 0x0000'8000'0000'0000), C::passed);  // type 1 has no address
  auto s = long_mode();
  s.cr4 |= cr4::la57;
  EXPECT_EQ(invpcid(s, 0, 0, 0x0000'8000'0000'0000), C::passed);
  EXPECT_EQ(invpcid(s, 0, 0, 0x0100'0000'0000'0000), C::invpcid_noncanonical_address);
}

// ---- WRMSR to IA32_EFER, WRPKRU -----------------------------------------------------------------

C efer_check(const ControlRegisterState<Concrete>& s, std::uint64_t v, ControlRegisterSupport support = {}) {
  return static_cast<C>(wrmsr_efer_check<Concrete>(s, v, support));
}

TEST(WrmsrEfer, DefinedBitsOnly) {
  // Vol. 4 IA32_EFER defines SCE (0), LME (8), LMA (10), NXE (11); WRMSR: "#GP(0) if ... a
  // reserved bit is set". LMA is read-only, so writing it is not a fault.
  const auto s = long_mode();
  EXPECT_EQ(efer_check(s, 0xd01), C::passed);  // SCE|LME|LMA|NXE
  EXPECT_EQ(efer_check(s, 0xd00 | (1u << 1)), C::efer_reserved_bits_set);
  EXPECT_EQ(efer_check(s, 0xd00 | (std::uint64_t{1} << 63)), C::efer_reserved_bits_set);
}

TEST(WrmsrEfer, NxeNeedsCpuidNxAndLmeIsFixedWhilePaging) {
  const auto s = long_mode();
  ControlRegisterSupport no_nx;
  no_nx.nx = false;
  EXPECT_EQ(efer_check(s, 0xd00, no_nx), C::efer_nxe_without_nx);  // Vol. 4: NXE with CPUID NX only
  EXPECT_EQ(efer_check(s, 0x500, no_nx), C::passed);
  // Vol. 3A 10.8.5: IA-32e mode is entered and left with paging off; LME cannot change while
  // CR0.PG = 1.
  EXPECT_EQ(efer_check(s, 0xc00), C::efer_lme_changes_while_paging);
  EXPECT_EQ(efer_check(protected_mode(), efer::lme), C::passed);
}

TEST(Wrpkru, NeedsPke) {
  // Vol. 2B WRPKRU: #UD if CR4.PKE = 0.
  auto s = long_mode();
  EXPECT_EQ(static_cast<C>(wrpkru_check<Concrete>(s)), C::wrpkru_without_pke);
  s.cr4 |= cr4::pke;
  EXPECT_EQ(static_cast<C>(wrpkru_check<Concrete>(s)), C::passed);
  const auto e = exception_for(C::wrpkru_without_pke);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->vector, 6u);  // #UD
  const auto u = exception_for(C::invpcid_unsupported);  // Vol. 2B INVPCID: #UD without CPUID.INVPCID
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->vector, 6u);
}

// ---- the exception ----------------------------------------------------------------------------

TEST(ControlRegisterChecks, EveryFailedCheckIsGeneralProtectionZero) {
  // Each instruction page lists these conditions under #GP(0): vector 13 (Vol. 3A 6.15,
  // Table 6-1), error code 0.
  EXPECT_FALSE(exception_for(C::passed).has_value());
  for (auto c : {C::cr0_upper_bits_set, C::cr3_reserved_bits_set, C::cr4_sets_pcide_with_cr3_pcid,
                 C::invpcid_noncanonical_address, C::efer_reserved_bits_set, C::efer_lme_changes_while_paging}) {
    const auto e = exception_for(c);
    ASSERT_TRUE(e.has_value()) << to_string(c);
    EXPECT_EQ(e->vector, 13u);
    EXPECT_EQ(e->error_code, 0u);
  }
}

}  // namespace
}  // namespace vtspec::spec
