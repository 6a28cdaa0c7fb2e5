// VPID and EPTP tagging (vtspec/vector/2): a guest under EPT whose VMM enters it with VPIDs,
// changes a translation without a flush, and then runs VM entries, INVVPID and INVEPT. After
// each step the SDM allows the old translation only while a cached mapping that holds it can
// survive; the new one is always allowed (a TLB may drop any entry).
//
//   ept/tagging.yaml   a guest PTE changed: VM entries and exits with VPIDs on (they
//                      invalidate nothing, 29.4.3.1) and with VPID 0 (they invalidate the
//                      linear and combined mappings of VPID 0000H), another VPID, INVVPID
//                      types 0-3 (31.3 INVVPID, 29.4.3.3; type 3 keeps global translations);
//                      an EPT PTE changed: INVVPID leaves the guest-physical mappings, INVEPT
//                      types 1 and 2 remove them (31.3 INVEPT, 29.4.3.3)
//
// Each expected set is also derived here from the SDM's rules written out per step (Sdm
// below), independently of spec/ and the model: generation fails when the model's set of
// allowed results is not exactly the SDM's. The model supplies the rest.
#include <functional>
#include <stdexcept>

#include <fmt/format.h>

#include "checker/generate/draft.hpp"
#include "spec/ept_walk.hpp"

