// Reading a vtspec input file (vector, state, known-divergences list): only a regular file,
// at most kMaxInputFileSize bytes. A FIFO, a device (/dev/zero), a directory or a socket is
// refused at once: opening one could block forever or read without end.
#pragma once

#include <cstddef>
#include <string>

namespace vtspec::vectors {

// 16 MiB: ~25 times the largest generated file; the parsed YAML tree of a file this size
// takes a few hundred MB, which bounds a run's memory (the runner holds one file at a time).
inline constexpr std::size_t kMaxInputFileSize = std::size_t{16} << 20;

// The file's bytes. Throws LoadError (file, no position) naming what is wrong.
std::string read_input_file(const std::string& path);

}  // namespace vtspec::vectors
