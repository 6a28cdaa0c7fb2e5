// A run report with one divergence whose example is a two-dimensional walk: v1 vectors have no
// EPT (vectors/SCHEMA.md), so the HTML report's grid is tested on a vector built here from
// the state vectors/states/two_dimensional_4k.yaml (a 4-level guest under a 4-level EPT, all
// accessed flags set: a read makes 4 x (4 + 1) + 4 = 24 references, SDM Vol. 3C 29.3.3), read
// at 0x400000 by the model, and a made-up observation that differs from the model's value.
#pragma once

#include <string>

#include "conformance/runner/divergence_class.hpp"
#include "conformance/runner/run_report.hpp"
#include "vectors/format/model_evaluation.hpp"
#include "vectors/format/state_file.hpp"

namespace vtspec::conformance::testing {

inline RunReport two_dimensional_report(const std::string& source_dir) {
  vectors::Vector v;
  v.id = "ept/two-dimensional-read";
  v.initial = vectors::load_state_file(source_dir + "/vectors/states/two_dimensional_4k.yaml");
  model::Operation read;
  read.access = {0x400000, spec::AccessKind::read, 0};
  v.operations.push_back(read);
  const auto steps = vectors::evaluate_on_model(v);
  v.expectations.push_back(steps.at(0).expectation);
  Observation observed;
  observed.ran = true;
  observed.event.value = 0xbad;
  DivergenceClasses classes;
  classes.add(divergence_class(v, 0, observed), {v.id, "(built in memory)", 0, 0},
              divergence_example(v, 0, observed, steps.at(0)));
  RunReport report;
  report.target = "model";
  report.summary.files = report.summary.vectors = report.summary.operations = report.summary.failed = 1;
  report.classes = classes.by_count();
  VectorRecord record;
  record.id = v.id;
  record.status = VectorRecord::Status::fail;
  report.records.push_back(record);
  return report;
}

}  // namespace vtspec::conformance::testing
