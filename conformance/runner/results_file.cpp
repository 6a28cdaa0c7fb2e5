#include "conformance/runner/results_file.hpp"

#include <fmt/format.h>

namespace vtspec::conformance {

namespace {

LockedFile lock(const std::string& path) {
  try {
    return LockedFile(path);
  } catch (const LockedFile::InUse& e) {
    throw std::runtime_error(fmt::format("{} is in use by another vtspec run{}", path,
                                         e.holder ? fmt::format(" (pid {})", e.holder) : std::string()));
  }
}

}  // namespace

ResultsFile::ResultsFile(const std::string& path, bool resume, const TargetIdentity& target)
    : file_(lock(path)), target_(target) {
  const std::string text = file_.read_all();
  if (!resume) {
    if (!text.empty())
      throw std::runtime_error(fmt::format("{} exists: pass --resume to continue that run, or name a new file", path));
    return;
  }
  read_records(text);
}

std::size_t read_results_text(const std::string& path, const std::string& text,
                              const std::function<void(VectorRecord&&, std::size_t line)>& each) {
  std::size_t start = 0, line_number = 1;
  for (; start < text.size(); ++line_number) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos) break;  // no newline: torn
    std::string why;
    auto record = parse_record(text.substr(start, end - start), &why);
    if (!record) throw DamagedResults(fmt::format("{}:{}: not a vtspec results record ({})", path, line_number, why));
    each(std::move(*record), line_number);
    start = end + 1;
  }
  return start;
}

void ResultsFile::read_records(const std::string& text) {
  std::size_t start = 0, lines = 0;
  try {
    start = read_results_text(file_.path(), text, [&](VectorRecord&& record, std::size_t line) {
      lines = line;
      if (record.target != target_.name || record.identity != target_.describe())
        throw std::runtime_error(fmt::format(
            "{}:{}: holds results of {}; this run's target is {}: resuming would mix the results of two targets; give "
            "this run another results file",
            file_.path(), line, record.identity.empty() ? record.target : record.identity, target_.describe()));
      ++records_of_id_[record.id];
      previous_.emplace(std::pair{record.id, record.hash}, std::move(record));
    });
  } catch (const DamagedResults& e) {
    throw std::runtime_error(std::string(e.what()) + "; nothing was changed");
  }
  // Only the last line can be torn: records are appended whole, one writer at a time. What
  // is cut off must be the start of a record (to_json begins with the field "file"), so a
  // file that is no results file loses nothing.
  if (start < text.size()) {
    const std::string_view opening = "{\"file\":\"", tail = std::string_view(text).substr(start);
    if (!opening.starts_with(tail.substr(0, opening.size())))
      throw std::runtime_error(fmt::format("{}:{}: not a vtspec results record (a last line without a newline that "
                                           "does not start like one); nothing was changed",
                                           file_.path(), lines + 1));
    torn_bytes_ = text.size() - start;
    file_.truncate(start);
  }
}

const VectorRecord* ResultsFile::find(const std::string& id, const std::string& hash) {
  if (auto it = previous_.find({id, hash}); it != previous_.end()) return &it->second;
  if (auto stale = records_of_id_.find(id); stale != records_of_id_.end()) {
    stale_ += stale->second;
    records_of_id_.erase(stale);  // counted once, even if the id comes again
  }
  return nullptr;
}

void ResultsFile::append(VectorRecord record) {
  record.target = target_.name;
  record.identity = target_.describe();
  file_.append(to_json(record) + "\n");
}

std::vector<std::string> ResultsFile::notes() const {
  std::vector<std::string> out;
  if (torn_bytes_)
    out.push_back(fmt::format("the last line of {} was torn ({} bytes: a run killed while writing it); it was cut off "
                              "and its vector ran again",
                              file_.path(), torn_bytes_));
  if (stale_ == 1)
    out.push_back(fmt::format("1 record in {} is for a vector whose content changed; that vector ran again", file_.path()));
  else if (stale_)
    out.push_back(fmt::format("{} records in {} are for vectors whose content changed; those vectors ran again", stale_,
                              file_.path()));
  return out;
}

}  // namespace vtspec::conformance
