#include "checker/coverage/corpus_reach.hpp"

#include <fmt/format.h>

#include "checker/coverage/outcome_classes.hpp"
#include "checker/coverage/vm_entry_classes.hpp"
#include "spec/vmx/vm_entry_checks.hpp"
#include "model/translation.hpp"
#include "vectors/format/corpus_file.hpp"
#include "vectors/format/model_evaluation.hpp"

namespace vtspec::checker {

std::map<std::string, std::string> corpus_reach(const std::vector<std::string>& corpus_paths) {
  std::map<std::string, std::string> first;
  const auto listing = vectors::find_corpus_files(corpus_paths);
  for (const auto& file : listing.files) {
    vectors::CorpusFileContents contents = vectors::load_corpus_file(file);
    if (contents.kind != vectors::CorpusFileContents::Kind::vectors) continue;
    for (std::size_t i = 0; i < contents.vectors.size(); ++i) {
      const vectors::Vector v = contents.vectors.load(i);
      if (v.initial.iommu || v.initial.npt) continue;  // no CPU walk of the classes' kind
      vectors::ModelEvaluation evaluation(v);
      for (std::size_t k = 0; k < v.operations.size(); ++k) {
        const model::Operation& op = v.operations[k];
        // A VMX L1's VMLAUNCH/VMRESUME of a VMCS that fails exactly one check, on the profile
        // of the VM-entry classes (vm_entry_classes.hpp).
        if (v.initial.vmx && v.initial.vmx->profile == kVmEntryCoverProfile &&
            (op.kind == model::OperationKind::vmlaunch || op.kind == model::OperationKind::vmresume)) {
          const auto& vmx = evaluation.machine().vmx();
          if (const auto region = vmx.vmcs_regions.find(vmx.current_vmcs); region != vmx.vmcs_regions.end()) {
            const auto e = spec::vmx::evaluate_entry(region->second.fields, vmx.caps);
            std::vector<std::size_t> failing;
            for (const auto& res : e.results)
              if (res.verdict == spec::vmx::CheckVerdict::fail) failing.push_back(res.row);
            if (failing.size() == 1) {
              const std::string id = vm_entry_class_id(spec::vmx::vm_entry_checks<spec::Concrete>()[failing[0]].id);
              if (!first.count(id)) first[id] = fmt::format("{} operation {}", v.id, k);
            }
          }
        }
        if (op.kind == model::OperationKind::access) {
          const model::MachineState& s = evaluation.machine().state();
          const model::Translation t = model::translate(s, op.access);
          for (const auto& c : outcome_classes())
            if (!first.count(c.id) && model_outcome_in_class(c, s, op.access, t))
              first[c.id] = fmt::format("{} operation {}", v.id, k);
        }
        evaluation.step(op, nullptr, vectors::StepTrace::omit);
      }
    }
  }
  return first;
}

}  // namespace vtspec::checker
