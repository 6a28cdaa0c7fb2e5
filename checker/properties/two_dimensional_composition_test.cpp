// The two-dimensional walk is the guest walk in guest-physical space composed with the EPT
// walk (SDM Vol. 3C 29.3.1): guest paging structures are read at the host-physical address
// EPT gives their guest-physical address, and the final guest-physical address is translated
// the same way.
//
// The guest walk here runs natively over a *view* of guest-physical memory that resolves
// each address with a separate EPT walk, so it shares no plumbing with the two-dimensional
// walk's port. Two properties:
//   - whenever the two-dimensional walk succeeds, the composition succeeds with the same
//     guest-physical and host-physical addresses;
//   - whenever the composition does not fault in EPT - every guest paging-structure page is
//     readable and writable in EPT (writable because A/D updates, and with EPTP[6] = 1 all
//     paging-structure accesses, are writes for EPT, 29.3.3.2) - the two-dimensional walk
//     gives exactly the composition's result: the same #PF, or the same final EPT outcome.
#include <gtest/gtest.h>
// rapidcheck's gtest integration needs gtest declared first.
#include <rapidcheck/gtest.h>

#include "checker/properties/random_walk_inputs.hpp"
#include "spec/two_dimensional_walk.hpp"

namespace vtspec::checker {
namespace {

using spec::Concrete;

// Guest-physical memory as seen through EPT. A reference whose EPT translation fails reads
// zero and is remembered.
struct GuestPhysicalView {
  const EptInputs& ept;
  RandomMemory& host;
  bool ept_faulted = false;   // some paging-structure reference did not translate as a read
  bool all_writable = true;   // every paging-structure reference also translates as a write

  spec::EptWalk<Concrete> resolve(std::uint64_t gpa, bool write) const {
    spec::EptAccess<Concrete> a;
    a.read = !write;
    a.write = write;
    return spec::walk_ept<Concrete>(ept.shape, ept.eptp, gpa, a, host);
  }
  std::uint64_t read_host(std::uint64_t gpa, unsigned /*level*/, bool active) {
    if (!active) return 0;
    const auto as_read = resolve(gpa, false);
    if (!resolve(gpa, true).translated) all_writable = false;
    if (!as_read.translated) {
      ept_faulted = true;
      return 0;
    }
    return host.read_host(as_read.physical, 0, true);
  }
};

struct Composition {
  spec::PagingWalk<Concrete> guest;
  spec::EptWalk<Concrete> final_access;
  spec::ExitQualification<Concrete> qualification;  // of a violation on the final access
  bool ept_faulted;
  bool all_writable;
};

Composition compose(const GuestInputs& in, const EptInputs& ept, RandomMemory& memory) {
  GuestPhysicalView view{ept, memory};
  spec::NoObserver none;
  spec::DirectPort<Concrete, GuestPhysicalView> port{view, none};
  const auto guest = spec::walk_paging<Concrete>(in.shape, in.ctl, in.cr3, in.linear, in.access(), port, in.policy());
  spec::EptAccess<Concrete> a;
  a.read = in.kind == spec::AccessKind::read;
  a.write = in.kind == spec::AccessKind::write;
  a.fetch = in.kind == spec::AccessKind::fetch;
  a.linear_user = guest.rights.user;  // selects bit 10 or bit 2 under MBEC
  spec::EptAccessOrigin<Concrete> origin;  // the final translation of a valid linear address
  origin.linear_writable = guest.rights.writable;
  origin.linear_exec_disabled = guest.rights.exec_disabled;
  const auto final_access = spec::walk_ept<Concrete>(ept.shape, ept.eptp, guest.physical, a, memory);
  const auto q = spec::ept_violation_qualification<Concrete>(ept.shape.caps, final_access, origin);
  return {guest, final_access, q, view.ept_faulted, view.all_writable};
}

struct Inputs {
  RandomPools pools;
  GuestInputs guest;
  EptInputs ept;
};

// Half the cases use an EPT without permission or reserved-bit trouble, so that enough
// walks get through EPT to say something about the composition.
Inputs gen_inputs() {
  Inputs in{*gen_pools(*full_size(rc::gen::arbitrary<bool>())), *gen_guest_inputs(), *gen_ept_inputs()};
  in.ept.shape.caps.maxphyaddr = in.guest.shape.maxphyaddr;
  return in;
}

RC_GTEST_PROP(TwoDimensionalComposition, SuccessIsTheComposedTranslation, ()) {
  const Inputs in = gen_inputs();
  RandomMemory memory{in.pools, {}, {}};
  spec::NoObserver none;
  const auto two_d = spec::walk_two_dimensional<Concrete>(in.guest.shape, in.ept.shape, in.guest.ctl, in.ept.eptp,
                                                          in.guest.cr3, in.guest.linear, in.guest.access(), memory,
                                                          none, in.guest.policy());
  RC_CLASSIFY(two_d.translated, "translated");
  if (!two_d.translated) return;
  const Composition c = compose(in.guest, in.ept, memory);
  RC_ASSERT(!c.ept_faulted);
  RC_ASSERT(c.guest.translated);
  RC_ASSERT(c.final_access.translated);
  RC_ASSERT(two_d.guest.physical == c.guest.physical);
  RC_ASSERT(two_d.physical == c.final_access.physical);
}

RC_GTEST_PROP(TwoDimensionalComposition, WithoutPagingStructureEptFaultsTheResultIsTheComposition, ()) {
  const Inputs in = gen_inputs();
  RandomMemory memory{in.pools, {}, {}};
  const Composition c = compose(in.guest, in.ept, memory);
  RC_PRE(!c.ept_faulted && c.all_writable);
  RC_CLASSIFY(c.guest.translated, "guest translated");
  RC_CLASSIFY(c.guest.translated && c.final_access.translated, "fully translated");

  spec::NoObserver none;
  const auto two_d = spec::walk_two_dimensional<Concrete>(in.guest.shape, in.ept.shape, in.guest.ctl, in.ept.eptp,
                                                          in.guest.cr3, in.guest.linear, in.guest.access(), memory,
                                                          none, in.guest.policy());
  RC_ASSERT(two_d.page_fault == c.guest.page_fault);
  if (c.guest.page_fault) {
    RC_ASSERT(two_d.error_code == c.guest.error_code);
    RC_ASSERT(!two_d.translated && !two_d.ept_violation && !two_d.ept_misconfig);
    return;
  }
  RC_ASSERT(c.guest.translated);
  RC_ASSERT(two_d.guest.physical == c.guest.physical);
  RC_ASSERT(two_d.translated == c.final_access.translated);
  RC_ASSERT(two_d.ept_violation == c.final_access.violation);
  RC_ASSERT(two_d.ept_misconfig == c.final_access.misconfig);
  if (two_d.translated) RC_ASSERT(two_d.physical == c.final_access.physical);
  if (two_d.ept_violation) {
    RC_ASSERT(two_d.guest_physical == c.guest.physical);
    RC_ASSERT(two_d.qualification == c.qualification.value);
  }
}

}  // namespace
}  // namespace vtspec::checker