namespace vtspec::generate {

namespace {

constexpr std::uint64_t kEptRoot = 0x3000000, kEptTables = 0x3001000;  // host-physical
constexpr std::uint64_t kEptp = kEptRoot | 6 | (3u << 3);              // WB, 4-level walk (29.3.2)
constexpr std::uint64_t kVa = 0x8000000000;                            // PML4 index 1
constexpr std::uint64_t kData = 0x1000000, kData2 = 0x1001000;         // guest-physical
constexpr std::uint64_t kHpa = 0x2000000, kHpa2 = 0x2001000, kHpa3 = 0x2002000;
constexpr std::uint64_t kLeaf = 0x67, kGlobal = 1u << 8;  // P, RW, US, A, D; G
constexpr std::uint64_t kEptLeaf = 7 | (6u << 3);         // R, W, X, memory type WB

// The scene: the guest's tables at guest-physical 0x1000 (PML4) and 0x100000.. and its data
// page kData at kVa, identity-mapped by 4-KByte EPT pages except kData -> kHpa and kData2 ->
// kHpa2; the EPT's own pages are guest-physical too (identity), so the guest can store to an
// EPT entry (a vector's EPT is its VMM's; here the VMM lets the guest edit it, which is how a
// vector changes an EPT translation).
Draft scene(std::string id, std::string description, bool global) {
  Draft d;
  d.vector.id = "ept/tagging-" + id;
  d.vector.description = std::move(description);
  d.vector.sdm = {"Vol. 3C 29.4.3.1", "Vol. 3C 29.4.3.3", "Vol. 3C 31.3"};
  StateSketch& s = d.state;
  s.features = {"maxphyaddr: 40"};  // as ept_translation.cpp: what Bochs's CPUs have
  if (global) s.cr4 = {"PAE", "PGE"};
  s.ept_eptp = fmt::format("{{ root: {:#x}, walk_length: 4, memory_type: WB }}", kEptRoot);
  s.ept_tables_at = kEptTables;
  for (std::uint64_t page : {kRoot, kTablesAt, kTablesAt + 0x1000, kTablesAt + 0x2000})
    s.ept_map.push_back(fmt::format("{{ gpa: {:#x}, hpa: {:#x}, size: 4K, flags: [R, W, X] }}", page, page));
  s.ept_map.push_back(fmt::format("{{ gpa: {:#x}, hpa: {:#x}, size: 4K, flags: [R, W, X] }}", kData, kHpa));
  s.ept_map.push_back(fmt::format("{{ gpa: {:#x}, hpa: {:#x}, size: 4K, flags: [R, W, X] }}", kData2, kHpa2));
  for (std::uint64_t page = kEptRoot; page < kEptRoot + 0x8000; page += 0x1000)
    s.ept_map.push_back(fmt::format("{{ gpa: {:#x}, hpa: {:#x}, size: 4K, flags: [R, W, X] }}", page, page));
  s.mappings = {fmt::format("{{ va: {:#x}, pa: {:#x}, size: 4K, flags: [P, RW, US, A, D{}], upper: [P, RW, US, A] }}", kVa, kData,
                            global ? ", G" : "")};
  for (std::uint64_t hpa : {kHpa, kHpa2, kHpa3}) s.host_writes.emplace_back(hpa, data_value(hpa));
  return d;
}

// Where the EPT PTE that maps guest-physical `gpa` lies (host-physical; the scene maps the
// EPT's pages one to one, so the guest-physical address a store uses too).
std::uint64_t ept_pte(const StateSketch& sketch, std::uint64_t gpa) {
  const model::MachineState s = load_sketch(sketch);
  spec::EptAccess<spec::Concrete> read;
  const auto w = spec::walk_ept<spec::Concrete>(s.ept_shape(), s.ept->eptp, gpa, read, s.memory);
  if (!w.translated) throw std::logic_error("tagging scene: the data page is not mapped by the EPT");
  return w.entry_address[1];
}

// The SDM's expected set for one operation: the events it allows, and why.
struct Sdm {
  std::vector<model::Event> allowed;
  std::string why;
};

struct Planned {
  Draft draft;
  std::vector<Sdm> sdm;  // one per operation
};

// One step of a scenario: an operation of the VMM (or the guest), then - unless `stale` is
// -1 - a read of kVa: 1 the old or the new data allowed, 0 the new only.
struct Step {
  std::function<void(Draft&)> op;
  int stale = -1;
  const char* why = "";
};

enum class Change { guest_pte, ept_pte };

Planned scenario(std::string id, std::string description, std::uint64_t vpid, Change change, bool global,
                 std::vector<Step> steps) {
  Planned p;
  p.draft = scene(std::move(id), std::move(description), global);
  const model::Event old_data = model::Event::completed(data_value(kHpa));
  const model::Event new_data = model::Event::completed(data_value(change == Change::guest_pte ? kHpa2 : kHpa3));
  const model::Event done = model::Event::completed();
  if (vpid) {
    p.draft.vm_entry(vpid, kEptp);
    p.sdm.push_back({{done}, "the VMM enters the guest with its VPID"});
  }
  p.draft.read(kVa, 0);
  p.sdm.push_back({{old_data}, "the first read walks both dimensions"});
  if (change == Change::guest_pte) {
    p.draft.store_entry(entry_address(p.draft.state, kVa, 1), kData2 | kLeaf | (global ? kGlobal : 0));
    p.sdm.push_back({{done}, "the guest points kVa at another guest-physical page"});
  } else {
    p.draft.store_entry(ept_pte(p.draft.state, kData), kHpa3 | kEptLeaf);
    p.sdm.push_back({{done}, "the data page's EPT PTE now maps it to another host-physical page"});
  }
  p.draft.read(kVa, 0);
  p.sdm.push_back({{old_data, new_data}, "no invalidation yet: a cached mapping may still serve kVa (29.4.3.3)"});
  for (const auto& step : steps) {
    step.op(p.draft);
    p.sdm.push_back({{done}, "the VMM's operation"});
    if (step.stale < 0) continue;
    p.draft.read(kVa, 0);
    if (step.stale) p.sdm.push_back({{old_data, new_data}, step.why});
    else p.sdm.push_back({{new_data}, step.why});
  }
  return p;
}

void check_against_sdm(Planned& p) {
  complete(p.draft);
  const auto& v = p.draft.vector;
  if (p.sdm.size() != v.operations.size()) throw std::logic_error(v.id + ": one SDM expectation per operation");
  for (std::size_t i = 0; i < v.operations.size(); ++i) {
    std::string seen;
    for (const auto& o : v.expectations[i].outcomes) seen += "\n  model allows: " + model::describe(o.event);
    auto in = [](const model::Event& e, const std::vector<model::Event>& set) {
      for (const auto& x : set)
        if (model::difference(e, x).empty()) return true;
      return false;
    };
    bool same = true;  // the same set of events (outcomes may differ only in A/D bits)
    std::vector<model::Event> modelled;
    for (const auto& o : v.expectations[i].outcomes) modelled.push_back(o.event);
    for (const auto& e : p.sdm[i].allowed) same = same && in(e, modelled);
    for (const auto& e : modelled) same = same && in(e, p.sdm[i].allowed);
    if (!same)
      throw std::logic_error(fmt::format("{} operation {}: the SDM allows exactly {} results ({}); the model:{}", v.id, i,
                                         p.sdm[i].allowed.size(), p.sdm[i].why, seen));
  }
}

std::function<void(Draft&)> enter(std::uint64_t vpid) {
  return [=](Draft& d) { d.vm_entry(vpid, kEptp); };
}
std::function<void(Draft&)> invvpid(unsigned type, std::uint64_t vpid, std::uint64_t va = 0) {
  return [=](Draft& d) { d.invvpid(type, vpid, va); };
}
std::function<void(Draft&)> invept(unsigned type) {
  return [=](Draft& d) { d.invept(type, kEptp); };
}

const char* const kKept = "VPIDs on: VM exits and entries invalidate nothing (29.4.3.1); VPID 1's mapping may serve kVa";
const char* const kGone = "no mapping that holds the old translation can serve kVa any more";

}  // namespace

std::vector<CorpusFile> vmx_tagging() {
  std::vector<Planned> v;
  using C = Change;
  v.push_back(scenario("vpid-kept-across-entries", "With VPID 1, the VMM's VM exit and entry keep the guest's cached translation.",
                       1, C::guest_pte, false, {{enter(1), 1, kKept}, {enter(1), 1, kKept}}));
  v.push_back(scenario("vpid-0-entries-flush",
                       "With VPIDs off (VPID 0000H), a VM exit and entry invalidate the guest's linear and combined mappings "
                       "(29.4.3.1).",
                       0, C::guest_pte, false,
                       {{enter(0), 0, "VPID 0000H: the exit and entry invalidated its linear and combined mappings"}}));
  v.push_back(scenario("other-vpid",
                       "VPID 1's cached translation is not used while the guest runs as VPID 2, and may serve it again back "
                       "in VPID 1.",
                       1, C::guest_pte, false,
                       {{enter(2), 0, "VPID 2 has no mapping for kVa: a fresh walk"}, {enter(1), 1, kKept}}));
  v.push_back(scenario("invvpid-individual-address",
                       "INVVPID type 0 removes VPID 1's mapping of the page it names (any offset), not of another page nor "
                       "of another VPID.",
                       1, C::guest_pte, false,
                       {{invvpid(0, 2, kVa), 1, "type 0 for VPID 2 leaves VPID 1's mappings"},
                        {invvpid(0, 1, kVa + 0x1000), 1, "type 0 for another page"},
                        {invvpid(0, 1, kVa | 0x123), 0, "type 0 for VPID 1 and kVa's page (31.3 INVVPID)"}}));
  v.push_back(scenario("invvpid-single-context",
                       "INVVPID type 1 removes every mapping of the VPID it names, not of another.", 1, C::guest_pte, false,
                       {{invvpid(1, 2), 1, "type 1 for VPID 2 leaves VPID 1's mappings"},
                        {invvpid(1, 1), 0, "type 1 for VPID 1 (31.3 INVVPID)"}}));
  v.push_back(scenario("invvpid-all-context", "INVVPID type 2 removes the mappings of every VPID but 0000H.", 1, C::guest_pte,
                       false, {{invvpid(2, 0), 0, "type 2: every VPID (31.3 INVVPID)"}}));
  v.push_back(scenario("invvpid-retaining-globals",
                       "INVVPID type 3 keeps VPID 1's global translations (PTE.G with CR4.PGE); type 1 removes them.", 1,
                       C::guest_pte, true,
                       {{invvpid(3, 1), 1, "type 3 keeps global translations (31.3 INVVPID)"},
                        {invvpid(1, 1), 0, "type 1 removes them"}}));
  v.push_back(scenario("invvpid-retaining-globals-non-global", "INVVPID type 3 removes VPID 1's non-global translations.", 1,
                       C::guest_pte, false, {{invvpid(3, 1), 0, "type 3 on a non-global translation"}}));
  v.push_back(scenario("invvpid-leaves-guest-physical",
                       "An EPT PTE changed: INVVPID removes the linear and combined mappings of VPID 1, but the "
                       "guest-physical mapping of the EPTP may still translate the page; INVEPT type 1 removes it.",
                       1, C::ept_pte, false,
                       {{invvpid(1, 1), 1, "INVVPID leaves guest-physical mappings (29.4.3.3)"},
                        {invept(1), 0, "INVEPT single-context for the EPTP (31.3 INVEPT)"}}));
  v.push_back(scenario("invept-all-context", "An EPT PTE changed: INVEPT type 2 removes the mappings of every EPTP.", 1, C::ept_pte,
                       false, {{invept(2), 0, "INVEPT all-context (31.3 INVEPT)"}}));
  v.push_back(scenario("vpid-0-entries-keep-guest-physical",
                       "With VPIDs off, an EPT PTE changed: the VMM's VM exit and entry invalidate the linear and combined "
                       "mappings of VPID 0000H, not the guest-physical mappings; INVEPT does.",
                       0, C::ept_pte, false,
                       {{invvpid(2, 0), 1, "the transitions leave guest-physical mappings (29.4.3.1)"},
                        {invept(1), 0, "INVEPT single-context for the EPTP"}}));
  CorpusFile file{"ept/tagging.yaml", "VPID and EPTP tagging: VM entries, INVVPID and INVEPT (guest under EPT)", {}};
  for (auto& p : v) {
    check_against_sdm(p);
    file.drafts.push_back(std::move(p.draft));
  }
  return {file};
}

}  // namespace vtspec::generate
