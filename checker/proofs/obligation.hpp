// Proof obligations: named claims about spec/'s rules, each discharged by Z3 over all
// inputs (symbolic entries, control bits, accesses). A claim that fails yields a concrete
// counterexample state that `vtspec walk` (and the model, model::translate) can replay.
#pragma once

#include "spec/iommu/cache_invalidation.hpp"

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "checker/mutants/mutation.hpp"
#include "model/machine_state.hpp"
#include "model/operation.hpp"
#include "model/translation.hpp"
#include "spec/symbolic_domain.hpp"
#include "spec/tlb_invalidation.hpp"

namespace vtspec::checker {

enum class Verdict { proved, counterexample, unknown };
const char* to_string(Verdict v);

// A VMCS (or, for the outcome rule, a set of failing check classes) on which spec/vmx's
// VM-entry checks and their transcription disagree; the document is a vtspec/vmx-entry/1
// file `vtspec explain-entry` replays.
struct VmxEntryCounterexample {
  std::string check_id;  // empty: the outcome rule
  std::string profile;
  std::vector<std::uint64_t> vmcs;  // one value per row of spec::vmx::kVmcsFieldTable
  std::uint64_t msr_index = 0, msr_data = 0;
  bool control_fails = false, host_fails = false, guest_fails = false, msr_fails = false;
};

// An exception in VMX non-root operation on which the exception-exiting rule and its
// transcription disagree (SDM Vol. 3C 25.6.3).
struct ExceptionExitCounterexample {
  std::uint64_t bitmap = 0, vector = 0, error_code = 0, pfec_mask = 0, pfec_match = 0;
};

// A DMA request and the memory words its VT-d walk reads (Intel VT-d 3.4.3), on which a VT-d
// obligation fails; replayed with spec::iommu::walk_vtd over that memory.
struct VtdDmaCounterexample {
  std::string profile;  // model::iommu::profile name (CAP/ECAP)
  unsigned haw = 0;
  std::uint64_t rtaddr = 0, source_id = 0, iova = 0;
  bool write = false;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> memory;  // (8-byte aligned address, value); others read 0
};

// A VT-d cached entry that the invalidation the VT-d specification requires for a change
// leaves in place (replayed with spec::iommu::required_invalidation / removes), or - for the
// cached-isolation obligation - a DMA sequence, written as a vector file, after which a DMA
// may use another domain's cached translation.
struct VtdCacheCounterexample {
  std::string change;  // the change and the invalidation software made, in words
  std::optional<spec::iommu::CachedEntryTags<spec::Concrete>> entry;
  std::vector<spec::iommu::CacheInvalidationRequest<spec::Concrete>> requests;  // in order
  std::vector<model::Operation> sequence;  // cached isolation: the operations
};

// AMD nested paging: the nested regime and nCR3 of a counterexample whose guest registers,
// access and memory words are in Counterexample::state / access (replayed with
// spec::svm::walk_nested_paging over that memory).
struct NptCounterexample {
  unsigned nested_levels = 4, maxphyaddr = 36;
  bool nested_nxe = true;
  std::uint64_t ncr3 = 0;
};

// A VMCB on which a VMRUN consistency check and its transcription disagree (APM Vol. 2
// 15.5.1), replayed with spec::svm::vmrun_consistency_checks.
struct VmrunCounterexample {
  std::string check_id;
  std::uint64_t efer = 0, cr0 = 0, cr3 = 0, cr4 = 0, dr6 = 0, dr7 = 0, cs_attrib = 0, intercept_misc2 = 0, asid = 0,
                iopm_base = 0, msrpm_base = 0, event_injection = 0;
};

// A concrete state and access that violates a claim.
struct Counterexample {
  std::string obligation;
  std::string case_name;   // the structural instance (e.g. "4-level, 1G pages")
  std::string explanation; // what the two sides said
  model::MachineState state;
  model::AccessRequest access;
  std::string file;        // where it was written (empty if not written)
  // For obligations about cached translations: the entry and the invalidation (replayed with
  // spec::required_invalidation / spec::removes, which model/tlb uses), and the document
  // written instead of a state file.
  std::optional<spec::EntryTags<spec::Concrete>> tlb_entry;
  std::optional<spec::InvalidationRequest<spec::Concrete>> tlb_request;
  std::optional<VmxEntryCounterexample> vmx_entry;
  std::optional<ExceptionExitCounterexample> exception_exit;
  std::optional<VtdDmaCounterexample> vtd_dma;
  std::optional<VtdCacheCounterexample> vtd_cache;
  std::optional<NptCounterexample> npt;
  std::optional<VmrunCounterexample> vmrun;
  std::string document;
  // For counterexamples written as vector files: the command that replays one (the file's
  // path follows it).
  std::string replay;
};

struct ProveOptions {
  Mutation mutation = Mutation::none;
  std::string counterexample_dir;  // empty: do not write files
  unsigned timeout_ms = 60000;     // per solver call
};

struct ObligationResult {
  std::string name;
  std::string sdm;
  Verdict verdict = Verdict::proved;
  double seconds = 0;
  unsigned cases = 0;       // structural instances discharged
  std::string detail;       // unknown reason, or counterexample summary
  std::optional<Counterexample> counterexample;
};

struct Obligation {
  const char* name;
  const char* sdm;
  const char* claim;
  std::function<ObligationResult(const ProveOptions&)> run;
};

const std::vector<Obligation>& obligations();

// Runs one obligation, timing it and writing its counterexample (if any).
ObligationResult run_obligation(const Obligation& o, const ProveOptions& options);

// --- helpers for obligation implementations ---

// Checks `hypotheses => claim` for all values of the free constants. On a counterexample,
// `model` receives the Z3 model.
Verdict discharge(const z3::expr& hypotheses, const z3::expr& claim, unsigned timeout_ms,
                  std::optional<z3::model>& model, std::string& reason);

// Accumulates case results into an obligation result; returns false once a case did not prove.
bool record_case(ObligationResult& r, Verdict v, const std::string& case_name, const std::string& reason);

}  // namespace vtspec::checker
