// A vector's content hash: 16 hex digits of a 64-bit FNV-1a over a canonical serialization of
// everything that decides the vector's outcome and its judgement: id, initial state (features,
// registers, every memory frame), operations, every allowed outcome with its flags, the notes
// those flags name, the checked entries and the hand-written requires:. Layout, comments and
// the file's path do not enter it, so the same vector gets the same hash wherever it is spelt;
// any edit that changes what runs or what is expected changes it. The results file keys its
// records by id and hash (conformance/runner/results_file.hpp), so a vector edited after its
// record was written runs again.
#pragma once

#include <string>

#include "vectors/format/vector.hpp"

namespace vtspec::vectors {

std::string content_hash(const Vector& vector);

}  // namespace vtspec::vectors
