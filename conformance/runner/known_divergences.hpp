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

#include <yaml-cpp/yaml.h>

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
  // Reads `file`, keeping the entries for `target`; anything malformed is a
  // vectors::LoadError naming file, line, column and field.
  static KnownDivergences load(const std::string& file, const std::string& target);

  // The run loaded vector `id` with `operations` operations (vectors are loaded one file at a
  // time, so entries are checked as their vectors arrive): an entry for it must name an
  // operation it has, or this is a LoadError at the entry.
  void loaded(const std::string& id, std::size_t operations);
  // The entry listing this divergence, or nullptr; an entry that matches is remembered.
  const KnownDivergence* match(const std::string& vector, std::size_t operation, const std::string& class_key);
  // Entries that matched nothing although their vector was compared in this run (`compared`:
  // ids of vectors that ran to the end, passing, failing or known): the target now agrees.
  std::vector<const KnownDivergence*> fixed(const std::set<std::string>& compared) const;
  bool empty() const { return entries_.empty(); }
  // Entries for vectors this run did not load (a subset of the corpus, or a typo): the
  // runner reports them at the end.
  std::vector<const KnownDivergence*> not_loaded() const;

 private:
  std::vector<KnownDivergence> entries_;
  std::vector<bool> matched_;
  std::vector<bool> loaded_;  // its vector was loaded
  std::vector<YAML::Node> operation_nodes_;  // where each entry's operation is, for errors
  std::vector<std::string> operation_fields_;
};

}  // namespace vtspec::conformance
