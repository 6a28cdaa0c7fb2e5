// The checked-in record of `vtspec gen --cover`: vectors/cover/classes.txt lists every
// outcome class with its status - covered (reachable, with a replayed witness), unreachable
// (proved), or another status - one `id status` line each. A class whose status changes
// (reachable <-> unreachable, covered <-> not), appears or disappears is a change to what
// the rules allow and must be looked at: `vtspec gen --cover --check` and the cover ctest
// fail until the record is regenerated on purpose with `vtspec gen --cover`.
#pragma once

#include <string>
#include <vector>

#include "checker/coverage/cover.hpp"

namespace vtspec::checker {

inline constexpr const char* kCoverRecordFile = "classes.txt";

const char* status_name(ClassStatus s);
// The record's text for a report.
std::string cover_record(const CoverReport& report);
// One message per class whose status differs from `recorded` (the record's text), naming
// the class and the old and new status; empty when the report matches the record.
std::vector<std::string> cover_record_changes(const CoverReport& report, const std::string& recorded);

}  // namespace vtspec::checker
