#include "conformance/runner/results_file.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace vtspec::conformance {

ResultsFile::ResultsFile(const std::string& path, bool resume) {
  if (resume && std::filesystem::exists(path)) {
    std::ifstream in(path, std::ios::binary);
    std::string line, kept;
    while (std::getline(in, line)) {
      // A line without its newline was being written when the run died: drop it.
      if (in.eof()) break;
      if (auto r = parse_record(line)) {
        previous_[key(r->file, r->id)] = *r;
        kept += line + "\n";
      }
    }
    in.close();
    // Rewrite only the complete records, so appends start on a fresh line.
    const std::string tmp = path + ".tmp";
    {
      std::ofstream o(tmp, std::ios::binary | std::ios::trunc);
      o << kept;
      if (!o) throw std::runtime_error("cannot write " + tmp);
    }
    std::filesystem::rename(tmp, path);
  }
  out_ = std::fopen(path.c_str(), resume ? "ab" : "wb");
  if (!out_) throw std::runtime_error("cannot open results file " + path);
}

ResultsFile::~ResultsFile() {
  if (out_) std::fclose(out_);
}

void ResultsFile::append(const VectorRecord& record) {
  const std::string line = to_json(record) + "\n";
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
  ::fsync(fileno(out_));
}

}  // namespace vtspec::conformance
