#include "conformance/runner/divergence_report.hpp"

#include <fmt/format.h>

namespace vtspec::conformance {

namespace {

std::string indent(const std::string& text, const std::string& prefix) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += prefix + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

std::string counted(std::size_t n, const std::string& noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : noun.back() == 's' ? "es" : "s");
}

std::string where(const DivergenceInstance& i) {
  return fmt::format("{} operation {} ({}:{})", i.vector_id, i.operation, i.file, i.line);
}

void write_example(std::ostream& out, const DivergenceInstance& first, const DivergenceExample& e) {
  out << fmt::format("  example: {}: {}\n", where(first), e.operation);
  out << "    allowed:\n";
  for (const auto& a : e.allowed) out << fmt::format("      {:<11} {}\n", a.result + ":", a.outcome);
  out << "    observed: " << e.observed << "\n";
  out << "    differs from the valid outcome: " << e.difference << "\n";
  out << "    model walk trace:\n" << indent(e.trace, "      ");
}

}  // namespace

void write_divergence_classes(std::ostream& out, const std::vector<DivergenceClass>& classes) {
  if (classes.empty()) return;
  std::size_t operations = 0;
  for (const auto& c : classes) operations += c.instances.size();
  out << fmt::format("{} in {}:\n", counted(operations, "divergent operation"), counted(classes.size(), "divergence class"));
  for (std::size_t n = 0; n < classes.size(); ++n) {
    const DivergenceClass& c = classes[n];
    out << fmt::format("CLASS {}: {}\n", n + 1, c.key);
    out << fmt::format("  {} in {}:\n", counted(c.instances.size(), "operation"), counted(c.vectors, "vector"));
    for (std::size_t i = 0; i < c.instances.size() && i < kInstancesListed; ++i) out << "    " << where(c.instances[i]) << "\n";
    if (c.instances.size() > kInstancesListed) out << fmt::format("    ... and {} more\n", c.instances.size() - kInstancesListed);
    if (c.example) write_example(out, c.example_instance, *c.example);
    else out << "  (every instance was resumed from the results file; rerun without --resume for an example)\n";
  }
}

}  // namespace vtspec::conformance
