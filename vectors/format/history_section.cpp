#include "vectors/format/history_section.hpp"

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include "vectors/format/load_error.hpp"
#include "vectors/format/yaml_document.hpp"
#include "vectors/format/operation_yaml.hpp"
#include "vectors/format/state_file.hpp"

namespace vtspec::vectors {

std::vector<model::Operation> load_history(const YAML::Node& doc, const std::string& file) {
  std::vector<model::Operation> out;
  if (!doc.IsMap() || !doc["history"]) return out;
  const model::MachineState state = load_state(doc, file);
  OperationContext context;
  context.paging_levels = state.paging_levels();
  context.maxphyaddr = state.features.maxphyaddr;
  context.iommu_refused = "a history runs on the processor; DMA-remapping operations belong in a vector with an iommu: section";
  if (!state.npt) context.svm_refused = "AMD-V operations need a guest under nested paging (the state's npt:)";
  const YAML::Node list = doc["history"];
  if (!list.IsSequence()) throw LoadError(file, list, "history", "expected a list of operations");
  std::size_t i = 0;
  for (const auto& item : list) out.push_back(parse_operation(item, file, fmt::format("history[{}]", i++), context));
  return out;
}

std::vector<model::Operation> load_history_file(const std::string& path) {
  return load_history(load_yaml_file(path), path);
}

}  // namespace vtspec::vectors
