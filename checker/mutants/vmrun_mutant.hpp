// spec/svm's VMRUN consistency checks with injectable bugs (mutation tests only):
//   vmrun-skips-svme-check   the guest EFER.SVME = 0 check is dropped (AMD64 APM Vol. 2 15.5.1)
#pragma once

#include "checker/mutants/mutation.hpp"
#include "spec/svm/vmrun_checks.hpp"

namespace vtspec::checker::mutants {

template <class D>
std::vector<spec::svm::VmrunCheck<D>> vmrun_consistency_checks(Mutation m) {
  auto rows = spec::svm::vmrun_consistency_checks<D>();
  if (m == Mutation::vmrun_skips_svme_check) {
    for (auto& row : rows)
      if (row.id == "vmrun.efer-svme")
        row.holds = [](const spec::svm::VmrunInput<D>&, const spec::svm::SvmCapabilities&) { return D::truth(true); };
  }
  return rows;
}

}  // namespace vtspec::checker::mutants
