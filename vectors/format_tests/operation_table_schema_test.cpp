// The JSON Schemas of vector files (vectors/schema/vector-v1.schema.json; -v2, which adds a
// guest's VMM's invvpid, invept and vm_entry; -v3, which adds the AMD-V ones; and -v4, which
// adds the VMX instructions of a VMX L1) against the operation table
// (model/operation_table.hpp): every vector operation of the table has its definition in the
// schema with the same fields, required fields and value sets, and the schema defines no
// operation the table lacks.
#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>
#include <string>

#include "model/operation_table.hpp"

namespace vtspec::vectors {
namespace {

using model::Presence;

class OperationTableSchema : public ::testing::TestWithParam<const char*> {
 protected:
  YAML::Node schema() const { return YAML::LoadFile(std::string(VTSPEC_SOURCE_DIR) + "/vectors/schema/" + GetParam()); }
  // Does this schema's grammar have the row? Of the VMX rows, a guest under EPT
  // (vtspec/vector/2 on) has its VMM's invvpid, invept and vm_entry between its operations,
  // a VMX L1 (vtspec/vector/4) runs the VMX instructions, and vm_exit is histories' only;
  // AMD-V rows need a guest under nested paging, which vtspec/vector/3 introduced.
  bool has(const model::OperationRow& row) const {
    using K = model::OperationKind;
    const std::string schema = GetParam();
    const bool v2_on = schema != "vector-v1.schema.json";
    const bool v3_on = schema == "vector-v3.schema.json" || schema == "vector-v4.schema.json";
    const bool v4_on = schema == "vector-v4.schema.json";
    const bool vmm = row.kind == K::invvpid || row.kind == K::invept || row.kind == K::vm_entry;
    const bool instruction = row.kind == K::vmxon || row.kind == K::vmxoff || row.kind == K::vmclear ||
                             row.kind == K::vmptrld || row.kind == K::vmptrst || row.kind == K::vmread ||
                             row.kind == K::vmwrite || row.kind == K::vmlaunch || row.kind == K::vmresume ||
                             row.kind == K::vmcall;
    if (row.vmx) return (vmm && v2_on) || (instruction && v4_on);
    return !row.svm || v3_on;
  }
};

std::set<std::string> strings(const YAML::Node& list) {
  std::set<std::string> out;
  for (const auto& item : list) out.insert(item.as<std::string>());
  return out;
}

TEST_P(OperationTableSchema, OperationNamesAreTheTableRowsWithoutVmx) {
  std::set<std::string> rows;
  for (const auto& row : model::operation_table())
    if (has(row)) rows.insert(row.name);
  const YAML::Node defs = schema()["$defs"];
  ASSERT_TRUE(defs["operation"]["properties"]["op"]["enum"].IsSequence());
  EXPECT_EQ(strings(defs["operation"]["properties"]["op"]["enum"]), rows);
  std::set<std::string> defined;
  for (const auto& kv : defs) {
    const std::string key = kv.first.as<std::string>();
    if (key.rfind("op_", 0) == 0) defined.insert(key.substr(3));
  }
  EXPECT_EQ(defined, rows);
  // One if/then per row dispatches to its definition.
  std::set<std::string> dispatched;
  for (const auto& branch : defs["operation"]["allOf"]) {
    const std::string name = branch["if"]["properties"]["op"]["const"].as<std::string>();
    EXPECT_EQ(branch["then"]["$ref"].as<std::string>(), "#/$defs/op_" + name);
    dispatched.insert(name);
  }
  EXPECT_EQ(dispatched, rows);
}

TEST_P(OperationTableSchema, EveryRowHasItsFieldsRequiredFieldsAndValueSets) {
  const YAML::Node defs = schema()["$defs"];
  for (const auto& row : model::operation_table()) {
    if (!has(row)) continue;
    SCOPED_TRACE(row.name);
    const YAML::Node def = defs[std::string("op_") + row.name];
    ASSERT_TRUE(def.IsDefined() && def.IsMap()) << "schema lacks op_" << row.name;
    std::set<std::string> keys, required;
    for (const auto& f : row.fields) {
      keys.insert(f.key);
      if (f.alternative) keys.insert(f.alternative);
      if (f.presence == Presence::required && !f.alternative) required.insert(f.key);
      const YAML::Node property = def["properties"][f.key];
      ASSERT_TRUE(property.IsDefined() && property.IsMap()) << "schema lacks field " << f.key;
      if (f.syntax == model::Syntax::choice) {
        ASSERT_TRUE(property["enum"].IsSequence()) << f.key;
        std::set<std::uint64_t> allowed;
        for (const auto& v : property["enum"]) allowed.insert(v.as<std::uint64_t>());
        EXPECT_EQ(allowed, std::set<std::uint64_t>(f.choices.begin(), f.choices.end())) << f.key;
      }
      if (f.syntax == model::Syntax::boolean) {
        EXPECT_EQ(property["type"].as<std::string>(), "boolean") << f.key;
      }
      if (f.syntax == model::Syntax::reg) {
        EXPECT_EQ(property["$ref"].as<std::string>(), "#/$defs/register") << f.key;
      }
      if (f.alternative) {  // exactly one of the key and its alternative
        ASSERT_TRUE(def["oneOf"].IsSequence()) << f.key;
        std::set<std::string> one;
        for (const auto& branch : def["oneOf"]) {
          const auto names = strings(branch["required"]);
          ASSERT_EQ(names.size(), 1u);
          one.insert(*names.begin());
        }
        EXPECT_EQ(one, (std::set<std::string>{f.key, f.alternative}));
      }
      if (f.presence == Presence::individual_address) {  // required for type 0, refused otherwise
        EXPECT_EQ(def["if"]["properties"]["type"]["const"].as<int>(), 0);
        EXPECT_EQ(strings(def["then"]["required"]), std::set<std::string>{f.key});
        EXPECT_EQ(strings(def["else"]["not"]["required"]), std::set<std::string>{f.key});
      }
    }
    std::set<std::string> schema_keys;
    for (const auto& kv : def["properties"]) schema_keys.insert(kv.first.as<std::string>());
    EXPECT_EQ(schema_keys, keys);
    EXPECT_EQ(def["required"] ? strings(def["required"]) : std::set<std::string>{}, required);
  }
}

INSTANTIATE_TEST_SUITE_P(EverySchema, OperationTableSchema, ::testing::Values("vector-v1.schema.json", "vector-v2.schema.json",
                                                                                "vector-v3.schema.json", "vector-v4.schema.json"));

}  // namespace
}  // namespace vtspec::vectors
