// The faults of MOV to CR0, WRMSR to IA32_EFER and WRPKRU as vector expectations
// (vectors/format/model_evaluation.cpp), each stated from the SDM instruction pages, and a
// mid-vector change of PKRU, EFER and CR0 as the following access sees it.
#include <gtest/gtest.h>

#include "vectors/format/model_evaluation.hpp"

namespace vtspec::vectors {
namespace {

using model::Operation;
using model::OperationKind;

constexpr unsigned kUD = 6, kGP = 13, kPF = 14;
constexpr std::uint64_t kPml4 = 0x1000, kPdpt = 0x2000, kPd = 0x3000, kPt = 0x4000, kVa = 0x400000, kPage = 0x20000;
constexpr std::uint64_t P = 1, RW = 2, US = 4, A = 0x20, D = 0x40;

Operation control(OperationKind kind, std::uint64_t value) {
  Operation op;
  op.kind = kind;
  op.value = value;
  return op;
}
Operation read_at(unsigned cpl) {
  Operation op;
  op.kind = OperationKind::access;
  op.access.linear = kVa;
  op.access.cpl = cpl;
  return op;
}

// kVa -> kPage, 4-KByte user page with protection key `key` (SDM Vol. 3A 4.5, Table 4-19).
Vector vector_with(std::vector<Operation> ops, std::uint64_t key = 0) {
  Vector v;
  v.id = "t";
  v.initial.regs.cr3 = kPml4;
  v.initial.memory.write64(kPml4, kPdpt | P | RW | US | A);
  v.initial.memory.write64(kPdpt, kPd | P | RW | US | A);
  v.initial.memory.write64(kPd + 2 * 8, kPt | P | RW | US | A);
  v.initial.memory.write64(kPt, kPage | P | RW | US | A | D | (key << 59));
  v.operations = std::move(ops);
  v.expectations.resize(v.operations.size());
  return v;
}

// The valid outcome of each operation: 0 = completed, else the exception vector.
std::vector<unsigned> outcomes(const Vector& v) {
  std::vector<unsigned> out;
  for (const auto& step : evaluate_on_model(v)) {
    EXPECT_FALSE(step.expectation.outcomes.empty());
    if (step.expectation.outcomes.empty()) continue;
    const auto& o = step.expectation.outcomes.front();
    out.push_back(o.event.kind == model::EventKind::exception ? o.event.vector : 0);
  }
  return out;
}

using model::cr0::cd;
using model::cr0::nw;
using model::cr0::pe;
using model::cr0::pg;
using model::cr0::wp;

// SDM Vol. 2B MOV (control registers), #GP(0): a reserved bit (63:32) set, PG = 1 with
// PE = 0, NW = 1 with CD = 0; clearing PG in 64-bit mode (Vol. 3A 10.8.5.4). Clearing WP
// is allowed.
TEST(ControlOperationFaults, MovCr0) {
  const auto o = outcomes(vector_with({control(OperationKind::mov_cr0, pe | pg | (std::uint64_t{1} << 32)),
                                       control(OperationKind::mov_cr0, pg), control(OperationKind::mov_cr0, pe | pg | nw),
                                       control(OperationKind::mov_cr0, pe | wp), control(OperationKind::mov_cr0, pe | pg | cd | nw),
                                       control(OperationKind::mov_cr0, pe | pg)}));
  EXPECT_EQ(o, (std::vector<unsigned>{kGP, kGP, kGP, kGP, 0, 0}));
}

using model::efer::lma;
using model::efer::lme;
using model::efer::nxe;
using model::efer::sce;

// SDM Vol. 2B WRMSR, #GP(0) for reserved bits (Vol. 4 IA32_EFER: bits 0, 8, 10, 11 are
// defined here); Vol. 3A 10.8.5: LME cannot change while CR0.PG = 1; NXE needs CPUID NX.
TEST(ControlOperationFaults, WrmsrEfer) {
  auto o = outcomes(vector_with({control(OperationKind::wrmsr_efer, lme | lma | nxe | (1u << 1)),
                                 control(OperationKind::wrmsr_efer, lma | nxe),
                                 control(OperationKind::wrmsr_efer, lme | lma | sce),
                                 control(OperationKind::wrmsr_efer, lme | lma | nxe)}));
  EXPECT_EQ(o, (std::vector<unsigned>{kGP, kGP, 0, 0}));
  Vector no_nx = vector_with({control(OperationKind::wrmsr_efer, lme | lma | nxe)});
  no_nx.initial.features.nx = false;
  no_nx.initial.regs.efer = lme | lma;
  EXPECT_EQ(outcomes(no_nx), (std::vector<unsigned>{kGP}));
}

// SDM Vol. 2B WRPKRU: #UD if CR4.PKE = 0.
TEST(ControlOperationFaults, Wrpkru) {
  Vector v = vector_with({control(OperationKind::wrpkru, 0), control(OperationKind::mov_cr4, model::cr4::pae | model::cr4::pke),
                          control(OperationKind::wrpkru, 0)});
  EXPECT_EQ(outcomes(v), (std::vector<unsigned>{kUD, 0, 0}));
}

// A change in the middle of a vector governs the next access (SDM Vol. 3A 4.6.2: PKRU.AD
// for the page's key forbids the CPL-3 read; a faulting WRPKRU changes nothing).
TEST(ControlOperationFaults, MidVectorPkruChange) {
  Vector v = vector_with({read_at(3), control(OperationKind::wrpkru, 1u << 2), read_at(3), control(OperationKind::wrpkru, 0), read_at(3)},
                         1);
  v.initial.regs.cr4 |= model::cr4::pke;
  EXPECT_EQ(outcomes(v), (std::vector<unsigned>{0, 0, kPF, 0, 0}));
  v.initial.regs.cr4 &= ~model::cr4::pke;  // WRPKRU is #UD: PKRU stays 0, keys are off anyway
  EXPECT_EQ(outcomes(v), (std::vector<unsigned>{0, kUD, 0, kUD, 0}));
}

}  // namespace
}  // namespace vtspec::vectors
