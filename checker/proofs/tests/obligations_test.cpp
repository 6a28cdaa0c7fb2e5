// Each proof obligation must be proved for the unmodified rules.
#include <gtest/gtest.h>

#include "checker/proofs/obligation.hpp"

namespace vtspec::checker {
namespace {

class Obligations : public ::testing::TestWithParam<std::size_t> {};

TEST_P(Obligations, IsProved) {
  const Obligation& o = obligations().at(GetParam());
  const ObligationResult r = run_obligation(o, ProveOptions{});
  EXPECT_EQ(r.verdict, Verdict::proved) << o.name << ": " << r.detail
                                        << (r.counterexample ? "\n" + r.counterexample->explanation : "");
  EXPECT_GT(r.cases, 0u);
  std::printf("%s: %s in %.2fs (%u cases)\n", o.name, to_string(r.verdict), r.seconds, r.cases);
}

INSTANTIATE_TEST_SUITE_P(All, Obligations, ::testing::Range<std::size_t>(0, obligations().size()),
                         [](const auto& info) {
                           std::string n = obligations().at(info.param).name;
                           for (char& c : n) if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace vtspec::checker
