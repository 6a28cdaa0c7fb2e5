#include "checker/coverage/cover_record.hpp"

#include <fmt/format.h>

#include <map>
#include <sstream>

namespace vtspec::checker {

const char* status_name(ClassStatus s) {
  switch (s) {
    case ClassStatus::covered: return "covered";
    case ClassStatus::unreachable: return "unreachable";
    case ClassStatus::unknown: return "unknown";
    case ClassStatus::witness_disagrees: return "witness-disagrees";
  }
  return "unknown";
}

std::string cover_record(const CoverReport& report) {
  std::string text =
      "# vtspec gen --cover: the status of every outcome class. Checked by `vtspec gen --cover --check`\n"
      "# and ctest; regenerate on purpose with `vtspec gen --cover` (docs/architecture.md).\n";
  for (const auto& c : report.classes) text += fmt::format("{} {}\n", c.id, status_name(c.status));
  return text;
}

std::vector<std::string> cover_record_changes(const CoverReport& report, const std::string& recorded) {
  std::map<std::string, std::string> old;
  std::istringstream in(recorded);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.find(' ');
    if (space == std::string::npos) continue;
    old[line.substr(0, space)] = line.substr(space + 1);
  }
  std::vector<std::string> changes;
  for (const auto& c : report.classes) {
    const auto it = old.find(c.id);
    const std::string now = status_name(c.status);
    if (it == old.end()) {
      changes.push_back(fmt::format("class {}: not in the record, now {}", c.id, now));
      continue;
    }
    if (it->second != now) changes.push_back(fmt::format("class {}: recorded {}, now {}", c.id, it->second, now));
    old.erase(it);
  }
  for (const auto& [id, status] : old) changes.push_back(fmt::format("class {}: recorded {}, no longer enumerated", id, status));
  return changes;
}

}  // namespace vtspec::checker
