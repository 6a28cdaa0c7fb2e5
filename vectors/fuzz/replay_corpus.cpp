// Replays the fuzzer's crash-free corpus (vectors/fuzz/corpus) through the loader, so the
// regression check runs in every build, without clang's libFuzzer. Fails if any input makes
// the loader throw something other than LoadError (or crash, which fails the test too).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "vectors/fuzz/load_vector_input.hpp"

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::size_t inputs = 0, accepted = 0;
  for (int i = 1; i < argc; ++i) {
    std::vector<fs::path> files;
    if (fs::is_directory(argv[i])) {
      for (const auto& e : fs::recursive_directory_iterator(argv[i]))
        if (e.is_regular_file()) files.push_back(e.path());
    } else {
      files.push_back(argv[i]);
    }
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      std::ostringstream s;
      s << in.rdbuf();
      const std::string bytes = s.str();
      try {
        accepted += vtspec::vectors::load_vector_input(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      } catch (const std::exception& e) {
        std::cerr << f.string() << ": the loader threw " << e.what() << " instead of LoadError\n";
        return 1;
      }
      ++inputs;
    }
  }
  if (inputs == 0) {
    std::cerr << "no inputs\n";
    return 1;
  }
  std::cout << inputs << " inputs replayed, " << accepted << " accepted as vector files, no crash\n";
  return 0;
}
