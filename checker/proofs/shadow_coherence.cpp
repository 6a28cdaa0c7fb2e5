#include "checker/proofs/shadow_coherence.hpp"

#include <fmt/format.h>

#include "checker/generate/draft.hpp"
#include "spec/control_registers.hpp"
#include "spec/paging_entry.hpp"
#include "vectors/format/model_evaluation.hpp"
#include "vectors/format/outcome_match.hpp"
#include "vectors/format/vector_writer.hpp"

namespace vtspec::checker {

namespace {

using model::Operation;
using model::OperationKind;
using model::shadow::ShadowBug;
using model::shadow::ShadowVmm;
using model::shadow::ShadowPolicy;
using model::shadow::SyncPolicy;

// Two user pages in one page table, and a third page of that table mapping the table itself
// as data (so guest writes reach a paging structure through an ordinary mapping).
constexpr std::uint64_t kPageA = 0x8000000000ull, kPageB = 0x8000001000ull, kTableAlias = 0x8000002000ull;
constexpr std::uint64_t kDataA = generate::kDataAt, kDataB = generate::kDataAt + 0x1000;
constexpr unsigned kDepth = 4;  // operations per sequence

constexpr std::uint64_t bit(unsigned b) { return spec::bit_at(b); }
constexpr std::uint64_t P = bit(spec::pte::present), RW = bit(spec::pte::writable), US = bit(spec::pte::user),
                        A = bit(spec::pte::accessed), D = bit(spec::pte::dirty);

vectors::EntryValues entries_after(const vectors::Vector& v, const model::MachineState& guest) {
  vectors::EntryValues out;
  out.reserve(v.entries.size());
  for (const auto& e : v.entries) out.emplace_back(e.physical, guest.memory.read64(e.physical));
  return out;
}

CoherenceSpace make_space() {
  generate::Draft d;
  d.vector.id = "shadow-coherence";
  d.vector.description = "shadow-coherence space";
  // A's PTE starts with D = 0: its shadow is read-only until the first write, which the VMM
  // takes (so a write can fault on the hardware while the guest's walk succeeds). B is a
  // read-only user page: a supervisor write under CR0.WP = 0 may write it (4.6.1).
  d.state.mappings = {
      fmt::format("{{ va: {:#x}, pa: {:#x}, size: 4K, flags: [P, RW, US, A], upper: [P, RW, US, A] }}", kPageA, kDataA),
      fmt::format("{{ va: {:#x}, pa: {:#x}, size: 4K, flags: [P, US, A, D], upper: [P, RW, US, A] }}", kPageB, kDataB),
  };
  d.state.data_page(kDataA);
  d.state.data_page(kDataB);
  const std::uint64_t pte_a = generate::entry_address(d.state, kPageA, 1), pte_b = generate::entry_address(d.state, kPageB, 1);
  const std::uint64_t pde = generate::entry_address(d.state, kPageA, 2);
  const std::uint64_t table = pte_a & ~0xfffull;
  d.state.mappings.push_back(
      fmt::format("{{ va: {:#x}, pa: {:#x}, size: 4K, flags: [P, RW, A, D], upper: [P, RW, US, A] }}", kTableAlias, table));
  for (unsigned level = 4; level >= 2; --level) d.entry(generate::entry_key(level), generate::entry_address(d.state, kPageA, level));
  d.entry("pte_a", pte_a);
  d.entry("pte_b", pte_b);
  const model::MachineState initial = generate::load_sketch(d.state);
  const std::uint64_t pde_value = initial.memory.read64(pde);

  // The alphabet, each operation chosen for a rule a VMM must keep (in the comments).
  d.read(kPageA, 3);
  d.write(kPageA, 3, 0x1111);
  d.write(kPageA, 0, 0x2222);  // supervisor write: CR0.WP (4.6.1)
  d.fetch(kPageA, 0);          // supervisor fetch of a user page: SMEP (4.6.1)
  d.read(kPageA, 0);           // supervisor read of a user page: SMAP (4.6.1)
  d.read(kPageB, 3);
  d.write(kPageB, 0, 0x3333);  // CR0.WP = 0 lets it write a read-only page (4.6.1)
  d.fetch(kPageB, 0);          // ... and SMEP still forbids the fetch (4.6.1)
  d.store_entry(pte_a, 0);                      // unmap A (4.10.4.3: stale until invalidated)
  d.store_entry(pde, (pde_value & ~RW) | P);    // the upper level read-only: rights of every level (4.6.1)
  d.store_entry(pde, (pde_value & ~US) | P);    // the upper level supervisor-only
  d.write(kTableAlias + (pte_a & 0xfff), 0, kDataA | P | A | D);  // A supervisor-only, through the alias
  d.invlpg(kPageA);                             // 4.10.4.1
  d.mov_cr3(initial.regs.cr3);                  // 4.10.4.1
  d.control(OperationKind::mov_cr0, initial.regs.cr0 & ~model::cr0::wp);
  d.control(OperationKind::mov_cr4, initial.regs.cr4 | model::cr4::smep);
  d.control(OperationKind::mov_cr4, initial.regs.cr4 | model::cr4::smap);

  CoherenceSpace space;
  space.alphabet = std::move(d.vector.operations);
  d.vector.operations.clear();
  space.guest = std::move(d.vector);
  space.guest.initial = initial;
  space.state_yaml = d.state.yaml();
  return space;
}

// One branch of the exploration: the VMM and the architectural model after the same steps.
struct Node {
  ShadowVmm vmm;
  vectors::ModelEvaluation model;
};

// Runs `op` on both; the reason when the VMM's outcome is not allowed.
std::optional<std::string> step(const vectors::Vector& v, Node& n, const Operation& op) {
  model::Event event;
  try {
    event = n.vmm.run(op);
  } catch (const std::exception& e) {
    return fmt::format("the shadow VMM failed: {}", e.what());
  }
  const vectors::ObservedStep observed{event, entries_after(v, n.vmm.guest())};
  const vectors::ModelStep allowed = n.model.step(op, &observed, vectors::StepTrace::omit);
  if (vectors::matching_outcome(v, allowed.expectation, observed.event, observed.entries_after) >= 0) return std::nullopt;
  std::vector<std::string> outcomes;
  for (const auto& o : allowed.expectation.outcomes) outcomes.push_back(vectors::render_outcome(o));
  const auto why = vectors::first_mismatch(v, allowed.expectation.outcomes.front(), observed.event, observed.entries_after);
  return fmt::format("{}: the shadow VMM gives {}{}; allowed: {}", vectors::describe_operation(op), model::describe(event),
                     why ? " (" + why->text + ")" : "", fmt::join(outcomes, " | "));
}

struct Search {
  const CoherenceSpace& space;
  std::size_t sequences = 0;
  std::vector<Operation> path;
  std::optional<std::pair<std::vector<Operation>, std::string>> found;

