#include <stdexcept>

#include "checker/generate/draft.hpp"
#include "vectors/format/vector_writer.hpp"

namespace vtspec::generate {

std::vector<std::pair<std::string, std::string>> generate_corpus() {
  std::vector<CorpusFile> files;
  for (auto family : {permission_matrix, accessed_dirty, large_pages, reserved_bits, protection_keys, tlb_scenarios,
                       control_operations, dma_remapping, ept_translation, vmx_tagging, npt_translation, vmx_entry_checks,
                       vmx_instruction_errors})
    for (auto& f : family()) files.push_back(std::move(f));
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& f : files) {
    std::vector<vectors::VectorText> texts;
    for (auto& d : f.drafts) {
      complete(d);
      texts.push_back({&d.vector, d.state.yaml()});
    }
    out.emplace_back(f.path, vectors::render_vector_file(f.description, texts));
  }
  return out;
}

}  // namespace vtspec::generate
