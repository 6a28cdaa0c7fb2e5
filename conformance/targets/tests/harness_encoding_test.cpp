// The host side of the harness ABI without KVM: the encoder's mappings and rejections.
#include <gtest/gtest.h>

#include <cstring>
#include <optional>

#include "conformance/harness/encoding.hpp"
#include "conformance/harness/harness_image.hpp"
#include "conformance/harness/operation_encoding.hpp"
#include "model/operation_table.hpp"
#include "conformance/targets/tests/vector_builder.hpp"

namespace vtspec::conformance {
namespace {

using testing::VectorBuilder;
using namespace testing;

TEST(HarnessEncoding, InsertsHarnessPml4EntryIntoEveryTopLevelTable) {
  auto v = VectorBuilder("two-cr3").simple(model::OperationKind::mov_cr3, 0, 0x8000 | (1ull << 63)).build();
  harness::Layout layout;
  auto e = harness::encode(v.initial, v.operations, {}, layout);
  ASSERT_EQ(e.error, "");
  // PML4 entry 511 (byte offset 0xff8) of both tables points at the harness PDPT.
  std::uint64_t expected = (layout.region_gpa + VT_TABLES_OFFSET) | P | RW | US | A;
  EXPECT_EQ(e.encoded.memory.read64(VectorBuilder::kPml4 + 0xff8), expected);
  EXPECT_EQ(e.encoded.memory.read64(0x8000 + 0xff8), expected);
  // The vector's own entries are untouched.
  EXPECT_EQ(e.encoded.memory.read64(VectorBuilder::kPml4), VectorBuilder::kPdpt | P | RW | US);
}

TEST(HarnessEncoding, RejectsVectorsThatCollideWithTheHarness) {
  auto uses511 = VectorBuilder("511").build();
  uses511.initial.memory.write64(VectorBuilder::kPml4 + 0xff8, 0x5000 | P);
  EXPECT_NE(harness::encode(uses511.initial, uses511.operations, {}).error.find("entry 511"), std::string::npos);

  auto high = VectorBuilder("high").access(0xffffffff80001000ull, spec::AccessKind::read, 0).build();
  EXPECT_NE(harness::encode(high.initial, high.operations, {}).error.find("which the harness reserves"), std::string::npos);

  auto far = VectorBuilder("far").poke(VT_KVM_VECTOR_WINDOW, 8, 1).build();
  EXPECT_NE(harness::encode(far.initial, far.operations, {}).error.find("is outside the vector's guest-physical [0, 0x40000000)"),
            std::string::npos);
}

TEST(HarnessEncoding, HarnessRegionMapsUserStubPageOnlyAsUser) {
  harness::Layout layout;
  auto region = harness::build_region(layout);
  const vt_info& info = harness::guest_info();
  auto pte = [&](std::uint64_t linear) {
    std::uint64_t value;
    std::memcpy(&value, region.data() + VT_TABLES_OFFSET + 2 * 4096 + (linear - VT_HARNESS_LINEAR) / 4096 * 8, 8);
    return value;
  };
  EXPECT_EQ(pte(info.user_begin) & (P | US), P | US);
  EXPECT_EQ(pte(info.entry) & (P | US), P);  // harness code is supervisor-only (SMEP-safe)
  EXPECT_EQ(pte(info.entry) & XD, 0u);       // never XD: reserved when EFER.NXE = 0
}

// The harness column covers every row of the model's operation table: each kind either has
// a vt_op code or says why the harness cannot run it.
TEST(HarnessEncoding, EveryOperationOfTheTableHasAnEncodingOrAReason) {
  for (const auto& row : model::operation_table()) {
    SCOPED_TRACE(row.name);
    const auto* e = harness::operation_encoding(row.kind);
    ASSERT_NE(e, nullptr);
    if (e->code == 0) {
      ASSERT_NE(e->unsupported, nullptr);
      EXPECT_NE(std::string(e->unsupported), "");
    }
  }
  for (const auto& e : harness::operation_encodings()) {
    SCOPED_TRACE(model::to_string(e.kind));
    bool in_table = false;
    for (const auto& row : model::operation_table()) in_table = in_table || row.kind == e.kind;
    EXPECT_TRUE(in_table);
  }
}

// The records of the new operations as harness_abi.h defines them: WRMSR EFER and WRPKRU
// carry their value; accesses at CPL 1 and 2 carry the CPL.
TEST(HarnessEncoding, EncodesControlOperationsAndEveryCpl) {
  auto v = VectorBuilder("new-ops")
               .simple(model::OperationKind::wrmsr_efer, 0, 0xd00)
               .simple(model::OperationKind::wrpkru, 0, 0xc)
               .simple(model::OperationKind::mov_cr0, 0, 0x80010001)
               .access(VectorBuilder::linear(0), spec::AccessKind::read, 1)
               .access(VectorBuilder::linear(0), spec::AccessKind::write, 2, 4, 7)
               .build();
  auto e = harness::encode(v.initial, v.operations, {});
  ASSERT_EQ(e.error, "");
  ASSERT_EQ(e.encoded.program.size(), sizeof(vt_program_header) + 5 * sizeof(vt_op));
  vt_op ops[5];
  std::memcpy(ops, e.encoded.program.data() + sizeof(vt_program_header), sizeof ops);
  EXPECT_EQ(ops[0].kind, VT_OP_WRMSR_EFER);
  EXPECT_EQ(ops[0].value, 0xd00u);
  EXPECT_EQ(ops[1].kind, VT_OP_WRPKRU);
  EXPECT_EQ(ops[1].value, 0xcu);
  EXPECT_EQ(ops[2].kind, VT_OP_MOV_CR0);
  EXPECT_EQ(ops[3].kind, VT_OP_ACCESS);
  EXPECT_EQ(ops[3].cpl, 1u);
  EXPECT_EQ(ops[3].access, VT_READ);
  EXPECT_EQ(ops[4].cpl, 2u);
  EXPECT_EQ(ops[4].access, VT_WRITE);
  EXPECT_EQ(ops[4].size, 4u);
  EXPECT_EQ(ops[4].value, 7u);
}

// Every operation of a run of accesses at CPL 0 and 3 carries the run's end (the batch loop,
// guest/batch.S); other operations, CPL 1 and 2 included, carry 0.
// The batch loop runs every access and (Layout::batch_privileged, the default) every
// one-instruction privileged operation; without it, a privileged operation ends a run
// (harness_abi.h, batch_end).
TEST(HarnessEncoding, MarksRunsOfOperationsForTheBatchLoop) {
  auto v = VectorBuilder("runs")
               .access(VectorBuilder::linear(0), spec::AccessKind::read, 0)
               .access(VectorBuilder::linear(0), spec::AccessKind::fetch, 3)
               .simple(model::OperationKind::invlpg, VectorBuilder::linear(0))
               .access(VectorBuilder::linear(0), spec::AccessKind::read, 1)
               .access(VectorBuilder::linear(0), spec::AccessKind::write, 0)
               .build();
  auto batch_ends = [&](const harness::Layout& layout) {
    auto e = harness::encode(v.initial, v.operations, {}, layout);
    EXPECT_EQ(e.error, "");
    std::vector<std::uint32_t> ends(v.operations.size());
    EXPECT_GE(e.encoded.program.size(), sizeof(vt_program_header) + ends.size() * sizeof(vt_op));
    for (std::size_t i = 0; i < ends.size() && e.error.empty(); ++i) {
      vt_op op;
      std::memcpy(&op, e.encoded.program.data() + sizeof(vt_program_header) + i * sizeof op, sizeof op);
      ends[i] = op.batch_end;
    }
    return ends;
  };
  EXPECT_EQ(batch_ends({}), (std::vector<std::uint32_t>{5, 5, 5, 5, 5}));
  harness::Layout interpreted;
  interpreted.batch_privileged = false;
  EXPECT_EQ(batch_ends(interpreted), (std::vector<std::uint32_t>{2, 2, 0, 5, 5}));
}

// The loop's own CPL-3 bookkeeping uses pages of protection key 0: a vector that can run
// with CR4.PKE = 1 and a PKRU that denies key 0 (AD0 or WD0, SDM Vol. 3A 4.6.2) is refused
// with the reason; a PKRU denying only other keys, or PKRU without PKE, runs.
TEST(HarnessEncoding, RefusesVectorsWhoseProtectionKeysDenyKeyZero) {
  auto build = [](std::uint64_t cr4_extra, std::uint64_t pkru, std::optional<std::uint64_t> written_pkru) {
    VectorBuilder b("pkru");
    b.access(VectorBuilder::linear(0), spec::AccessKind::read, 3);
    if (written_pkru) b.simple(model::OperationKind::wrpkru, 0, *written_pkru);
    auto v = b.build();
    v.initial.regs.cr4 |= cr4_extra;
    v.initial.regs.pkru = pkru;
    return harness::encode(v.initial, v.operations, {}).error;
  };
  const std::uint64_t pke = model::cr4::pke;
  EXPECT_NE(build(pke, 0x1, std::nullopt).find("PKRU denies protection key 0"), std::string::npos);  // AD0
  EXPECT_NE(build(pke, 0x2, std::nullopt).find("PKRU denies protection key 0"), std::string::npos);  // WD0
  EXPECT_NE(build(pke, 0x0, 0x1).find("PKRU denies protection key 0"), std::string::npos);           // WRPKRU AD0
  EXPECT_EQ(build(pke, 0xc, std::nullopt), "");                                                      // key 1 only
  EXPECT_EQ(build(0, 0x3, std::nullopt), "");                                                        // PKE = 0
}

// The batch loop's lower-half slot: the highest of 0-255 the vector never reaches, with the
// harness's entry in every top-level table; none when every one is reached.
TEST(HarnessEncoding, BatchLoopRunsInALowerHalfSlotTheVectorNeverReaches) {
  auto alias_of = [](const vectors::Vector& v) {
    auto e = harness::encode(v.initial, v.operations, {});
    EXPECT_EQ(e.error, "");
    vt_program_header h;
    std::memcpy(&h, e.encoded.program.data(), sizeof h);
    return std::pair{h.user_alias, e.encoded.memory.read64(VectorBuilder::kPml4 + 255 * 8)};
  };
  // Slot 255 is free: its entry is the harness's, and the loop's addresses (in slot 511) plus
  // 256 << 39 are slot 255's, modulo 2^64.
  auto [alias, entry] = alias_of(VectorBuilder("free").access(VectorBuilder::linear(0), spec::AccessKind::read, 3).build());
  EXPECT_EQ(alias, 256ull << 39);
  EXPECT_EQ(entry, (harness::Layout{}.region_gpa + VT_TABLES_OFFSET) | P | RW | US | A);
  EXPECT_EQ((VT_HARNESS_LINEAR + alias) >> 39, 255u);
  // An access into slot 255, a present entry there, or a store to it: slot 254.
  auto in_255 = VectorBuilder("access").access(255ull << 39, spec::AccessKind::read, 0).build();
  EXPECT_EQ(alias_of(in_255).first, 255ull << 39);
  auto used = VectorBuilder("entry").build();
  used.initial.memory.write64(VectorBuilder::kPml4 + 255 * 8, VectorBuilder::kPdpt | P);
  EXPECT_EQ(alias_of(used).first, 255ull << 39);
  auto stored = VectorBuilder("store").simple(model::OperationKind::store_entry, VectorBuilder::kPml4 + 255 * 8, 0).build();
  EXPECT_EQ(alias_of(stored).first, 255ull << 39);
  // Every lower-half slot reached: no alias, the loop runs at slot 511.
  auto all = VectorBuilder("all").build();
  for (std::uint64_t slot = 0; slot < 256; ++slot) all.initial.memory.write64(VectorBuilder::kPml4 + slot * 8, VectorBuilder::kPdpt | P);
  EXPECT_EQ(alias_of(all).first, 0u);
}

// Implicit supervisor-mode accesses and VMX operations are refused with the reason.
TEST(HarnessEncoding, RejectsImplicitAccessesAndVmxOperationsWithAReason) {
  auto v = VectorBuilder("implicit").access(VectorBuilder::linear(0), spec::AccessKind::read, 3).build();
  v.operations[0].access.implicit_supervisor = true;
  const auto implicit = harness::encode(v.initial, v.operations, {});
  EXPECT_NE(implicit.error.find("operation 0: implicit supervisor-mode accesses are not generated"), std::string::npos)
      << implicit.error;
  auto vmx = VectorBuilder("vmx").simple(model::OperationKind::invept, 0).build();
  const auto refused = harness::encode(vmx.initial, vmx.operations, {});
  EXPECT_NE(refused.error.find("invept is not supported by the guest harness: VMX operations"), std::string::npos)
      << refused.error;
}

// The guest's GDT has ring-1 and ring-2 code and data descriptors whose DPL is their ring
// (SDM Vol. 3A 3.4.5: DPL in bits 46:45, type in 43:40) for the IRETQ into those rings.
TEST(HarnessEncoding, GdtHasDescriptorsForEveryRing) {
  const vt_info& info = harness::guest_info();
  ASSERT_GE(info.gdt_limit + 1, VT_SEL_RING2_CODE + 8u);
  // The guest fills its GDT at its first entry (descriptors.c): the image holds the
  // descriptor values it writes.
  auto contains = [&](std::uint64_t descriptor) {
    for (std::size_t i = 0; i + 8 <= harness::guest_image().size(); ++i) {
      std::uint64_t v;
      std::memcpy(&v, harness::guest_image().data() + i, 8);
      if (v == descriptor) return true;
    }
    return false;
  };
  const std::pair<std::uint64_t, unsigned> descriptors[] = {{0x00afbb000000ffffull, 1}, {0x00cfb3000000ffffull, 1},
                                                             {0x00afdb000000ffffull, 2}, {0x00cfd3000000ffffull, 2}};
  for (const auto& [descriptor, ring] : descriptors) {
    EXPECT_EQ((descriptor >> 45) & 3, ring);
    EXPECT_TRUE(contains(descriptor)) << std::hex << descriptor;
  }
}

}  // namespace
}  // namespace vtspec::conformance