  // Depth-first over every word of the alphabet; each node is judged on its way down, so the
  // first counterexample is a shortest one along its branch.
  void explore(const Node& node, unsigned depth) {
    for (const Operation& op : space.alphabet) {
      if (found) return;
      Node child = node;
      path.push_back(op);
      ++sequences;
      if (auto why = step(space.guest, child, op)) {
        found.emplace(path, *why);
      } else if (depth + 1 < kDepth) {
        explore(child, depth + 1);
      }
      path.pop_back();
    }
  }
};

std::string counterexample_file(const CoherenceSpace& space, const std::vector<Operation>& ops, const ShadowPolicy& policy,
                                const std::string& mutation, const std::string& explanation) {
  vectors::Vector v = space.guest;
  v.id = fmt::format("shadow-coherence/{}/{}", model::shadow::shadow_target_name(policy), mutation);
  v.description = fmt::format("Counterexample to 'shadow-coherence' under the policy {} with mutation {}: {}",
                              model::shadow::to_string(policy), mutation, explanation);
  v.sdm = {"Vol. 3C 32.3", "Vol. 3A 4.10"};
  v.operations = ops;
  for (auto& s : vectors::evaluate_on_model(v, nullptr, vectors::StepTrace::omit)) {
    v.expectations.push_back(std::move(s.expectation));
    v.notes.merge(s.notes);
  }
  return vectors::render_vector_file(v.description, {vectors::VectorText{&v, space.state_yaml}});
}

}  // namespace

const CoherenceSpace& coherence_space() {
  static const CoherenceSpace space = make_space();
  return space;
}

ShadowBug shadow_bug_of(Mutation m) {
  switch (m) {
    case Mutation::shadow_leaf_rights_only: return ShadowBug::leaf_rights_only;
    case Mutation::shadow_invlpg_keeps_shadows: return ShadowBug::invlpg_keeps_shadows;
    case Mutation::shadow_page_fault_keeps_shadow: return ShadowBug::page_fault_keeps_shadow;
    case Mutation::shadow_wp0_ignores_smep: return ShadowBug::wp0_ignores_smep;
    default: return ShadowBug::none;
  }
}

std::optional<Incoherence> first_incoherence(const vectors::Vector& vector, const ShadowPolicy& policy, ShadowBug bug) {
  Node n{ShadowVmm(vector.initial, policy, bug), vectors::ModelEvaluation(vector)};
  for (std::size_t i = 0; i < vector.operations.size(); ++i)
    if (auto why = step(vector, n, vector.operations[i])) return Incoherence{i, *why};
  return std::nullopt;
}

ObligationResult prove_shadow_coherence(const ProveOptions& options) {
  ObligationResult r;
  const CoherenceSpace& space = coherence_space();
  const ShadowBug bug = shadow_bug_of(options.mutation);
  const std::string mutation = mutation_info(options.mutation).name;
  std::size_t sequences = 0;
  for (const auto& [target, policy] : model::shadow::shadow_targets()) {
    Search search{space};
    search.explore(Node{ShadowVmm(space.guest.initial, policy, bug), vectors::ModelEvaluation(space.guest)}, 0);
    sequences += search.sequences;
    r.cases = static_cast<unsigned>(sequences);  // the operation sequences judged
    if (!search.found) continue;
    const auto& [ops, why] = *search.found;
    r.verdict = Verdict::counterexample;
    r.detail = fmt::format("policy {}, after {} operations: {}", model::shadow::to_string(policy), ops.size(), why);
    Counterexample c;
    c.obligation = "shadow-coherence";
    c.case_name = target;
    c.explanation = r.detail;
    c.state = space.guest.initial;
    c.document = counterexample_file(space, ops, policy, mutation, why);
    c.replay = fmt::format("vtspec run --target {}{}", target,
                           bug == ShadowBug::none ? "" : " --mutation " + std::string(model::shadow::shadow_bug_name(bug)));
    r.counterexample = std::move(c);
    return r;
  }
  r.detail = fmt::format("{} operation sequences (every word of {} operations up to length {}, under {} policies)", sequences,
                         space.alphabet.size(), kDepth, model::shadow::shadow_targets().size());
  return r;
}

}  // namespace vtspec::checker
