// Reading a vtspec input file (vector, state, known-divergences list): only a regular file,
// at most kMaxInputFileSize bytes. A FIFO, a device (/dev/zero), a directory or a socket is
// refused at once: opening one could block forever or read without end.
#pragma once

#include <cstddef>
#include <string>

namespace vtspec::vectors {

// 16 MiB: over 100 times the largest generated file. The runner parses such a file one
// vector at a time (corpus_file.hpp); a file it must parse whole (flow style, anchors)
// costs yaml-cpp's tree, ~75 times its size, so the limit also bounds that.
inline constexpr std::size_t kMaxInputFileSize = std::size_t{16} << 20;

// The file's bytes. Throws LoadError (file, no position) naming what is wrong.
std::string read_input_file(const std::string& path);

}  // namespace vtspec::vectors
