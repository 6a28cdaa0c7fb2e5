// Which outcome classes of `vtspec gen --cover` the runnable corpus reaches: the Z3 witnesses
// (vectors/cover/) are states for `vtspec walk`, laid out wherever Z3 put them (addresses a
// real target cannot give a vector, MAXPHYADDR 46); the corpus vectors are what targets run.
// For every access of every CPU vector, the model's fresh walk at that point is classified
// exactly as the witnesses are (outcome_classes.hpp); a class the corpus reaches has a
// runnable vector with real expectations, the first such operation naming it.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace vtspec::checker {

// class id -> "VECTOR-ID operation K" of the first corpus operation in that class.
std::map<std::string, std::string> corpus_reach(const std::vector<std::string>& corpus_paths);

}  // namespace vtspec::checker
