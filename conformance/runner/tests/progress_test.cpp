// The progress line's last drawing (conformance/runner/progress.hpp). A time-bounded run
// (fuzz --time) estimates its total until it ends; when it ends its count is the total,
// even if the run's own deadline clock, started earlier, ran out before the line's did.
#include <gtest/gtest.h>

#include <sstream>

#include "conformance/runner/progress.hpp"

namespace vtspec::conformance {
namespace {

TEST(Progress, ATimeBoundedRunEndsAtItsCountEvenBeforeTheLinesDeadline) {
  std::ostringstream out;
  Progress p(out, true, "vtspec fuzz", "cases");
  p.expect_seconds(3600);  // the line's deadline is an hour away
  p.done(5);
  p.finish();
  EXPECT_NE(out.str().find("vtspec fuzz: 5/5 cases (100%)"), std::string::npos) << out.str();
}

TEST(Progress, ACountBoundedRunShowsItsBoundAndNothingWhenDisabled) {
  std::ostringstream out;
  Progress p(out, true, "vtspec run", "vectors");
  p.expect_total(10);
  p.done(10);
  p.finish();
  EXPECT_NE(out.str().find("vtspec run: 10/10 vectors (100%)"), std::string::npos) << out.str();
  std::ostringstream quiet;
  Progress q(quiet, false, "vtspec run", "vectors");
  q.done(1);
  q.finish();
  EXPECT_EQ(quiet.str(), "");
}

}  // namespace
}  // namespace vtspec::conformance
