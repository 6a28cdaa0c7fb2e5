#include "cli/mutated_target.hpp"

#include "checker/mutants/access_rights_mutant.hpp"
#include "checker/mutants/mutation.hpp"
#include "conformance/runner/model_target.hpp"
#include "conformance/runner/shadow_model_target.hpp"

namespace vtspec::cli {

namespace {

// Only the access-rights mutants are reachable by vtspec/vector/1 vectors on the model (no
// EPT; the TLB mutant lives in the proofs' copy of the flush rule, not in the model's TLB).
std::unique_ptr<conformance::Target> mutated_model(const std::string& name, std::string& error) {
  const auto m = checker::mutation_by_name(name);
  if (!m) {
    error = "unknown mutation '" + name + "'";
    return nullptr;
  }
  if (!checker::mutants::mutates_access_rights(*m)) {
    error = "mutation '" + name + "' is not reachable by vtspec/vector/1 vectors on the model target (" +
            checker::mutation_info(*m).description + ")";
    return nullptr;
  }
  auto rules = std::make_shared<model::RuleOverride>();
  const checker::Mutation mutation = *m;
  rules->redecide_walk = [mutation](const spec::PagingControl<spec::Concrete>& ctl, const spec::Access<spec::Concrete>& acc,
                                    spec::PagingWalk<spec::Concrete>& w) {
    checker::mutants::redecide<spec::Concrete>(mutation, ctl, acc, w);
  };
  return std::make_unique<conformance::ModelTarget>(rules, name);
}

}  // namespace

std::unique_ptr<conformance::Target> make_mutated_target(const std::string& target, const std::string& mutation,
                                                          std::string& error) {
  if (const auto* shadow = model::shadow::shadow_target_named(target)) {
    const auto bug = model::shadow::shadow_bug_named(mutation);
    if (!bug) {
      error = "unknown shadow VMM mutation '" + mutation + "' (" + model::shadow::shadow_bug_names() + ")";
      return nullptr;
    }
    return std::make_unique<conformance::ShadowModelTarget>(*shadow, *bug);
  }
  if (target == "model") return mutated_model(mutation, error);
  error = "--mutation needs --target model or a shadow-model target";
  return nullptr;
}

}  // namespace vtspec::cli
