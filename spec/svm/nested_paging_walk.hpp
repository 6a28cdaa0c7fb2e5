// The nested-paging walk: the guest's IA-32e walk (APM Vol. 2 5.3; SDM Vol. 3A 4.5) whose
// every page-table reference, A/D update and final address is a guest-physical address
// translated by the nested walk (APM Vol. 2 15.25.5) - the AMD counterpart of the EPT 2D walk
// (two_dimensional_walk.hpp). Both dimensions are spec/'s walk_paging: the guest's with the
// guest's controls through NestedTranslatingPort, the nested one with the nested rules
// (nested_paging_mode.hpp) through a DirectPort on host memory.
//
// Fault order (15.25.6): references happen in walk order, so a nested fault on a guest
// page-table access preempts whatever the guest walk would have found below it; a guest #PF
// is detected before the final guest-physical address is translated, so it preempts a nested
// fault on that address. The first nested fault ends the access in #VMEXIT(NPF).
#pragma once

#include "spec/svm/nested_page_fault.hpp"

namespace vtspec::spec::svm {

template <class D>
struct NestedFaultRecord {
  typename D::Bool any;
  typename D::Word guest_physical;  // EXITINFO2
  typename D::Word exit_info1;
  NestedFaultRecord() : any(D::truth(false)), guest_physical(D::word(0)), exit_info1(D::word(0)) {}

  void record_first(const PagingWalk<D>& w, NestedStage stage, const typename D::Word& gpa,
                    const typename D::Bool& happened) {
    const typename D::Bool first = happened && w.page_fault && !any;
    guest_physical = D::ite(first, gpa, guest_physical);
    exit_info1 = D::ite(first, npf_exit_info1<D>(w, stage), exit_info1);
    any = any || first;
  }
};

// Guest-physical memory as the guest walk sees it under nested paging: each reference is
// first translated by a nested walk from nCR3 over host memory.
template <class D, class HostMemory, class Observer = NoObserver>
struct NestedTranslatingPort {
  using W = typename D::Word;
  using B = typename D::Bool;
  const NestedPagingMode& mode;
  W ncr3;
  HostMemory& memory;
  Observer& observer;
  NestedFaultRecord<D> fault;
  unsigned references = 0;  // concrete count of memory references made
  // The access a nested reference is checked with (nested_paging_mode.hpp). A pointer so
  // that mutation tests can plug in a wrong rule; the APM's rule is the default.
  Access<D> (*classify)(NestedStage, const Access<D>&) = &nested_access<D>;

  PagingWalk<D> translate(const W& gpa, NestedStage stage, const Access<D>& guest_access, unsigned guest_level,
                          const B& active) {
    // The nested walk's reads happen only when the reference does (`active`).
    struct GatedPort {
      HostMemory& memory;
      const B& active;
      PortRead<D> read_entry(const W& address, unsigned level, const B& walking) {
        return {memory.read_host(address, level, walking && active), D::truth(false)};
      }
      B update_entry_flags(const W&, unsigned, const B&) { return D::truth(false); }
    } gated{memory, active};
    PagingWalk<D> w = walk_paging<D>(mode.shape(), nested_control<D>(mode), ncr3, gpa, classify(stage, guest_access), gated);
    if (D::may_be_true(active)) {
      if constexpr (!std::is_same_v<Observer, NoObserver>) {
        for (unsigned level = mode.levels; level >= 1; --level) {
          if (w.read[level])
            observer.on_reference({ReferenceKind::nested_entry, guest_level, level, w.entry_address[level], gpa, w.entry[level]});
          if (level == 1) break;
        }
      }
      if constexpr (std::is_same_v<D, Concrete>) {
        for (unsigned level = 1; level <= mode.levels; ++level) references += w.read[level] ? 1u : 0u;
      }
      if constexpr (requires { observer.on_nested_walk(w); }) observer.on_nested_walk(w);
    }
    fault.record_first(w, stage, gpa, active);
    return w;
  }

  PortRead<D> read_entry(const W& gpa, unsigned level, const B& active) {
    const PagingWalk<D> w = translate(gpa, NestedStage::guest_table, Access<D>{}, level, active);
    const B ok = active && w.translated;
    const W value = memory.read_host(w.physical, 0, ok);
    if constexpr (!std::is_same_v<Observer, NoObserver>) {
      if (ok) observer.on_reference({ReferenceKind::guest_entry, level, 0, w.physical, gpa, value});
    }
    if constexpr (std::is_same_v<D, Concrete>) references += ok ? 1u : 0u;
    return {value, !w.translated};
  }

  B update_entry_flags(const W& gpa, unsigned level, const B& active) {
    const PagingWalk<D> w = translate(gpa, NestedStage::guest_table, Access<D>{}, level, active);
    if constexpr (!std::is_same_v<Observer, NoObserver>) {
      if (active && w.translated) observer.on_reference({ReferenceKind::guest_entry_update, level, 0, w.physical, gpa, 0});
    }
    return !w.translated;
  }
};

template <class D>
struct NestedPagingWalk {
  using W = typename D::Word;
  using B = typename D::Bool;
  PagingWalk<D> guest;
  PagingWalk<D> final_access;  // the nested translation of the final guest-physical address
  B translated;
  B page_fault;                // a guest #PF: error_code, CR2 = the linear address
  B nested_page_fault;         // #VMEXIT(NPF): exit_info1, exit_info2
  W physical;
  W error_code;
  W exit_info1;
  W exit_info2;
  unsigned references = 0;     // concrete only
};

template <class D, class GuestPort, class NestedPort>
NestedPagingWalk<D> compose_nested_paging(const PagingShape& guest_shape, const PagingControl<D>& ctl,
                                          const typename D::Word& cr3, const typename D::Word& linear,
                                          const Access<D>& access, GuestPort& guest_port, NestedPort& port,
                                          AccessedFlagPolicy policy = AccessedFlagPolicy::lazy()) {
  PagingWalk<D> guest = walk_paging<D>(guest_shape, ctl, cr3, linear, access, guest_port, policy);
  PagingWalk<D> fin = port.translate(guest.physical, NestedStage::final_address, access, 0, guest.translated);
  NestedPagingWalk<D> out{guest, fin, D::truth(false), guest.page_fault, port.fault.any,
                          fin.physical, guest.error_code, port.fault.exit_info1, port.fault.guest_physical, port.references};
  out.translated = guest.translated && fin.translated;
  return out;
}

template <class D, class HostMemory, class Observer = NoObserver>
NestedPagingWalk<D> walk_nested_paging(const PagingShape& guest_shape, const NestedPagingMode& mode,
                                       const PagingControl<D>& ctl, const typename D::Word& ncr3,
                                       const typename D::Word& cr3, const typename D::Word& linear,
                                       const Access<D>& access, HostMemory& memory, Observer& observer,
                                       AccessedFlagPolicy policy = AccessedFlagPolicy::lazy()) {
  NestedTranslatingPort<D, HostMemory, Observer> port{mode, ncr3, memory, observer, {}, 0};
  return compose_nested_paging<D>(guest_shape, ctl, cr3, linear, access, port, port, policy);
}

}  // namespace vtspec::spec::svm
