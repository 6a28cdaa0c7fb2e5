// `vtspec gen --cover`: enumerate the outcome classes of a translation (and, in
// vm_entry_classes.hpp, of a VM entry: each check failing alone) - each #PF error code
// per access kind and CPL, each EPT-violation qualification pattern (of a final access and
// of an access to a guest paging-structure entry), each EPT-misconfiguration reason, each accessed/dirty effect - ask Z3 for a witness state of
// each, prove the others unreachable, replay every witness on the model, and compare with
// random generation given the same time.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace vtspec::checker {

struct CoverOptions {
  std::string out_dir = "vectors/cover";  // witness files; empty: do not write
  unsigned timeout_ms = 20000;            // per solver query
  unsigned seed = 1;                      // random baseline
};

enum class ClassStatus { covered, unreachable, unknown, witness_disagrees };

struct OutcomeClassResult {
  std::string id;
  std::string family;       // "#PF", "EPT violation", "EPT misconfiguration", "A/D"
  std::string description;
  ClassStatus status = ClassStatus::unknown;
  std::string detail;       // unreachable: the reason; covered: the model's expectation
  std::string file;
  bool random_hit = false;
  bool random_comparable = true;  // false: the random baseline does not generate this family (VMCSs)
};

struct CoverReport {
  std::vector<OutcomeClassResult> classes;
  double smt_seconds = 0;
  unsigned long random_samples = 0;
};

CoverReport run_cover(const CoverOptions& options);
// Prints the report; returns the exit status (0 when every reachable class is covered).
int print_cover_report(const CoverReport& report, std::FILE* out);
// `vtspec gen --cover [--out DIR]`: run, write witnesses and the record (cover_record.hpp)
// to `out_dir`, print the report. With `check`: write nothing, compare the classes' status
// with the record in `out_dir` and fail (1) on any change.
int run_cover_cli(const std::string& out_dir, bool check = false);

}  // namespace vtspec::checker
