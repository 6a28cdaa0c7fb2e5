// The two-dimensional walk: guest paging (SDM Vol. 3A 4.5) whose every paging-structure
// reference, accessed/dirty update and final address is a guest-physical address translated
// through EPT (SDM Vol. 3C 29.3.1 and 29.3.3). With 4-level guest paging and a 4-level EPT a
// TLB-less access makes 4 x (4 + 1) + 4 = 24 memory references; with 5 + 5 levels, 35.
//
// Fault order, per 29.3.3: references happen in walk order, so an EPT violation or
// misconfiguration on a guest paging-structure reference preempts anything the guest walk
// would find below it; a guest #PF (not-present, reserved bit or access rights) is detected
// before the final guest-physical address is used, so it preempts an EPT violation on that
// address. Accessed-flag updates that may happen early are an allowed-outcome choice (see
// AccessedFlagPolicy). The first EPT fault is reported with the Table 28-7 qualification
// (ept_violation_qualification.hpp) of the access that caused it.
#pragma once

#include "spec/ept_guest_reference.hpp"
#include "spec/ept_violation_qualification.hpp"
#include "spec/ept_walk.hpp"
#include "spec/paging_walk.hpp"

namespace vtspec::spec {

template <class D>
struct EptFaultRecord {
  typename D::Bool any;
  typename D::Bool misconfig;
  typename D::Word guest_physical;
  typename D::Word qualification;
  typename D::Word qualification_undefined;
  EptFaultRecord()
      : any(D::truth(false)), misconfig(D::truth(false)), guest_physical(D::word(0)),
        qualification(D::word(0)), qualification_undefined(D::word(0)) {}

  void record_first(const EptWalk<D>& w, const ExitQualification<D>& q, const typename D::Word& gpa,
                    const typename D::Bool& happened) {
    const typename D::Bool first = happened && (w.violation || w.misconfig) && !any;
    misconfig = D::ite(first, w.misconfig, misconfig);
    guest_physical = D::ite(first, gpa, guest_physical);
    qualification = D::ite(first, q.value, qualification);
    qualification_undefined = D::ite(first, q.undefined, qualification_undefined);
    any = any || first;
  }
};

// Where an EptTranslatingPort gets the translation of a guest-physical address. The default
// walks the current EPT paging structures; a TLB model supplies a source that may instead
// answer from a cached guest-physical mapping (SDM Vol. 3C 29.4.2: "for accesses using
// guest-physical addresses, it may use guest-physical mappings associated with the current
// EP4TA"), which keeps one walk for both the fresh and the cached cases.
struct FreshEptTranslation {
  template <class D, class HostMemory>
  EptWalk<D> translate(const EptShape& shape, const typename D::Word& eptp, const typename D::Word& gpa,
                       const EptAccess<D>& access, unsigned /*guest_level*/, const typename D::Bool& /*active*/,
                       HostMemory& memory) {
    return walk_ept<D>(shape, eptp, gpa, access, memory);
  }
};

template <class D, class HostMemory, class Observer = NoObserver, class Source = FreshEptTranslation>
struct EptTranslatingPort {
  using W = typename D::Word;
  using B = typename D::Bool;
  const EptShape& shape;
  W eptp;
  HostMemory& memory;
  Observer& observer;
  EptFaultRecord<D> fault;
  unsigned references = 0;  // concrete count of memory references made
  Source source = {};

  void report(const EptWalk<D>& w, unsigned guest_level, const W& gpa) {
    if constexpr (!std::is_same_v<Observer, NoObserver>) {
      for (unsigned level = shape.levels; level >= 1; --level) {
        if (w.read[level]) {
          observer.on_reference({ReferenceKind::ept_entry, guest_level, level, w.entry_address[level], gpa, w.entry[level]});
        }
        if (level == 1) break;
      }
    }
  }
  void count(const EptWalk<D>& w) {
    if constexpr (std::is_same_v<D, Concrete>) {
      for (unsigned level = 1; level <= shape.levels; ++level) references += w.read[level] ? 1u : 0u;
    }
  }

  EptWalk<D> translate(const W& gpa, const EptReference<D>& reference, unsigned guest_level, const B& active) {
    EptWalk<D> w = source.template translate<D>(shape, eptp, gpa, reference.access, guest_level, active, memory);
    if (D::may_be_true(active)) {
      report(w, guest_level, gpa);
      count(w);
      if constexpr (requires { observer.on_ept_walk(w); }) observer.on_ept_walk(w);
    }
    fault.record_first(w, ept_violation_qualification<D>(shape.caps, w, reference.origin), gpa, active);
    return w;
  }

