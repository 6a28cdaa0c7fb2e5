// Writes DIR/index.html, the HTML report of two_dimensional_example.hpp's divergence, for the
// browser test (check_html_report.py). usage: vtspec_html_grid_page SOURCE_DIR DIR
#include <cstdio>
#include <exception>

#include "conformance/runner/html_report.hpp"
#include "conformance/runner/tests/two_dimensional_example.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s SOURCE_DIR DIR\n", argv[0]);
    return 2;
  }
  try {
    using namespace vtspec::conformance;
    write_html_report_dir(argv[2], testing::two_dimensional_report(argv[1]), "model (a two-dimensional example)");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
