// Known divergences: a target's expected-failure list (like kvm-unit-tests' xfail and
// Wycheproof's known-bad results). `vtspec run --known FILE` reports a divergence an entry
// lists as KNOWN, with the entry's reference, instead of FAIL; an entry whose vector now
// agrees is reported as "FIXED?" and fails the run, so the list stays honest. File format:
// vectors/SCHEMA.md "Known divergences".
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "vectors/format/vector.hpp"

namespace vtspec::conformance {

struct KnownDivergence {
  std::string target;
  std::string vector;
  std::optional<std::size_t> operation;  // absent: every divergent operation of the vector
  std::optional<std::string> class_key;  // absent: any class (divergence_class.hpp)
  std::string reference;                 // where the divergence is explained
  std::string verdict;                   // e.g. "KVM bug: ..."
  vectors::SourceLocation source;        // the entry's position in its file

  // "kvm ctrl/mov-cr0-wp operation 13 (FILE:LINE): REFERENCE"
  std::string describe() const;
};

class KnownDivergences {
 public:
  KnownDivergences() = default;
  // Reads `file`, keeping the entries for `target`. An entry for a vector the run loaded
  // (`operations_of`: vector id -> its number of operations) must name an operation it has;
  // an entry for a vector this run did not load (a subset of the corpus, or a typo) is set
  // aside in not_loaded(), which the runner reports; anything malformed is a
  // vectors::LoadError naming file, line, column and field.
  static KnownDivergences load(const std::string& file, const std::string& target,
                               const std::map<std::string, std::size_t>& operations_of);

  // The entry listing this divergence, or nullptr; an entry that matches is remembered.
  const KnownDivergence* match(const std::string& vector, std::size_t operation, const std::string& class_key);
  // Entries that matched nothing although their vector was compared in this run (`compared`:
  // ids of vectors that ran to the end, passing, failing or known): the target now agrees.
  std::vector<const KnownDivergence*> fixed(const std::set<std::string>& compared) const;
  bool empty() const { return entries_.empty(); }
  const std::vector<KnownDivergence>& not_loaded() const { return not_loaded_; }

 private:
  std::vector<KnownDivergence> entries_;
  std::vector<KnownDivergence> not_loaded_;
  std::vector<bool> matched_;
};

}  // namespace vtspec::conformance
