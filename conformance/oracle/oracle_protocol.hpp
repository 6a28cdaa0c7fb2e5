// `vtspec oracle`: the model as a service for tools in other languages (protocol
// vtspec/oracle/1, docs/oracle.md). A request is one line of JSON: a vtspec/state/1 state
// and operations in the grammar of vectors (vectors/SCHEMA.md); its answer is one line of
// JSON: for each operation every outcome the architecture allows, with the flags that say
// why and their notes, the A/D bits of the checked entries, and the model's walk trace.
//
// Nothing here reads states or operations itself: a request is handed to the vector loader
// (vectors/format/vector_file.hpp) as a one-vector vtspec/vector/1 document and evaluated by
// vectors::evaluate_on_model, so an answer is what `vtspec gen` would write as that vector's
// expectations, and every refusal is the loader's, naming the request's field.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>

namespace vtspec::oracle {

inline constexpr const char* kProtocol = "vtspec/oracle/1";

// The longest request line, newline excluded: 1 MiB. A one-access request is ~230 bytes,
// one of 1024 operations (the vector limit, vectors/SCHEMA.md) ~45 KiB.
inline constexpr std::size_t kMaxRequestLine = std::size_t{1} << 20;

struct Answer {
  std::string json;    // one line of JSON, without its newline
  bool error = false;  // an error answer ({"id": ..., "error": ...})
};

// The answer to one request line (without its newline). Never throws on any input.
Answer answer_request(std::string_view line);

struct ServeSummary {
  std::size_t requests = 0;  // lines answered
  std::size_t errors = 0;    // answered with an error
  double seconds = 0;        // spent answering (reading and writing aside)
};

// Answers each line of `in` with one line on `out`, in order, flushing each, until the end of
// input. A line longer than kMaxRequestLine is answered with an error and never held whole.
ServeSummary serve(std::istream& in, std::ostream& out);

}  // namespace vtspec::oracle
