// libFuzzer entry point for `vtspec oracle` requests (built with clang: docs/oracle.md,
// "Tests"). Any input is one line: its answer must be one line of JSON, and evaluating what
// the loader accepted must not crash the model.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "conformance/oracle/oracle_protocol.hpp"
#include "conformance/runner/json_text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  if (line.find('\n') != std::string_view::npos) return -1;  // serve() never passes a newline
  const vtspec::oracle::Answer answer = vtspec::oracle::answer_request(line);
  if (answer.json.find('\n') != std::string::npos || vtspec::conformance::check_json_syntax(answer.json, 64)) {
    std::fprintf(stderr, "not one line of JSON:\n%s\n", answer.json.c_str());
    std::abort();
  }
  return 0;
}
