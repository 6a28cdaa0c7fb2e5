#include "checker/generate/vm_entry_witness.hpp"

namespace vtspec::generate {

namespace {

using namespace spec::vmx;
using spec::Concrete;
using Change = std::pair<std::size_t, std::uint64_t>;

bool passes_everything(const VmcsValues<Concrete>& m, const VmxCapabilities& caps) {
  const auto e = evaluate_entry(m, caps);
  return e.allowed.size() == 1 && e.allowed[0].kind == EntryOutcomeKind::success;
}

VmcsValues<Concrete> with(const VmcsValues<Concrete>& from, const Change& c) {
  VmcsValues<Concrete> m = from;
  m.values[c.first] = c.second;
  return m;
}

}  // namespace

std::optional<EntryWitness> find_entry_witness(std::size_t r, const VmcsValues<Concrete>& base, const VmxCapabilities& caps) {
  const auto& table = vm_entry_checks<Concrete>();
  const auto& check = table.at(r);
  // The single changes of a field the check reads (on `from`): clear it, set every bit of
  // its width, flip one bit.
  auto changes = [&](const VmcsValues<Concrete>& from) {
    std::vector<bool> read(kVmcsFieldCount, false);
    from.reads = &read;
    (void)verdict_of(check, EntryInput<Concrete>{from, caps});
    from.reads = nullptr;
    std::vector<Change> out;
    for (std::size_t f = 0; f < kVmcsFieldCount; ++f) {
      const std::uint32_t enc = kVmcsFieldTable[f].encoding;
      // A host-state field only for a host-state check (the L1 targets write the host state).
      const bool host = field_type(enc) == FieldType::host;
      if (!read[f] || (host && check.kind != EntryCheckClass::host_state) || !caps.field_exists(kVmcsFieldTable[f])) continue;
      const std::uint64_t mask = width_mask(field_width(enc));
      out.emplace_back(f, 0);
      out.emplace_back(f, mask);
      for (unsigned b = 0; b < 64; ++b)
        if ((mask >> b) & 1) out.emplace_back(f, from.values[f] ^ (std::uint64_t{1} << b));
    }
    return out;
  };
  auto applies = [&](const VmcsValues<Concrete>& m) {
    return verdict_of(check, EntryInput<Concrete>{m, caps}) != CheckVerdict::not_applicable;
  };
  auto witness_in = [&](const VmcsValues<Concrete>& from, std::vector<Change> before) -> std::optional<EntryWitness> {
    for (const Change& c : changes(from)) {
      if (from.values[c.first] == c.second) continue;
      VmcsValues<Concrete> m = with(from, c);
      const auto e = evaluate_entry(m, caps);
      std::size_t failing = 0;
      bool this_one = false;
      for (const auto& res : e.results)
        if (res.verdict == CheckVerdict::fail) {
          ++failing;
          this_one = this_one || res.row == r;
        }
      if (failing == 1 && this_one && e.allowed.size() == 1) {
        before.push_back(c);
        return EntryWitness{r, std::move(m), std::move(before), e.allowed[0]};
      }
    }
    return std::nullopt;
  };
  if (auto found = witness_in(base, {})) return found;
  if (applies(base)) return std::nullopt;
  // One change that makes the check apply with every check passing, then the witness.
  for (const Change& c : changes(base)) {
    if (base.values[c.first] == c.second) continue;
    const auto m = with(base, c);
    if (applies(m) && passes_everything(m, caps))
      if (auto found = witness_in(m, {c})) return found;
  }
  // Two such changes (the second among the fields the check reads after the first).
  for (const Change& c : changes(base)) {
    if (base.values[c.first] == c.second) continue;
    const auto m = with(base, c);
    if (applies(m)) continue;
    for (const Change& d : changes(m)) {
      if (d.first == c.first || m.values[d.first] == d.second) continue;
      const auto n = with(m, d);
      if (applies(n) && passes_everything(n, caps))
        if (auto found = witness_in(n, {c, d})) return found;
    }
  }
  return std::nullopt;
}

}  // namespace vtspec::generate
