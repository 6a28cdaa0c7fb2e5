#include "conformance/runner/locked_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace vtspec::conformance {

namespace {

// Who holds an flock on the file (device, inode), from /proc/locks, whose lines read
// "1: FLOCK  ADVISORY  WRITE 4242 fd:01:123456 0 EOF" (a waiter's have "->" after the
// number); 0 when no line says so.
pid_t flock_holder(const struct stat& file) {
  std::ifstream locks("/proc/locks");
  const std::string where = fmt::format("{:02x}:{:02x}:{}", major(file.st_dev), minor(file.st_dev), file.st_ino);
  for (std::string line; std::getline(locks, line);) {
    std::istringstream fields(line);
    std::string number, type, mode, access, pid, device;
    fields >> number >> type;
    if (type == "->") continue;  // waiting, not holding
    fields >> mode >> access >> pid >> device;
    if (type == "FLOCK" && device == where) return static_cast<pid_t>(std::strtol(pid.c_str(), nullptr, 10));
  }
  return 0;
}

}  // namespace

LockedFile::InUse::InUse(const std::string& path, pid_t holder_pid)
    : std::runtime_error(holder_pid ? fmt::format("{} is locked by process {}", path, holder_pid)
                                    : fmt::format("{} is locked by another process", path)),
      holder(holder_pid) {}

LockedFile::LockedFile(const std::string& path) : path_(path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
  if (fd_ < 0) fail("cannot open");
  try {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail("cannot stat");
    if (!S_ISREG(st.st_mode)) throw std::runtime_error(path + " is not a regular file");
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) throw InUse(path, flock_holder(st));
      fail("cannot lock");
    }
  } catch (...) {
    ::close(fd_);  // the destructor does not run for an object whose constructor threw
    throw;
  }
}

LockedFile::~LockedFile() {
  if (fd_ >= 0) ::close(fd_);
}

void LockedFile::fail(const std::string& what) const {
  throw std::runtime_error(fmt::format("{} {}: {}", what, path_, std::strerror(errno)));
}

std::string LockedFile::read_all() const {
  std::string out;
  char buffer[1 << 16];
  for (off_t at = 0;;) {
    const ssize_t n = ::pread(fd_, buffer, sizeof buffer, at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot read");
    if (n == 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
    at += n;
  }
}

void LockedFile::truncate(std::size_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) fail("cannot truncate");
}

void LockedFile::append(const std::string& bytes) {
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) errno = ENOSPC;  // no progress on a regular file: no room
    if (n <= 0) fail("cannot write");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd_) != 0) fail("cannot sync");
}

}  // namespace vtspec::conformance
