// One grammar for operations in vectors and in state histories (vectors/format/operation_yaml.*),
// generic over the operation table: every row written by the writer reads back the same,
// the same text means the same operation in both places, and bad fields are errors naming
// the field.
#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include "model/operation_table.hpp"
#include "vectors/format/history_section.hpp"
#include "vectors/format/load_error.hpp"
#include "vectors/format/operation_yaml.hpp"
#include "vectors/format/vector_file.hpp"

namespace vtspec::vectors {
namespace {

using model::Operation;

std::string vector_document(const std::string& operation) {
  return "schema: vtspec/vector/1\nvectors:\n  - id: t/1\n    state: {}\n    operations:\n      - " + operation + "\n";
}
std::string history_document(const std::string& operation) {
  return "schema: vtspec/state/1\nhistory:\n  - " + operation + "\n";
}
Operation from_vector(const std::string& operation) {
  const auto v = load_vector_text(vector_document(operation), "v.yaml");
  return v.at(0).operations.at(0);
}
// DMA-remapping rows need the state's iommu: section, with the sample source id a device.
Operation from_dma_vector(const std::string& operation) {
  const std::string text = "schema: vtspec/vector/1\nvectors:\n  - id: t/1\n    state: { iommu: { profile: qemu-7.2-aw39, "
                           "root_table: 0x100000, devices: [0x12] } }\n    operations:\n      - " + operation + "\n";
  return load_vector_text(text, "v.yaml").at(0).operations.at(0);
}
// AMD-V rows need a guest under nested paging (vtspec/vector/3).
Operation from_npt_vector(const std::string& operation) {
  const std::string text = "schema: vtspec/vector/3\nvectors:\n  - id: t/1\n    state: { npt: { ncr3: 0x80000 }, registers: "
                           "{ cr3: 0x1000 } }\n    operations:\n      - " + operation + "\n";
  return load_vector_text(text, "v.yaml").at(0).operations.at(0);
}
// The VMM's VMX rows need a guest under EPT (vtspec/vector/2).
Operation from_ept_vector(const std::string& operation) {
  const std::string text = "schema: vtspec/vector/2\nvectors:\n  - id: t/1\n    state: { ept: { eptp: { root: 0x3000000 }, "
                           "tables_at: 0x3001000, map: [] } }\n    operations:\n      - " + operation + "\n";
  return load_vector_text(text, "v.yaml").at(0).operations.at(0);
}
Operation from_history(const std::string& operation) {
  return load_history(YAML::Load(history_document(operation)), "h.yaml").at(0);
}
template <class F>
LoadError error_of(F&& load) {
  try {
    load();
  } catch (const LoadError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted";
  return LoadError("", 0, 0, "", "");
}

// A value for each field that differs from its fallback and passes its checks.
std::uint64_t sample(const model::Field& f) {
  switch (f.syntax) {
    case model::Syntax::choice: return f.choices[f.choices.size() / 2];
    case model::Syntax::boolean: return 1;
    case model::Syntax::linear: return 0x7000;
    case model::Syntax::physical: return 0x2008;
    case model::Syntax::cr3: return 0x5000;
    case model::Syntax::reg: return 0x80000011;
    case model::Syntax::number: return 0x12;
  }
  return 0;
}

TEST(OperationGrammar, EveryRowReadsBackWhatTheWriterWrites) {
  for (const auto& row : model::operation_table()) {
    SCOPED_TRACE(row.name);
    Operation op = model::make_operation(row);
    for (const auto& f : row.fields)
      if (f.render != model::Render::never) {
        ASSERT_EQ(model::set_member(op, f.member, sample(f)), "");
      }
    if (row.kind == model::OperationKind::invalidate_context_cache || row.kind == model::OperationKind::invalidate_iotlb) {
      op.type = 3;  // device- / page-selective: the granularity that takes every field
      op.address_mask = 2;
      op.address = 0x4000;  // aligned to the 4 pages AM = 2 selects (VT-d 10.4.8.2)
    }
    const std::string text = fmt::format("{{ {} }}", fmt::join(render_operation_fields(op), ", "));
    const std::string with_expect = text.substr(0, text.size() - 2) + ", expect: ok }";
    const Operation back = row.vmx     ? from_history(text)
                           : row.iommu ? from_dma_vector(with_expect)
                           : row.svm   ? from_npt_vector(with_expect)
                                       : from_vector(with_expect);
    EXPECT_EQ(render_operation_fields(back), render_operation_fields(op)) << text;
    EXPECT_EQ(&model::row_of(back), &row);
    EXPECT_EQ(model::describe(back), model::describe(op));
  }
}

TEST(OperationGrammar, VectorsAndHistoriesReadTheSameText) {
  for (const std::string text : {"{ op: read, va: 0x400000, size: 4, cpl: 2 }", "{ op: write, va: 0x400000, cpl: 3, implicit: true, value: 0x1 }",
                                 "{ op: fetch, va: 0x400000, cpl: 1 }", "{ op: mov_cr0, value: [PE, PG] }",
                                 "{ op: wrmsr_efer, value: [LME, LMA] }", "{ op: wrpkru, value: 0xc }",
                                 "{ op: mov_cr3, value: 0x1000, pcid: 3, no_flush: true }"}) {
    SCOPED_TRACE(text);
    const Operation h = from_history(text);
    const Operation v = from_vector(text.substr(0, text.size() - 2) + ", expect: ok }");
    EXPECT_EQ(render_operation_fields(h), render_operation_fields(v));
  }
  const Operation implicit = from_history("{ op: write, va: 0x400000, cpl: 3, implicit: true, value: 0x1 }");
  EXPECT_EQ(implicit.kind, model::OperationKind::access);
  EXPECT_EQ(implicit.access.kind, spec::AccessKind::write);
  EXPECT_EQ(implicit.access.cpl, 3u);
  EXPECT_TRUE(implicit.access.implicit_supervisor);
  const Operation efer = from_vector("{ op: wrmsr_efer, value: [LME, LMA], expect: ok }");
  EXPECT_EQ(efer.value, (1u << 8) | (1u << 10));  // SDM Vol. 4 IA32_EFER: LME bit 8, LMA bit 10
  const Operation cr3 = from_vector("{ op: mov_cr3, value: 0x1000, pcid: 3, no_flush: true, expect: ok }");
  EXPECT_EQ(cr3.value, 0x8000000000001003ull);
}

// A guest under EPT has a VMM: its INVVPID, INVEPT and VM entries come between the guest's
// operations. Every other VMX operation is histories' only, and a vector without EPT has none.
TEST(OperationGrammar, VmxOperationsAreHistoriesOrAGuestUnderEptsVmm) {
  const Operation entry = from_history("{ op: vm_entry, vpid: 3, eptp: 0x800001e }");
  EXPECT_EQ(entry.kind, model::OperationKind::vm_entry);
  EXPECT_EQ(entry.vpid, 3u);
  const auto e = error_of([] { from_vector("{ op: invept, type: 1, expect: ok }"); });
  EXPECT_EQ(e.field(), "vectors[0].operations[0].op");
  EXPECT_NE(e.message().find("VMX operations need a guest under EPT"), std::string::npos) << e.message();
  const Operation invept = from_ept_vector("{ op: invept, type: 1, eptp: 0x300001e, expect: ok }");
  EXPECT_EQ(invept.kind, model::OperationKind::invept);
  EXPECT_EQ(invept.eptp, 0x300001eu);
  const Operation vm_entry = from_ept_vector("{ op: vm_entry, vpid: 2, eptp: 0x300001e, expect: ok }");
  EXPECT_EQ(vm_entry.vpid, 2u);
  const auto exit = error_of([] { from_ept_vector("{ op: vm_exit, expect: ok }"); });
  EXPECT_EQ(exit.field(), "vectors[0].operations[0].op");
  EXPECT_NE(exit.message().find("runs invvpid, invept and vm_entry"), std::string::npos) << exit.message();
  const auto off = error_of([] { from_ept_vector("{ op: vm_entry, vpid: 1, expect: ok }"); });
  EXPECT_NE(off.message().find("the entry needs an eptp"), std::string::npos) << off.message();
}

TEST(OperationGrammar, TheOldHistoryAccessSpellingIsGone) {
  const auto e = error_of([] { from_history("{ op: access, va: 0x400000, access: read }"); });
  EXPECT_EQ(e.field(), "history[0].op");
  EXPECT_NE(e.message().find("unknown operation 'access' (read, write, fetch,"), std::string::npos) << e.message();
}

TEST(OperationGrammar, BadFieldsNameTheField) {
  struct Case {
    const char* operation;
    const char* field;
    const char* message;
  };
  const Case cases[] = {
      {"{ op: read, va: 0x400000, cpl: 4 }", "cpl", "cpl is 0..3"},
      {"{ op: fetch, va: 0x400000, implicit: true }", "implicit", "not a field of fetch"},
      {"{ op: read, va: 0x400000, value: 1 }", "value", "not a field of read"},
      {"{ op: wrpkru, value: 0x100000000 }", "value", "PKRU is 32 bits"},
      {"{ op: wrmsr_efer, value: [LME, SVME] }", "value", "unknown efer flag 'SVME'"},
      {"{ op: invpcid, type: 1, va: 0x400000 }", "va", "only type 0 (individual address) takes va"},
      {"{ op: invpcid, type: 0 }", "va", "missing (type 0 invalidates one address)"},
      {"{ op: invvpid, type: 0, vpid: 1 }", "va", "missing (type 0 invalidates one address)"},
      {"{ op: invept, type: 3 }", "type", "INVEPT types are 1 and 2"},
      {"{ op: store_entry, gpa: 0x1004, value: 0 }", "gpa", "8-byte aligned"},
      {"{ op: mov_cr3, value: 0x1001, pcid: 2 }", "pcid", "give the PCID in value or in pcid, not both"},
      {"{ op: read, va: 0x800000000000 }", "va", "0x800000000000 is not canonical"},
      {"{ op: write, va: 0x400000, size: 1, value: 0x100 }", "value", "does not fit in 1 bytes"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.operation);
    const auto e = error_of([&] { from_history(c.operation); });
    EXPECT_EQ(e.field(), std::string("history[0].") + c.field);
    EXPECT_NE(e.message().find(c.message), std::string::npos) << e.message();
    EXPECT_EQ(e.line(), 3);
  }
}

}  // namespace
}  // namespace vtspec::vectors
