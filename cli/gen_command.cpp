// `vtspec gen [--out DIR] [--check]`: write the conformance corpus with expectations taken
// from the model; --check instead compares DIR with what would be written (drift check).
// `vtspec gen --space access [--out DIR]`: stream a generated space instead (gen_space.hpp).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "checker/coverage/cover.hpp"
#include "checker/generate/draft.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/gen_space.hpp"

namespace vtspec::cli {

namespace {
struct GenOptions {
  std::string out = "vectors/corpus";
  bool check = false;
};

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

Action add_gen_command(CLI::App& app) {
  auto opts = std::make_shared<GenOptions>();
  auto* cmd = app.add_subcommand("gen", "Generate the conformance corpus (vector files) with expectations from the model.");
  cmd->add_option("--out", opts->out, "Corpus directory (default vectors/corpus)");
  cmd->add_flag("--check", opts->check, "Do not write: exit 1 if DIR differs from what gen would write (with --cover: if a class changed status against DIR/classes.txt)");
  static bool cover = false;  // --cover: Z3 witnesses per outcome class (checker/coverage)
  cmd->add_flag("--cover", cover, "Write a Z3 witness for every reachable outcome class to DIR (default vectors/cover)");
  auto space = std::make_shared<SpaceGenOptions>();
  cmd->add_option("--space", space->space,
                  "Stream a generated space instead of the corpus: 'access' (kvm-unit-tests' access-test space and more, "
                  "docs/access-space.md), to --out DIR or stdout; never checked in");
  cmd->add_option("--target", space->target, "With --space: generate only what this target (model, kvm) can run")
      ->check(CLI::IsMember({"model", "kvm"}));
  cmd->add_option("--maxphyaddr", space->maxphyaddr, "With --space: the virtual CPU's MAXPHYADDR (default 36)");
  cmd->add_flag("--kvm-unit-tests", space->kvm_unit_tests_only, "With --space access: only the part access.c covers");
  cmd->add_option("--limit", space->limit, "With --space: stop after this many cases");
  cmd->add_option("--sample", space->every, "With --space: a sample, one vector group in N");
  return [opts, space, cmd]() -> int {
    if (!space->space.empty()) {
      space->out = cmd->count("--out") ? opts->out : "";
      return run_space_generation(*space);
    }
    if (cover) return checker::run_cover_cli(opts->out == "vectors/corpus" ? "vectors/cover" : opts->out, opts->check);
    namespace fs = std::filesystem;
    std::vector<std::pair<std::string, std::string>> files;
    try {
      files = generate::generate_corpus();
    } catch (const std::exception& e) {
      std::cerr << "vtspec gen: generator failed: " << e.what() << "\n";
      return kCheckFailed;
    }
    std::size_t vectors = 0, operations = 0;
    for (const auto& [path, text] : files) {
      for (std::size_t at = text.find("\n  - id: "); at != std::string::npos; at = text.find("\n  - id: ", at + 1)) ++vectors;
      for (std::size_t at = text.find("\n      - { op: "); at != std::string::npos; at = text.find("\n      - { op: ", at + 1)) ++operations;
    }
    if (opts->check) {
      int drift = 0;
      std::set<std::string> expected;
      for (const auto& [path, text] : files) {
        expected.insert(path);
        const fs::path p = fs::path(opts->out) / path;
        if (!fs::exists(p)) {
          std::cout << "missing: " << p.string() << "\n";
          ++drift;
        } else if (read_file(p) != text) {
          std::cout << "differs: " << p.string() << "\n";
          ++drift;
        }
      }
      std::error_code ec;
      for (auto it = fs::recursive_directory_iterator(opts->out, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file() || it->path().extension() != ".yaml") continue;
        const std::string rel = fs::relative(it->path(), opts->out).generic_string();
        if (!expected.count(rel)) {
          std::cout << "not generated: " << it->path().string() << "\n";
          ++drift;
        }
      }
      if (drift) {
        std::cout << fmt::format("vtspec gen --check: {} file(s) of {} drifted from the generator; run `vtspec gen --out {}`\n",
                                 drift, opts->out, opts->out);
        return kCheckFailed;
      }
      std::cout << fmt::format("vtspec gen --check: {} files, {} vectors, {} operations match the generator\n", files.size(),
                               vectors, operations);
      return kOk;
    }
    for (const auto& [path, text] : files) {
      const fs::path p = fs::path(opts->out) / path;
      fs::create_directories(p.parent_path());
      std::ofstream out(p, std::ios::binary | std::ios::trunc);
      out << text;
      if (!out) {
        std::cerr << "vtspec gen: cannot write " << p.string() << "\n";
        return kBadInput;
      }
    }
    std::cout << fmt::format("vtspec gen: wrote {} files, {} vectors, {} operations to {}\n", files.size(), vectors,
                             operations, opts->out);
    return kOk;
  };
}

}  // namespace vtspec::cli
