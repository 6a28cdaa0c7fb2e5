#include "model/vmx/entry_repair.hpp"

#include <algorithm>
#include <bit>
#include <optional>

namespace vtspec::model::vmx {

namespace {

using namespace spec::vmx;
using spec::Concrete;

std::size_t failing_count(const VmcsValues<Concrete>& v, const VmxCapabilities& caps,
                          const std::vector<MsrLoadEntry<Concrete>>& msrs) {
  std::size_t n = 0;
  for (const auto& r : evaluate_entry(v, caps, msrs).results) n += r.verdict == CheckVerdict::fail;
  return n;
}

// Values a capability MSR makes the nearest allowed one.
std::vector<std::uint64_t> capability_candidates(std::uint32_t enc, std::uint64_t v, const VmxCapabilities& c) {
  const auto conform = [&](std::uint64_t msr) { return (v | (msr & 0xffffffffu)) & (msr >> 32); };
  namespace f = vmcs_field;
  switch (enc) {
    case f::pin_based_controls: return {conform(c.pinbased_settings())};
    case f::primary_processor_based_controls: return {conform(c.procbased_settings())};
    case f::secondary_processor_based_controls: return {conform(c.procbased2_settings())};
    case f::vm_exit_controls: return {conform(c.exit_settings())};
    case f::vm_entry_controls: return {conform(c.entry_settings())};
    case f::guest_cr0:
    case f::host_cr0: return {(v | c.cr0_fixed0) & c.cr0_fixed1};
    case f::guest_cr4:
    case f::host_cr4: return {(v | c.cr4_fixed0) & c.cr4_fixed1};
    default: return {};
  }
}

std::optional<FieldChange> fix_one(const VmcsValues<Concrete>& v, const VmxCapabilities& caps,
                                   const std::vector<MsrLoadEntry<Concrete>>& msrs, const EntryCheck<Concrete>& check,
                                   const std::vector<bool>& read) {
  const std::size_t before = failing_count(v, caps, msrs);
  std::optional<FieldChange> best;
  // Rank: a change that makes the check pass before one that makes it not applicable, then
  // fewer changed bits.
  unsigned best_rank = ~0u;
  for (std::size_t p = 0; p < kVmcsFieldCount; ++p) {
    if (!read[p]) continue;
    const auto enc = kVmcsFieldTable[p].encoding;
    const std::uint64_t cur = v.values[p];
    std::vector<std::uint64_t> candidates = capability_candidates(enc, cur, caps);
    for (unsigned b = 0; b < width_bits(field_width(enc)); ++b) candidates.push_back(cur ^ spec::bit_at(b));
    for (const auto to : candidates) {
      const unsigned bits = static_cast<unsigned>(std::popcount(cur ^ to));
      if (bits == 0) continue;
      auto w = v;
      w.values[p] = to;
      const EntryInput<Concrete> in{w, caps};
      const auto verdict = verdict_of(check, in);
      if (verdict == CheckVerdict::fail) continue;
      const unsigned rank = (verdict == CheckVerdict::not_applicable ? 128u : 0u) + bits;
      if (rank >= best_rank) continue;
      if (failing_count(w, caps, msrs) >= before) continue;
      best = FieldChange{p, cur, to, check.id};
      best_rank = rank;
    }
  }
  return best;
}

}  // namespace

std::vector<MsrLoadEntry<Concrete>> loaded_msr_entries(const VmcsValues<Concrete>& vmcs,
                                                       const std::vector<MsrLoadEntry<Concrete>>& area) {
  const auto count = vmcs[vmcs_field::vm_entry_msr_load_count];
  return {area.begin(), area.begin() + static_cast<std::ptrdiff_t>(std::min<std::uint64_t>(count, area.size()))};
}

std::vector<FieldChange> smallest_fix(VmcsValues<Concrete> v, const VmxCapabilities& caps,
                                      const std::vector<MsrLoadEntry<Concrete>>& area) {
  std::vector<FieldChange> changes;
  const auto& table = vm_entry_checks<Concrete>();
  for (unsigned round = 0; round < 32; ++round) {
    const auto msrs = loaded_msr_entries(v, area);
    const auto e = evaluate_entry(v, caps, msrs);
    const CheckResult* first = nullptr;
    for (const auto& r : e.results)
      if (r.verdict == CheckVerdict::fail) {
        first = &r;
        break;
      }
    if (!first) return changes;
    const auto& check = table[first->row];
    std::vector<bool> read(kVmcsFieldCount, false);
    {
      v.reads = &read;
      const EntryInput<Concrete> in{v, caps, first->msr_entry ? &msrs[first->msr_entry - 1] : nullptr};
      (void)verdict_of(check, in);
      v.reads = nullptr;
    }
    std::optional<FieldChange> change;
    if (check.kind == EntryCheckClass::msr_load) {
      // The entry itself is not part of the VMCS: load only the entries before it.
      const auto p = *field_position(vmcs_field::vm_entry_msr_load_count);
      change = FieldChange{p, v.values[p], first->msr_entry - 1u, check.id};
    } else {
      change = fix_one(v, caps, msrs, check, read);
    }
    if (!change) {
      changes.push_back({kVmcsFieldCount, 0, 0, check.id});
      return changes;
    }
    v.values[change->position] = change->to;
    changes.push_back(*change);
  }
  return changes;
}

}  // namespace vtspec::model::vmx
