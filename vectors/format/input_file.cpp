#include "vectors/format/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "vectors/format/load_error.hpp"

namespace vtspec::vectors {

namespace {

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Closes the descriptor on every path out.
struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string read_input_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO without a writer must not wait for one. fstat on the open
  // descriptor (not stat on the name) so the file checked is the file read.
  const Descriptor d{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)};
  if (d.fd < 0) throw LoadError(path, 0, 0, "", fmt::format("cannot open: {}", std::strerror(errno)));
  struct stat st {};
  if (::fstat(d.fd, &st) != 0) throw LoadError(path, 0, 0, "", fmt::format("cannot stat: {}", std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) throw LoadError(path, 0, 0, "", fmt::format("{}: vtspec reads only regular files", kind_of(st.st_mode)));
  if (static_cast<std::uint64_t>(st.st_size) > kMaxInputFileSize)
    throw LoadError(path, 0, 0, "",
                    fmt::format("{} bytes: larger than the limit of {} MiB for one file (split it)", st.st_size,
                                kMaxInputFileSize >> 20));
  std::string text;
  text.resize(static_cast<std::size_t>(st.st_size));
  std::size_t have = 0;
  // Read to the end, but never past the limit: a file that grows while it is read is cut off
  // with an error, not read without end.
  for (;;) {
    if (have == text.size()) {
      if (text.size() > kMaxInputFileSize) throw LoadError(path, 0, 0, "", "grew past the size limit while being read");
      text.resize(text.size() + 4096);
    }
    const ssize_t n = ::read(d.fd, text.data() + have, text.size() - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw LoadError(path, 0, 0, "", fmt::format("cannot read: {}", std::strerror(errno)));
    }
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  text.resize(have);
  return text;
}

}  // namespace vtspec::vectors
