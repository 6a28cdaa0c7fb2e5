// The operations that change access-rights inputs in the middle of a vector (MOV to CR0,
// WRMSR to IA32_EFER, WRPKRU) and the access variants CPL 1/2 and implicit supervisor-mode
// accesses, on the TLB model. Expected values are stated from the SDM (section per test).
#include <gtest/gtest.h>

#include "model/cpu_needs.hpp"
#include "model/tests/tlb_test_support.hpp"

namespace vtspec::model {
namespace {

using namespace testing;
using spec::AccessKind;

constexpr std::uint64_t kVa = 0x400000, kPage = 0x20000;
constexpr std::uint64_t XD = std::uint64_t{1} << 63;
// #PF error-code bits (SDM Vol. 3A 4.7, Figure 4-12).
constexpr std::uint64_t PF_P = 1, PF_W = 2, PF_U = 4, PF_RSVD = 8, PF_I = 16, PF_PK = 32;

AccessRequest implicit_request(std::uint64_t va, AccessKind kind, unsigned cpl) {
  AccessRequest r = request(va, kind, cpl);
  r.implicit_supervisor = true;
  return r;
}

// SDM Vol. 3A 4.6.2: with CR4.PKE = 1, PKRU.ADi = 1 forbids data accesses to user-mode
// addresses with protection key i. A TLB entry holds the key (4.10.2.2), the rights come
// from PKRU at the access, so WRPKRU takes effect for the next access even through a TLB
// entry filled before it. The fault is a #PF with P, U and PK set for a CPL-3 read.
TEST(TlbControlOperations, WrpkruChangesTheRightsOfACachedTranslation) {
  GuestBuilder g;
  const std::uint64_t key1 = std::uint64_t{1} << 59;  // protection key 1 (PTE bits 62:59)
  g.map4k(kVa, kPage, P | RW | US | A | D | key1);
  g.state.regs.cr4 |= cr4::pke;
  Processor m(g.state);
  m.apply(access_op(kVa, AccessKind::read, 3));
  EXPECT_EQ(translations(m, request(kVa, AccessKind::read, 3)), Set{kPage});

  m.apply(with_value(OperationKind::wrpkru, 1u << 2));  // AD1 (bit 2 * 1)
  EXPECT_EQ(m.state().regs.pkru, 1u << 2);
  EXPECT_EQ(translations(m, request(kVa, AccessKind::read, 3)), Set{});
  EXPECT_EQ(page_faults(m, request(kVa, AccessKind::read, 3)), Set{PF_P | PF_U | PF_PK});
  // Key 0 is untouched: no other key's rights change.
  m.apply(with_value(OperationKind::wrpkru, 1u << 0));
  EXPECT_EQ(translations(m, request(kVa, AccessKind::read, 3)), Set{kPage});
}

// SDM Vol. 3A 4.5.4 (Table 4-20): with EFER.NXE = 0, bit 63 of a paging-structure entry is
// reserved, so a fresh walk through an XD = 1 PTE faults with P and RSVD. With NXE = 1 the
// same PTE only forbids instruction fetches (4.6.1), reported with I/D (4.7).
TEST(TlbControlOperations, WrmsrEferNxeChangesWhatAnXdEntryMeans) {
  GuestBuilder g;
  g.map4k(kVa, kPage, P | RW | A | D | XD);
  Processor m(g.state);
  EXPECT_EQ(translations(m, request(kVa)), Set{kPage});
  EXPECT_EQ(page_faults(m, request(kVa, AccessKind::fetch)), Set{PF_P | PF_I});

  m.apply(with_value(OperationKind::wrmsr_efer, efer::lme | efer::lma));  // clear NXE
  EXPECT_EQ(m.state().regs.efer, efer::lme | efer::lma);
  ASSERT_FALSE(m.allowed(request(kVa)).empty());
  const Outcome fresh = m.allowed(request(kVa)).front().outcome;
  EXPECT_EQ(fresh.kind, OutcomeKind::page_fault);
  EXPECT_EQ(fresh.error_code, PF_P | PF_RSVD);
}

// SDM Vol. 4 IA32_EFER: LMA (bit 10) is read-only ("IA-32e Mode Active (R)"); a WRMSR keeps it.
TEST(TlbControlOperations, WrmsrEferKeepsLma) {
  GuestBuilder g;
  Processor m(g.state);
  m.apply(with_value(OperationKind::wrmsr_efer, efer::lme | efer::nxe));
  EXPECT_EQ(m.state().regs.efer, efer::lme | efer::lma | efer::nxe);
}

// SDM Vol. 3A 4.6.1: with CR0.WP = 0 a supervisor-mode write may go to a read-only
// page; with WP = 1 it faults (P and W set, U clear at CPL 0). MOV to CR0 changes WP for
// the next access, cached translations included (WP is read at use).
TEST(TlbControlOperations, MovCr0WpChangesSupervisorWritesToReadOnlyPages) {
  GuestBuilder g;
  g.map4k(kVa, kPage, P | US | A | D);
  Processor m(g.state);
  m.apply(access_op(kVa));  // fill the TLB
  EXPECT_EQ(page_faults(m, request(kVa, AccessKind::write)), Set{PF_P | PF_W});
  m.apply(with_value(OperationKind::mov_cr0, cr0::pe | cr0::pg));
  EXPECT_EQ(translations(m, request(kVa, AccessKind::write)), Set{kPage});
  EXPECT_EQ(page_faults(m, request(kVa, AccessKind::write)), Set{});
  // CPL 3 is user-mode: WP does not matter, R/W = 0 forbids the write (4.6.1), U is reported.
  EXPECT_EQ(page_faults(m, request(kVa, AccessKind::write, 3)), Set{PF_P | PF_W | PF_U});
}

// kVa -> kPage supervisor-only, kUser -> kUserPage user, CR4.SMAP = 1.
constexpr std::uint64_t kUser = kVa + 0x1000, kUserPage = 0x21000;
GuestBuilder supervisor_and_user_pages_with_smap() {
  GuestBuilder g;
  g.map4k(kVa, kPage, P | RW | A | D);
  g.map4k(kUser, kUserPage, P | RW | US | A | D);
  g.state.regs.cr4 |= cr4::smap;
  return g;
}

// SDM Vol. 3A 4.6: CPL 0, 1 and 2 make supervisor-mode accesses. So at CPL 1 and 2 a
// supervisor-only page is readable, and with CR4.SMAP = 1 and EFLAGS.AC = 0 a user page is
// not (4.6.1), the #PF reporting U/S = 0 (4.7).
TEST(TlbControlOperations, Cpl1And2AreSupervisorMode) {
  GuestBuilder g = supervisor_and_user_pages_with_smap();
  Processor m(g.state);
  for (unsigned cpl : {1u, 2u}) {
    SCOPED_TRACE(cpl);
    EXPECT_EQ(translations(m, request(kVa, AccessKind::read, cpl)), Set{kPage});
    EXPECT_EQ(page_faults(m, request(kUser, AccessKind::read, cpl)), Set{PF_P});
  }
  EXPECT_EQ(page_faults(m, request(kVa, AccessKind::read, 3)), Set{PF_P | PF_U});
  EXPECT_EQ(translations(m, request(kUser, AccessKind::read, 3)), Set{kUserPage});
}

// SDM Vol. 3A 4.6: an implicit supervisor-mode access (e.g. to the GDT) is supervisor-mode
// even at CPL 3, so it may read a supervisor-only page; and SMAP blocks it from a user page
// whatever EFLAGS.AC is (4.6.1: only explicit accesses honour AC). U/S = 0 in the error code.
TEST(TlbControlOperations, ImplicitSupervisorAccessesIgnoreCplAndAc) {
  GuestBuilder g = supervisor_and_user_pages_with_smap();
  g.state.regs.rflags |= rflags::ac;
  Processor m(g.state);
  EXPECT_EQ(translations(m, implicit_request(kVa, AccessKind::read, 3)), Set{kPage});
  EXPECT_EQ(page_faults(m, implicit_request(kUser, AccessKind::read, 3)), Set{PF_P});
  EXPECT_EQ(page_faults(m, implicit_request(kUser, AccessKind::write, 0)), Set{PF_P | PF_W});
  // The explicit CPL-0 read with AC = 1 is allowed.
  EXPECT_EQ(translations(m, request(kUser, AccessKind::read, 0)), Set{kUserPage});
}

// The abilities and features the new operations need (model/cpu_needs.hpp).
TEST(TlbControlOperations, NeedsOfTheNewOperations) {
  MachineState s;
  s.features.nx = false;
  Operation cpl1 = access_op(kVa, AccessKind::read, 1);
  Operation implicit = access_op(kVa, AccessKind::write, 3);
  implicit.access.implicit_supervisor = true;
  const Operation ops[] = {cpl1, implicit, with_value(OperationKind::wrmsr_efer, efer::lme | efer::nxe),
                           with_value(OperationKind::wrpkru, 0), with_value(OperationKind::mov_cr0, cr0::pe | cr0::pg)};
  s.regs.efer = efer::lme | efer::lma;
  const CpuNeeds needs = cpu_needs(s, ops);
  EXPECT_EQ(needs.abilities, (std::set<std::string>{"read at CPL 1", "implicit supervisor write", "wrmsr_efer",
                                                    "wrpkru", "mov_cr0"}));
  ASSERT_TRUE(needs.features.count(Feature::nx));
  EXPECT_FALSE(needs.features.at(Feature::nx));  // touched, and absent on this CPU
  ASSERT_TRUE(needs.features.count(Feature::pku));
  EXPECT_TRUE(needs.features.at(Feature::pku));
}

}  // namespace
}  // namespace vtspec::model
