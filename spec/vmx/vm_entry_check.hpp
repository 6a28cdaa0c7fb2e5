// A VM-entry check as one cited rule: its id, SDM section, class, when it applies under the
// controls, and what must hold (SDM Vol. 3C 27.2-27.4). A check names WHAT failed; the
// separate outcome rule (vm_entry_outcome.hpp) maps the failing classes to VMfailValid 7/8,
// VM exit 33 or 34. The rules are written over a value domain (spec/domain.hpp): Concrete
// for the model and `vtspec explain-entry`, Symbolic for the proof obligation
// "vm-entry-checks".
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "spec/domain.hpp"
#include "spec/vmx/vmcs_fields.hpp"
#include "spec/vmx/vmx_capabilities.hpp"
#include "spec/vmx/vmx_controls.hpp"

namespace vtspec::spec::vmx {

enum class EntryCheckClass : std::uint8_t {
  control,     // 27.2.1: VMfailValid(7)
  host_state,  // 27.2.2, 27.2.3: VMfailValid(8)
  guest_state, // 27.3.1: VM-entry failure, exit reason 33
  msr_load,    // 27.4: VM-entry failure, exit reason 34
};
inline const char* to_string(EntryCheckClass c) {
  switch (c) {
    case EntryCheckClass::control: return "control";
    case EntryCheckClass::host_state: return "host-state";
    case EntryCheckClass::guest_state: return "guest-state";
    case EntryCheckClass::msr_load: return "msr-load";
  }
  return "?";
}

// The VMCS as the checks read it: one value per row of kVmcsFieldTable. A concrete VMCS can
// record which fields a check read (`reads`), so explain-entry can say what to change.
template <class D>
struct VmcsValues {
  using W = typename D::Word;
  std::vector<W> values;
  mutable std::vector<bool>* reads = nullptr;

  const W& operator[](std::uint32_t encoding) const {
    const auto p = field_position(encoding);
    if (!p || *p >= values.size()) throw std::out_of_range("VMCS field not in the field table");
    if (reads && *p < reads->size()) (*reads)[*p] = true;
    return values[*p];
  }
};

// One entry of the VM-entry MSR-load area (25.8.2, Table 25-16): bits 31:0 MSR index, bits
// 63:32 reserved, bits 127:64 the data.
template <class D>
struct MsrLoadEntry {
  typename D::Word index_and_reserved;
  typename D::Word data;
};

// A concrete VMCS with every field 0.
inline VmcsValues<Concrete> zero_vmcs() { return {std::vector<std::uint64_t>(kVmcsFieldCount, 0)}; }

template <class D>
struct EntryInput {
  using W = typename D::Word;
  using B = typename D::Bool;
  const VmcsValues<D>& vmcs;
  const VmxCapabilities& caps;
  // The MSR-load entry the MSR-load checks (27.4) are applied to; none for the others.
  const MsrLoadEntry<D>* msr_entry = nullptr;

  W operator[](std::uint32_t encoding) const { return vmcs[encoding]; }
  B bit(std::uint32_t encoding, unsigned n) const { return D::bit(vmcs[encoding], n); }
  B pin(unsigned n) const { return bit(vmcs_field::pin_based_controls, n); }
  B proc(unsigned n) const { return bit(vmcs_field::primary_processor_based_controls, n); }
  // 25.6.2: with "activate secondary controls" = 0 the processor operates as if all the
  // secondary processor-based VM-execution controls were 0.
  B proc2(unsigned n) const {
    return proc(proc::activate_secondary) && bit(vmcs_field::secondary_processor_based_controls, n);
  }
  B exit(unsigned n) const { return bit(vmcs_field::vm_exit_controls, n); }
  B entry(unsigned n) const { return bit(vmcs_field::vm_entry_controls, n); }
  B ia32e_guest() const { return entry(entry_ctl::ia32e_mode_guest); }
  B host_64() const { return exit(exit_ctl::host_address_space_size); }
  B unrestricted() const { return proc2(proc2::unrestricted_guest); }
};

template <class D>
struct EntryCheck {
  using B = typename D::Bool;
  std::string id;
  const char* sdm;
  EntryCheckClass kind;
  const char* rule;  // the SDM's condition in words
  B (*applies)(const EntryInput<D>&, unsigned);  // nullptr: always applies
  B (*holds)(const EntryInput<D>&, unsigned);
  unsigned param = 0;          // a segment, an address field, ... (the row's instance)
  unsigned qualification = 0;  // guest-state checks: the exit qualification (Table 28-? "VM-entry failures")
};

// Collects the rows of one class (each check file builds its part of the table with it).
template <class D>
struct EntryCheckList {
  using B = typename D::Bool;
  using Predicate = B (*)(const EntryInput<D>&, unsigned);
  EntryCheckClass kind;
  std::vector<EntryCheck<D>> rows{};
  void add(std::string id, const char* sdm, const char* rule, Predicate applies, Predicate holds, unsigned param = 0,
           unsigned qualification = 0) {
    rows.push_back({std::move(id), sdm, kind, rule, applies, holds, param, qualification});
  }
};

// ---- Value helpers ---------------------------------------------------------------------------

// a <= b for values below 2^63 (every field compared this way is at most 32 bits wide).
template <class D>
typename D::Bool small_le(const typename D::Word& a, const typename D::Word& b) {
  return !D::bit(b - a, 63);
}

// Canonical for a linear-address width of `bits` (Vol. 1 3.3.7.1): bits 63:bits-1 all equal.
template <class D>
typename D::Bool canonical(const typename D::Word& w, unsigned bits) {
  const std::uint64_t high = bit_range(63, bits - 1);
  const auto h = w & D::word(high);
  return h == D::word(0) || h == D::word(high);
}

// "Bits 11:0 ... must be 0" and "must not set any bits beyond the processor's
// physical-address width" (27.2.1.1 for every address of a bitmap, table or page).
template <class D>
typename D::Bool physical_address_ok(const typename D::Word& a, unsigned align_bits, unsigned maxphyaddr) {
  std::uint64_t bad = bit_range(63, maxphyaddr);
  if (align_bits) bad |= bit_range(align_bits - 1, 0);
  return !D::any(a, bad);
}

}  // namespace vtspec::spec::vmx
