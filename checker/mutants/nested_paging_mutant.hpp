// spec/svm's nested-paging walk with injectable bugs (mutation tests only):
//   nested-access-supervisor   nested accesses are checked as supervisor accesses, not user
//                              accesses (AMD64 APM Vol. 2 15.25.5)
#pragma once

#include "checker/mutants/mutation.hpp"
#include "spec/svm/nested_paging_walk.hpp"

namespace vtspec::checker::mutants {

template <class D>
spec::Access<D> nested_access_as_supervisor(spec::svm::NestedStage stage, const spec::Access<D>& guest) {
  spec::Access<D> a = spec::svm::nested_access<D>(stage, guest);
  a.user = D::truth(false);
  return a;
}

template <class D, class HostMemory>
spec::svm::NestedPagingWalk<D> walk_nested_paging_mutant(Mutation m, const spec::PagingShape& guest_shape,
                                                         const spec::svm::NestedPagingMode& mode,
                                                         const spec::PagingControl<D>& ctl, const typename D::Word& ncr3,
                                                         const typename D::Word& cr3, const typename D::Word& linear,
                                                         const spec::Access<D>& access, HostMemory& memory) {
  spec::NoObserver none;
  spec::svm::NestedTranslatingPort<D, HostMemory> port{mode, ncr3, memory, none, {}, 0};
  if (m == Mutation::nested_access_supervisor) port.classify = &nested_access_as_supervisor<D>;
  return spec::svm::compose_nested_paging<D>(guest_shape, ctl, cr3, linear, access, port, port);
}

}  // namespace vtspec::checker::mutants
