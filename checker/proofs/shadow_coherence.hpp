// Shadow-paging coherence (issue 11): the reference shadow VMM (model/shadow) may only ever
// look like a TLB the SDM permits. For every sequence of guest operations up to a bound,
// after each step, the outcome the guest sees through the shadow tables (event, value, error
// code, CR2, and the guest's A/D bits) is one the architectural TLB model allows for the same
// guest on the path taken so far (vectors::ModelEvaluation following the VMM's observations;
// the one comparison, vectors/format/outcome_match.hpp). SDM Vol. 3C 32.3 ("virtual TLB"
// mode) describes the VMM; Vol. 3A 4.10 what a TLB may hold, 4.7 the #PF, 4.8 A/D.
//
// This is bounded model checking over the same spec/ source: the sequences are every word
// over a fixed alphabet of operations (accesses at CPL 0 and 3, guest stores to its own
// tables directly and through a data mapping of a page table, INVLPG, MOV CR3, CR0.WP and
// CR4.SMEP/SMAP changes) up to the depth, explored depth-first with the VMM and the model
// copied at each branch, under each sync policy. A counterexample is the shortest word found,
// written as a vector file that `vtspec run --target shadow-model[-unsync] --mutation NAME`
// replays.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "checker/proofs/obligation.hpp"
#include "model/shadow/shadow_vmm.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::checker {

// The bounded space: the guest's initial state and checked entries (a vector without
// operations), its state as YAML (for counterexample files), and the alphabet.
struct CoherenceSpace {
  vectors::Vector guest;
  std::string state_yaml;
  std::vector<model::Operation> alphabet;
};
const CoherenceSpace& coherence_space();

// The first operation of `vector` (run from its initial state) whose outcome through `vmm`
// the architectural model does not allow on the path so far, with the reason; nullopt when
// every step is allowed.
struct Incoherence {
  std::size_t operation = 0;
  std::string explanation;
};
std::optional<Incoherence> first_incoherence(const vectors::Vector& vector, const model::shadow::ShadowPolicy& policy,
                                             model::shadow::ShadowBug bug);

// The shadow VMM bug a mutation plants (ShadowBug::none for the others).
model::shadow::ShadowBug shadow_bug_of(Mutation m);

ObligationResult prove_shadow_coherence(const ProveOptions& options);

}  // namespace vtspec::checker
