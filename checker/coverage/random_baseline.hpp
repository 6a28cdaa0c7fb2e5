// The baseline `vtspec gen --cover` compares with: random machine states and accesses, in
// the style of a RapidCheck generator (biased bits along one translation path), classified
// by replaying them on the model for a fixed time.
#pragma once

#include <set>
#include <string>

namespace vtspec::checker {

struct RandomHits {
  std::set<std::string> ids;
  unsigned long samples = 0;
};

RandomHits random_hits(double seconds, unsigned seed);

}  // namespace vtspec::checker
