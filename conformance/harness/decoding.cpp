// One step of the harness pipeline (encoding.hpp): the results area back into observations
// (model::Event per operation, and the checked entries read back after it).
#include "conformance/harness/encoding.hpp"

#include <cstring>

#include <fmt/format.h>

namespace vtspec::conformance::harness {

DecodedResults decode(std::span<const std::uint8_t> results, std::uint32_t op_count,
                      std::span<const std::uint64_t> readback) {
  DecodedResults out;
  out.observations.resize(op_count);
  if (results.size() < VT_RESULTS_SIZE) {
    out.failure = "results area truncated";
    return out;
  }
  vt_results_header header;
  std::memcpy(&header, results.data(), sizeof header);
  if (header.magic != VT_RESULTS_MAGIC) {
    out.failure = "the harness never started (no results magic)";
    return out;
  }
  out.ops_done = header.ops_done;
  std::memcpy(out.cpuid, header.cpuid, sizeof out.cpuid);
  out.current_op = header.current_op;
  if (header.failure != 0)
    out.failure = fmt::format("harness failure {}: unexpected exception {} at RIP 0x{:x} (error code 0x{:x})",
                              header.failure, header.unexpected_vector, header.unexpected_rip, header.failure_detail);
  for (std::uint32_t i = 0; i < op_count && i < VT_MAX_OPS; ++i) {
    vt_result r;
    std::memcpy(&r, results.data() + VT_RESULTS_FIRST + i * sizeof r, sizeof r);
    Observation& o = out.observations[i];
    if (r.status == VT_COMPLETED) {
      o.ran = true;
      o.event = model::Event::completed(r.value);  // reads are zero-extended by the harness (entry.S)
    } else if (r.status == VT_EXCEPTION) {
      o.ran = true;
      // CR2 is meaningful for #PF only (SDM Vol. 3A 6.15, interrupt 14).
      o.event = model::Event::exception(r.vector, r.error_code,
                                        r.vector == model::kPageFaultVector ? std::optional<std::uint64_t>(r.cr2) : std::nullopt);
      o.rip = r.rip;
    } else {
      continue;  // not run, or started and never finished (the target says why)
    }
    for (std::size_t k = 0; k < readback.size(); ++k) {
      std::uint64_t value;
      std::memcpy(&value, results.data() + VT_READBACK_VALUES_OFFSET + (std::uint64_t(i) * VT_MAX_READBACK + k) * 8, 8);
      o.entries_after.emplace_back(readback[k], value);
    }
  }
  return out;
}

}  // namespace vtspec::conformance::harness
