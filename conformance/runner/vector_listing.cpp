#include "conformance/runner/vector_listing.hpp"

#include <fmt/format.h>

#include "vectors/format/corpus_file.hpp"
#include "vectors/format/load_error.hpp"

namespace vtspec::conformance {

std::string describe_needs(const model::CpuNeeds& needs) {
  std::vector<std::string> features;
  for (const auto& [feature, present] : needs.features)
    features.push_back(present ? model::to_string(feature) : fmt::format("no {}", model::to_string(feature)));
  return fmt::format("MAXPHYADDR {}; {}; {}", needs.maxphyaddr, features.empty() ? "no feature" : fmt::format("{}", fmt::join(features, ", ")),
                     fmt::join(needs.abilities, ", "));
}

int list_vectors(const std::vector<std::string>& paths, const Shard& shard, std::ostream& out, std::ostream& err) {
  int code = 0;
  std::size_t files = 0;
  const vectors::CorpusListing listing = vectors::find_corpus_files(paths);
  for (const auto& [dir, why] : listing.unlisted) {
    err << fmt::format("error: {}: cannot list directory: {}\n", dir, why);
    code = 2;
  }
  for (const vectors::CorpusFile& file : listing.files) {
    vectors::CorpusFileContents contents;
    try {
      contents = vectors::load_corpus_file(file);
    } catch (const vectors::LoadError& e) {
      err << "error: " << e.what() << "\n";
      code = 2;
      continue;
    }
    if (contents.kind != vectors::CorpusFileContents::Kind::vectors) continue;
    ++files;
    bool header = false;
    for (std::size_t i = 0; i < contents.vectors.size(); ++i) {
      const vectors::Vector v = contents.vectors.load(i);
      if (!shard.contains(v.id)) continue;
      if (!header) out << file.path << "\n";
      header = true;
      out << fmt::format("  {}  # needs: {}\n", v.id, describe_needs(vectors::needs_of(v)));
    }
  }
  if (files == 0 && code == 0) {
    err << "error: no vector files found\n";
    code = 2;
  }
  return code;
}

}  // namespace vtspec::conformance
