// How a guest walk reaches its paging structures. In a native walk the port is plain
// physical memory and never fails; in a two-dimensional walk every reference is itself
// translated through EPT (SDM Vol. 3C 29.3.1: "guest-physical addresses ... used by the
// paging structures" are translated) and may end in an EPT violation or misconfiguration.
#pragma once

#include <concepts>
#include <cstdint>
#include <type_traits>

#include "spec/domain.hpp"

namespace vtspec::spec {

template <class D>
struct PortRead {
  typename D::Word value;
  typename D::Bool fault;  // the reference itself faulted (e.g. EPT violation); value is junk
};

// `active` says whether the reference really happens (false once the walk has stopped); a
// port must not record faults or trace entries for inactive references.
template <class P, class D>
concept GuestPhysicalPort = requires(P port, const typename D::Word& address, unsigned level,
                                     const typename D::Bool& active) {
  { port.read_entry(address, level, active) } -> std::convertible_to<PortRead<D>>;
  // An accessed/dirty-flag update: a locked read-modify-write of the entry. Returns whether
  // that write faulted.
  { port.update_entry_flags(address, level, active) } -> std::convertible_to<typename D::Bool>;
};

}  // namespace vtspec::spec

namespace vtspec::spec {

// Observers see every memory reference a walk makes, in order. The model's trace is one;
// proofs use NoObserver, which costs nothing.
enum class ReferenceKind : std::uint8_t { guest_entry, guest_entry_update, ept_entry, nested_entry };

struct Reference {
  ReferenceKind kind;
  unsigned guest_level;      // the guest level this reference serves (0: the final access)
  unsigned ept_level;        // for ept_entry / nested_entry: the EPT or nested level; otherwise 0
  std::uint64_t physical;    // host-physical address of the entry
  std::uint64_t guest_physical;  // guest-physical address being translated (EPT) or of the entry
  std::uint64_t value;       // the entry as read
};

struct NoObserver {
  void on_reference(const Reference&) {}
};

// A native walk (no EPT): paging structures live in physical memory, read directly.
template <class D, class Memory, class Observer = NoObserver>
struct DirectPort {
  Memory& memory;
  Observer& observer;

  PortRead<D> read_entry(const typename D::Word& address, unsigned level, const typename D::Bool& active) {
    const typename D::Word value = memory.read_host(address, level, active);
    if constexpr (!std::is_same_v<Observer, NoObserver>) {
      if (active) observer.on_reference({ReferenceKind::guest_entry, level, 0, address, address, value});
    }
    return {value, D::truth(false)};
  }
  typename D::Bool update_entry_flags(const typename D::Word&, unsigned, const typename D::Bool&) {
    return D::truth(false);
  }
};

}  // namespace vtspec::spec
