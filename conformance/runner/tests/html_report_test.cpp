// The HTML report's walk pictures (html_report.hpp): the two-dimensional grid places each of a
// 4+4-level walk's 24 references where the SDM's order of a two-dimensional walk puts it
// (Vol. 3C 29.3.2, 29.3.3: before each guest paging-structure entry is read, its
// guest-physical address is translated through the EPT, top EPT level first; after the
// guest walk, the final guest-physical address is). So reference 5(4 - G) + (5 - E) is at
// guest level G, EPT level E, the guest entry of level G is reference 5(5 - G), and the data's
// EPT references are 21 to 24.
#include "conformance/runner/html_report.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "conformance/runner/tests/two_dimensional_example.hpp"

namespace vtspec::conformance {
namespace {

std::string cell(const std::string& grid, unsigned guest, unsigned ept) {
  const std::regex pattern(
      "<td(?: class=\"empty\")? data-guest=\"" + std::to_string(guest) + "\" data-ept=\"" + std::to_string(ept) + "\">(.*?)</td>");
  std::smatch m;
  return std::regex_search(grid, m, pattern) ? m[1].str() : "(no cell)";
}

std::string first_reference(const std::string& cell_html) {
  std::smatch m;
  return std::regex_search(cell_html, m, std::regex("<b>#(\\d+)</b>")) ? m[1].str() : "(none)";
}

TEST(HtmlReport, TwoDimensionalGridPlacesEveryReferenceWhereTheSdmOrdersIt) {
  const RunReport report = testing::two_dimensional_report(VTSPEC_SOURCE_DIR);
  ASSERT_EQ(report.classes.size(), 1u);
  ASSERT_TRUE(report.classes[0].example);
  const auto& walk = report.classes[0].example->walk;
  ASSERT_EQ(walk.size(), 24u);  // the state's own count: 4 x (4 + 1) + 4
  const std::string grid = two_dimensional_grid(walk);
  ASSERT_FALSE(grid.empty());
  for (unsigned g = 4; g >= 1; --g) {
    for (unsigned e = 4; e >= 1; --e)
      EXPECT_EQ(first_reference(cell(grid, g, e)), std::to_string(5 * (4 - g) + (5 - e))) << "guest " << g << ", EPT " << e;
    EXPECT_EQ(first_reference(cell(grid, g, 0)), std::to_string(5 * (5 - g))) << "guest entry of level " << g;
  }
  for (unsigned e = 4; e >= 1; --e) EXPECT_EQ(first_reference(cell(grid, 0, e)), std::to_string(25 - e)) << "data, EPT " << e;
  EXPECT_EQ(cell(grid, 0, 0), "") << "the data access itself is no paging-structure reference";
}

TEST(HtmlReport, OneDimensionalWalkHasNoGrid) {
  model::TraceRow guest_only{{spec::ReferenceKind::guest_entry, 4, 0, 0x1000, 0x1000, 0x2003}, "guest PML4E", "P RW"};
  EXPECT_EQ(two_dimensional_grid({guest_only}), "");
}

TEST(HtmlReport, NestedPagingWalkGetsAGridWithNestedLevels) {
  // A guest PML4E read through a 4-level nested walk (AMD64 APM Vol. 2 15.25.5): the nested
  // entries sit in the nested-level columns of the guest level they serve.
  std::vector<model::TraceRow> walk;
  for (unsigned n = 4; n >= 1; --n)
    walk.push_back({{spec::ReferenceKind::nested_entry, 4, n, 0x80000 + n * 0x1000, 0x1008, 0x27}, "nested", ""});
  walk.push_back({{spec::ReferenceKind::guest_entry, 4, 0, 0x101008, 0x1008, 0x2027}, "guest PML4E", ""});
  const std::string grid = two_dimensional_grid(walk);
  EXPECT_NE(grid.find("guest level \\ nested level"), std::string::npos) << grid;
  EXPECT_NE(grid.find("<th>nested level 4</th>"), std::string::npos) << grid;
  EXPECT_EQ(grid.find("EPT"), std::string::npos) << grid;
}

TEST(HtmlReport, PageHasTheExampleAndNoNetworkAsset) {
  std::ostringstream page;
  write_html_report(page, testing::two_dimensional_report(VTSPEC_SOURCE_DIR), "model");
  const std::string html = page.str();
  EXPECT_NE(html.find("<table class=\"grid2d\">"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"observed\"><th>observed</th><td>completed, value 0xbad</td>"), std::string::npos);
  EXPECT_NE(html.find("Minimal vector: <code>ept/two-dimensional-read</code>"), std::string::npos);
  for (const char* remote : {"src=", "href=", "http:", "https:", "@import", "url("})
    EXPECT_EQ(html.find(remote), std::string::npos) << remote;
}

}  // namespace
}  // namespace vtspec::conformance
