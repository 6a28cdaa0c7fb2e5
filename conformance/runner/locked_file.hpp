// A file one process at a time may write: opened for reading and appending, and locked with
// flock(LOCK_EX | LOCK_NB) for as long as this object lives. An flock belongs to the open
// file description, so a second LockedFile of the same file fails at once, in this process
// as in another, and the lock goes when its holder closes the file or dies (kill -9
// included). Changes are made to the file itself, never to a copy renamed over it, which
// would leave a holder writing to an unlinked inode.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <stdexcept>
#include <string>

namespace vtspec::conformance {

class LockedFile {
 public:
  // Another process (or another LockedFile here) holds the lock. holder: its pid as
  // /proc/locks shows it, 0 when that cannot be told.
  struct InUse : std::runtime_error {
    InUse(const std::string& path, pid_t holder);
    pid_t holder;
  };

  // Opens `path` (creating it when absent) and locks it. Throws InUse, or std::runtime_error
  // when it cannot be opened or is not a regular file.
  explicit LockedFile(const std::string& path);
  ~LockedFile();
  LockedFile(const LockedFile&) = delete;
  LockedFile& operator=(const LockedFile&) = delete;

  const std::string& path() const { return path_; }
  std::string read_all() const;
  // Cuts the file to its first `size` bytes.
  void truncate(std::size_t size);
  // Writes `bytes` at the end and waits until they are on disk (a kill meanwhile tears at
  // most these bytes). Throws std::runtime_error when that fails.
  void append(const std::string& bytes);

 private:
  [[noreturn]] void fail(const std::string& what) const;
  std::string path_;
  int fd_ = -1;
};

}  // namespace vtspec::conformance