  // The access kind of a guest paging-structure reference (spec/ept_guest_reference.hpp).
  // A pointer so that mutation tests can plug in a wrong derivation; the rule is the default.
  EptReference<D> (*classify)(const W& eptp, bool update) = &paging_structure_reference<D>;

  PortRead<D> read_entry(const W& gpa, unsigned level, const B& active) {
    const EptWalk<D> w = translate(gpa, classify(eptp, false), level, active);
    const B ok = active && w.translated;
    const W value = memory.read_host(w.physical, 0, ok);
    if constexpr (!std::is_same_v<Observer, NoObserver>) {
      if (ok) observer.on_reference({ReferenceKind::guest_entry, level, 0, w.physical, gpa, value});
    }
    if constexpr (std::is_same_v<D, Concrete>) references += ok ? 1u : 0u;
    return {value, !w.translated};
  }

  B update_entry_flags(const W& gpa, unsigned level, const B& active) {
    const EptWalk<D> w = translate(gpa, classify(eptp, true), level, active);
    if constexpr (!std::is_same_v<Observer, NoObserver>) {
      if (active && w.translated) observer.on_reference({ReferenceKind::guest_entry_update, level, 0, w.physical, gpa, 0});
    }
    return !w.translated;
  }
};

template <class D>
struct TwoDimensionalWalk {
  using W = typename D::Word;
  using B = typename D::Bool;
  PagingWalk<D> guest;
  EptWalk<D> final_access;   // the EPT translation of the final guest-physical address
  B translated;
  B page_fault;
  B ept_violation;
  B ept_misconfig;
  W physical;
  W error_code;
  W guest_physical;          // of the access that faulted in EPT, or the final one
  W qualification;
  W qualification_undefined;
  unsigned references = 0;   // concrete only
};

// The composition itself: a guest walk through `guest_port` (usually `ept_port`; a TLB model
// may wrap it to start from a cached paging-structure entry), then the final guest-physical
// access through `ept_port`, whose fault record decides the outcome.
template <class D, class GuestPort, class EptPort>
TwoDimensionalWalk<D> compose_two_dimensional(const PagingShape& guest_shape, const PagingControl<D>& ctl,
                                              const typename D::Word& cr3, const typename D::Word& linear,
                                              const Access<D>& access, GuestPort& guest_port, EptPort& port,
                                              AccessedFlagPolicy policy = AccessedFlagPolicy::lazy()) {
  using B = typename D::Bool;
  PagingWalk<D> guest = walk_paging<D>(guest_shape, ctl, cr3, linear, access, guest_port, policy);

  const EptReference<D> final_access = final_translation_reference<D>(access, guest.rights);
  const B reaches_final = guest.translated;
  EptWalk<D> fin = port.translate(guest.physical, final_access, 0, reaches_final);

  TwoDimensionalWalk<D> out{guest, fin, D::truth(false), D::truth(false), D::truth(false), D::truth(false),
                            D::word(0), D::word(0), D::word(0), D::word(0), D::word(0), 0};
  out.page_fault = guest.page_fault;
  out.error_code = guest.error_code;
  out.ept_violation = port.fault.any && !port.fault.misconfig;
  out.ept_misconfig = port.fault.any && port.fault.misconfig;
  out.guest_physical = D::ite(port.fault.any, port.fault.guest_physical, guest.physical);
  out.qualification = port.fault.qualification;
  out.qualification_undefined = port.fault.qualification_undefined;
  out.translated = reaches_final && fin.translated;
  out.physical = fin.physical;
  out.references = port.references;
  return out;
}

template <class D, class HostMemory, class Observer = NoObserver>
TwoDimensionalWalk<D> walk_two_dimensional(const PagingShape& guest_shape, const EptShape& ept_shape,
                                           const PagingControl<D>& ctl, const typename D::Word& eptp,
                                           const typename D::Word& cr3, const typename D::Word& linear,
                                           const Access<D>& access, HostMemory& memory, Observer& observer,
                                           AccessedFlagPolicy policy = AccessedFlagPolicy::lazy()) {
  EptTranslatingPort<D, HostMemory, Observer> port{ept_shape, eptp, memory, observer, {}, 0};
  return compose_two_dimensional<D>(guest_shape, ctl, cr3, linear, access, port, port, policy);
}

}  // namespace vtspec::spec
