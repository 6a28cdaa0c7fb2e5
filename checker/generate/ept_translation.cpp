// A guest under EPT (vtspec/vector/2): the EPT rules as a target that runs a guest in VMX
// non-root operation sees them, through its accesses' outcomes.
//
//   ept/permissions.yaml          the rights of the final translation: every value of bits
//                                 2:0 of the EPT PTE under several EPT PDEs, read / write /
//                                 fetch (SDM Vol. 3C 29.3.3.1, 29.3.3.2; Table 28-7)
//   ept/paging-structures.yaml    the guest's paging-structure references and its A/D updates
//                                 as EPT sees them: reads, locked read-modify-writes, and with
//                                 EPT A/D every reference a write (29.3.3.2, 29.3.5)
//   ept/misconfigurations.yaml    reserved bits, memory types, execute-only without the
//                                 capability, large pages without it (29.3.3.1)
//   ept/large-pages.yaml          2-MByte and 1-GByte EPT pages, and a 5-level EPT (29.3.2)
//
// Each expected outcome is also derived here, from the SDM's rules written out per scenario
// (sdm_expectation below), independently of spec/ and the model: generation fails when the
// model does not allow the outcome the SDM gives. The model supplies the rest (A/D bits,
// acceptable alternatives).
#include <map>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "checker/generate/draft.hpp"
#include "vectors/format/model_evaluation.hpp"

namespace vtspec::generate {

namespace {

constexpr std::uint64_t kEptRoot = 0x3000000;     // host-physical: the EPT PML4
constexpr std::uint64_t kEptTables = 0x3001000;   // host-physical: the other EPT tables
constexpr std::uint64_t kGuestVa = 0x8000000000;  // PML4 index 1
constexpr std::uint64_t kDataGpa = 0x1000000;     // the data page, guest-physical
constexpr std::uint64_t kDataHpa = 0x2000000;     // ... and where EPT puts it
constexpr std::uint64_t kWb = 6ull << 3;          // EPT memory type WB (29.3.7)
// The guest's MAXPHYADDR: 40, what every CPU model of Bochs 2.7 (the VMX target here) reports
// in CPUID.80000008H:EAX[7:0]; a target builds only the MAXPHYADDR its CPU has.
constexpr unsigned kEptGuestMaxPhyAddr = 40;
constexpr std::uint64_t kRwx = 7;

// Table 28-7 bits.
constexpr std::uint64_t kQRead = 1, kQWrite = 2, kQFetch = 4, kQLinearValid = 1u << 7, kQFinal = 1u << 8;
std::uint64_t q_rights(std::uint64_t rights) { return (rights & 7) << 3; }

// An EPT mapping of the sketch and the edits made to entries on its walk once every table
// is built: entry at `level` := (built & ~clear) | set.
struct EptEdit {
  unsigned level;
  std::uint64_t clear = 0, set = 0;
};
struct EptMapping {
  std::uint64_t gpa, hpa;
  const char* size = "4K";
  std::vector<EptEdit> edits;
};

struct Scene {
  StateSketch state;
  std::vector<EptMapping> ept;
  unsigned ept_levels = 4;
};

std::string ept_line(const EptMapping& m, const std::map<unsigned, std::uint64_t>* raw) {
  std::string line = fmt::format("{{ gpa: {:#x}, hpa: {:#x}, size: {}, flags: [R, W, X]", m.gpa, m.hpa, m.size);
  if (raw && !raw->empty()) {
    std::vector<std::string> parts;
    for (const auto& [level, value] : *raw) parts.push_back(fmt::format("{}: {:#x}", entry_key(level), value));
    line += fmt::format(", raw: {{ {} }}", fmt::join(parts, ", "));
  }
  return line + " }";
}

// The host-physical address of the EPT entry at `level` on the walk of `gpa`.
std::uint64_t ept_slot(const model::MachineState& s, std::uint64_t gpa, unsigned level) {
  std::uint64_t table = s.ept->eptp & spec::frame_mask(s.features.maxphyaddr);
  for (unsigned l = s.ept_shape().levels;; --l) {
    const std::uint64_t slot = table + ((gpa >> spec::index_shift(l)) & 511) * 8;
    if (l == level) return slot;
    table = s.memory.read64(slot) & spec::frame_mask(s.features.maxphyaddr);
  }
}

// The sketch with the EPT mappings written in: first as built, then with the edits as raw
// values computed from what the loader built. An edit of an entry several mappings share
// (the same slot) is given to each of them, as the state format requires.
void finish(Scene& sc) {
  sc.state.ept_map.clear();
  for (const auto& m : sc.ept) sc.state.ept_map.push_back(ept_line(m, nullptr));
  const model::MachineState built = load_sketch(sc.state);
  std::map<std::uint64_t, std::pair<unsigned, std::uint64_t>> raw_at;  // slot -> (level, value)
  for (const auto& m : sc.ept)
    for (const auto& e : m.edits) {
      const std::uint64_t slot = ept_slot(built, m.gpa, e.level);
      auto [it, fresh] = raw_at.try_emplace(slot, e.level, built.memory.read64(slot));
      it->second.second = (it->second.second & ~e.clear) | e.set;
    }
  sc.state.ept_map.clear();
  for (const auto& m : sc.ept) {
    std::map<unsigned, std::uint64_t> raw;
    for (unsigned level = sc.ept_levels; level >= 1; --level) {
      const unsigned leaf = std::string(m.size) == "1G" ? 3 : std::string(m.size) == "2M" ? 2 : 1;
      if (level < leaf) break;
      if (auto it = raw_at.find(ept_slot(built, m.gpa, level)); it != raw_at.end()) raw[level] = it->second.second;
    }
    sc.state.ept_map.push_back(ept_line(m, &raw));
  }
}

// The base scene: a guest with 4-level paging whose tables are at guest-physical 0x1000
// (PML4) and 0x100000.. (PDPT, PD, PT), identity-mapped by 4-KByte EPT pages (so an edit can
// restrict one table page), and one data page at VA kGuestVa, GPA kDataGpa -> HPA kDataHpa.
Scene base_scene(const std::string& guest_leaf = "[P, RW, US, A, D]", const std::string& guest_levels = "upper: [P, RW, US, A]") {
  Scene sc;
  sc.state.features = {fmt::format("maxphyaddr: {}", kEptGuestMaxPhyAddr)};
  sc.state.ept_eptp = fmt::format("{{ root: {:#x}, walk_length: 4, memory_type: WB }}", kEptRoot);
  sc.state.ept_tables_at = kEptTables;
  sc.state.mappings = {fmt::format("{{ va: {:#x}, pa: {:#x}, size: 4K, flags: {}, {} }}", kGuestVa, kDataGpa, guest_leaf, guest_levels)};
  sc.state.writes.emplace_back(kDataGpa, data_value(kDataHpa));
  for (std::uint64_t page : {kRoot, kTablesAt, kTablesAt + 0x1000, kTablesAt + 0x2000}) sc.ept.push_back({page, page});
  sc.ept.push_back({kDataGpa, kDataHpa});
  return sc;
}

// The guest-physical address of the guest paging-structure entry at `level` for kGuestVa:
// the PML4 is at kRoot, then PDPT, PD, PT at kTablesAt in turn (SCHEMA.md "Where the loader
// puts tables"); the indexes of kGuestVa are 1, 0, 0, 0.
std::uint64_t guest_entry_gpa(unsigned level) {
  switch (level) {
    case 4: return kRoot + 1 * 8;
    case 3: return kTablesAt;
    case 2: return kTablesAt + 0x1000;
    default: return kTablesAt + 0x2000;
  }
}

// The SDM's expectation for one operation, and the check that the model allows it.
struct Sdm {
  model::Event event;
  std::string why;
};
Sdm completed(std::optional<std::uint64_t> value, std::string why) { return {model::Event::completed(value), std::move(why)}; }
Sdm violation(std::uint64_t qualification, std::uint64_t gpa, std::uint64_t va, std::uint64_t open, std::string why) {
  model::Event e = model::Event::vm_exit(model::kExitEptViolation, qualification, gpa, va);
  e.qualification_undefined = open;
  return {e, std::move(why)};
}
Sdm misconfig(std::uint64_t gpa, std::string why) {
  model::Event e = model::Event::vm_exit(model::kExitEptMisconfig, 0, gpa, std::nullopt);
  e.qualification_undefined = ~std::uint64_t{0};
  return {e, std::move(why)};
}

struct Planned {
  Draft draft;
  std::vector<Sdm> sdm;  // one per operation
};

// Completes the draft from the model and checks every operation's SDM outcome is allowed.
void check_against_sdm(Planned& p) {
  complete(p.draft);
  const auto& v = p.draft.vector;
  if (p.sdm.size() != v.operations.size()) throw std::logic_error(v.id + ": one SDM expectation per operation");
  for (std::size_t i = 0; i < v.operations.size(); ++i) {
    const Sdm& want = p.sdm[i];
    bool allowed = false;
    std::string seen;
    for (const auto& o : v.expectations[i].outcomes) {
      // Compared both ways: the SDM's open bits may be anything in the model's, and no
      // bit the model leaves open may be one the SDM defines.
      allowed = allowed || (model::difference(want.event, o.event).empty() &&
                            (o.event.qualification_undefined & ~want.event.qualification_undefined) == 0);
      seen += "\n  model allows: " + model::describe(o.event);
    }
    if (!allowed)
      throw std::logic_error(fmt::format("{} operation {}: the SDM gives {} ({}), which the model does not allow{}", v.id, i,
                                         model::describe(want.event), want.why, seen));
  }
}

Draft draft(std::string id, std::string description, std::vector<std::string> sdm) {
  Draft d;
  d.vector.id = std::move(id);
  d.vector.description = std::move(description);
  d.vector.sdm = std::move(sdm);
  return d;
}

// EPT bits 2:0 of an entry: misconfigured (29.3.3.1) when write without read, or
// execute-only without IA32_VMX_EPT_VPID_CAP bit 0.
bool misconfigured_rights(std::uint64_t r, bool execute_only) { return (r & 3) == 2 || (r == 4 && !execute_only); }
std::string rights_name(std::uint64_t r) {
  if (r == 0) return "none";
  std::string s;
  if (r & 1) s += "R";
  if (r & 2) s += "W";
  if (r & 4) s += "X";
  return s;
}

// ept/permissions.yaml: EPT PTE bits 2:0 = `leaf` under an EPT PDE with bits 2:0 = `upper`;
// a read, a write and a fetch of the data page at CPL 0.
Planned permission(std::uint64_t leaf, std::uint64_t upper, bool execute_only) {
  Scene sc = base_scene();
  if (!execute_only) sc.state.ept_caps = "{ execute_only: false }";
  sc.ept.back().edits = {{1, kRwx, leaf}, {2, kRwx, upper}};
  finish(sc);
  Planned p;
  p.draft = draft(fmt::format("ept/pte-{}-pde-{}{}", rights_name(leaf), rights_name(upper), execute_only ? "" : "-no-xo"),
                  fmt::format("The data page's EPT PTE has R/W/X = {}, its EPT PDE {}{}; a read, a write and a fetch at CPL 0.",
                              rights_name(leaf), rights_name(upper), execute_only ? "" : ", on a CPU without execute-only EPT"),
                  {"Vol. 3C 29.3.3.1", "Vol. 3C 29.3.3.2", "Vol. 3C Table 28-7"});
  p.draft.state = sc.state;
  const std::uint64_t value = data_value(kDataHpa);
  for (unsigned k = 0; k < 3; ++k) {
    const std::uint64_t need = k == 0 ? 1 : k == 1 ? 2 : 4, access = k == 0 ? kQRead : k == 1 ? kQWrite : kQFetch;
    if (k == 0) p.draft.read(kGuestVa, 0);
    if (k == 1) p.draft.write(kGuestVa, 0, value);  // the value already there: later reads stay the same
    if (k == 2) p.draft.fetch(kGuestVa, 0);
    // 29.3.3: a not-present entry ends the walk (a violation, and the AND of the rights is
    // 0); a present one with an unsupported value is a misconfiguration, which comes before
    // any violation; else the AND of the entries' rights must allow the access.
    if ((upper & 7) == 0) {
      p.sdm.push_back(violation(access | kQLinearValid | kQFinal, kDataGpa, kGuestVa, 0, "EPT PDE not present"));
    } else if (misconfigured_rights(upper, execute_only)) {
      p.sdm.push_back(misconfig(kDataGpa, "EPT PDE bits 2:0 unsupported"));
    } else if ((leaf & 7) == 0) {
      p.sdm.push_back(violation(access | kQLinearValid | kQFinal, kDataGpa, kGuestVa, 0, "EPT PTE not present"));
    } else if (misconfigured_rights(leaf, execute_only)) {
      p.sdm.push_back(misconfig(kDataGpa, "EPT PTE bits 2:0 unsupported"));
    } else if ((leaf & upper & need) == 0) {
      p.sdm.push_back(violation(access | q_rights(leaf & upper) | kQLinearValid | kQFinal, kDataGpa, kGuestVa, 0,
                                "the AND of the EPT rights does not allow the access"));
    } else {
      p.sdm.push_back(completed(k == 0 ? std::optional<std::uint64_t>(value) : std::nullopt, "allowed"));
    }
  }
  return p;
}

// ept/paging-structures.yaml: the EPT PTE of the page holding the guest's level-`level`
// table has bits 2:0 = `rights` (and no W); EPT A/D on or off; the guest entry at that
// level has its A flag (and for the PTE its D flag) set or clear. A read, then a write.
Planned paging_structure(unsigned level, std::uint64_t rights, bool ept_ad, bool flags_clear) {
  const std::string lvl = level == 4 ? "pml4" : level == 3 ? "pdpt" : level == 2 ? "pd" : "pt";
  std::string leaf = "[P, RW, US, A, D]", levels = "upper: [P, RW, US, A]";
  if (flags_clear && level == 1) leaf = "[P, RW, US]";
  if (flags_clear && level > 1) levels += fmt::format(", {}: [P, RW, US]", level == 4 ? "pml4" : level == 3 ? "pdpt" : "pd");
  Scene sc = base_scene(leaf, levels);
  if (ept_ad) sc.state.ept_eptp = fmt::format("{{ root: {:#x}, walk_length: 4, memory_type: WB, accessed_dirty: true }}", kEptRoot);
  const std::size_t page = level == 4 ? 0 : level == 3 ? 1 : level == 2 ? 2 : 3;  // base_scene's table pages
  sc.ept[page].edits = {{1, kRwx, rights}};
  finish(sc);
  Planned p;
  p.draft = draft(fmt::format("ept/guest-{}-{}{}{}", lvl, rights_name(rights), ept_ad ? "-ad" : "", flags_clear ? "-flags-clear" : ""),
                  fmt::format("The guest's {} is in a page whose EPT PTE has R/W/X = {}; EPT A/D {}; the guest {} {}. A read, "
                              "then a write, of the data page.",
                              lvl == "pt" ? "page table" : "level-" + std::to_string(level) + " table", rights_name(rights),
                              ept_ad ? "enabled (EPTP bit 6)" : "disabled",
                              level == 1 ? "PTE has A and D" : "entry there has A", flags_clear ? "clear" : "set"),
                  {"Vol. 3C 29.3.3.2", "Vol. 3C 29.3.5", "Vol. 3C Table 28-7", "Vol. 3A 4.8"});
  p.draft.state = sc.state;
  const std::uint64_t value = data_value(kDataHpa), gpa = guest_entry_gpa(level);
  p.draft.entry("guest_entry", gpa);  // tables are identity-mapped: host-physical = guest-physical
  for (unsigned k = 0; k < 2; ++k) {
    const bool write = k == 1;
    if (write) p.draft.write(kGuestVa, 0, value); else p.draft.read(kGuestVa, 0);
    // The walk reads the entry (29.3.3.2: a data read; with EPT A/D a write, and then both
    // bits 0 and 1 are reported, Table 28-7 note); a clear A flag (or D on a write) is then
    // set by a locked read-modify-write: a write, bit 0 implementation-specific (note).
    const std::uint64_t q = q_rights(rights) | kQLinearValid;  // bit 8 clear: a paging-structure access
    const bool needs_update = flags_clear;  // A (and on a write D) of this entry is clear
    if (ept_ad || !(rights & 1)) {
      p.sdm.push_back(violation((ept_ad ? kQRead | kQWrite : kQRead) | q, gpa, kGuestVa, 0,
                                ept_ad ? "with EPT A/D a guest paging-structure read is a write" : "the entry's page is not readable"));
    } else if (needs_update) {
      p.sdm.push_back(violation(kQWrite | q, gpa, kGuestVa, kQRead, "the A/D update is a write, the page is not writable"));
    } else {
      p.sdm.push_back(completed(write ? std::nullopt : std::optional<std::uint64_t>(value), "the reads are allowed, no update is needed"));
    }
  }
  return p;
}

// ept/misconfigurations.yaml: one unsupported value in the data page's EPT walk; a read.
Planned misconfiguration(std::string id, std::string description, unsigned level, std::uint64_t clear, std::uint64_t set,
                         const char* size = "4K", std::string caps = "", bool on_tables = false) {
  Scene sc = base_scene();
  sc.state.ept_caps = caps;
  if (std::string(size) == "1G") {
    // A 1-GByte EPT page maps all of [0, 1 GiB) identity, guest tables included.
    sc.ept = {{0, 0, "1G"}};
    sc.state.writes = {{kDataGpa, data_value(kDataGpa)}};
  } else {
    sc.ept.back().size = size;  // the data page kDataGpa -> kDataHpa, both 2-MByte aligned
  }
  sc.ept.back().edits = {{level, clear, set}};
  // The read faults, so the data page's content is not needed, and the loader could not
  // place it behind an EPT that is misconfigured from the start (a large page without the
  // capability).
  if (!on_tables) sc.state.writes.clear();
  finish(sc);
  Planned p;
  p.draft = draft("ept/misconfig-" + id, description, {"Vol. 3C 29.3.3.1", "Vol. 3C 28.2.1"});
  p.draft.state = sc.state;
  p.draft.read(kGuestVa, 0);
  // The first guest-physical access whose EPT walk meets the entry: the guest PML4E read
  // when the entry is shared with the tables' walks, else the data access.
  p.sdm.push_back(misconfig(on_tables ? guest_entry_gpa(4) : kDataGpa, description));
  return p;
}

// ept/large-pages.yaml: a 2-MByte EPT page and a 1-GByte one with offsets inside, and a
// 5-level EPT.
Planned large_page(const char* size, std::uint64_t offset) {
  Scene sc = base_scene();
  const bool one_g = std::string(size) == "1G";
  const std::uint64_t gpa = kDataGpa + offset;
  sc.state.mappings = {fmt::format("{{ va: {:#x}, pa: {:#x}, size: 4K, flags: [P, RW, US, A, D], upper: [P, RW, US, A] }}", kGuestVa, gpa)};
  const std::uint64_t hpa = one_g ? gpa : kDataHpa + offset;
  sc.state.writes = {{gpa, data_value(hpa)}};
  if (one_g) sc.ept = {{0, 0, "1G"}};
  else sc.ept.back() = {kDataGpa, kDataHpa, "2M"};
  finish(sc);
  Planned p;
  p.draft = draft(fmt::format("ept/{}-offset-{:#x}", one_g ? "1g" : "2m", offset),
                  fmt::format("A {} EPT page ({}); the guest's data page is at offset {:#x} in it: the host-physical address "
                              "takes bits {}:0 from the guest-physical one.",
                              size, one_g ? "identity over [0, 1 GiB), guest tables included" : "GPA 0x1000000 -> HPA 0x2000000",
                              offset, one_g ? 29 : 20),
                  {"Vol. 3C 29.3.2", "Vol. 3C Table 29-3", "Vol. 3C Table 29-5"});
  p.draft.state = sc.state;
  p.draft.read(kGuestVa + 8, 0, 4);  // bytes 8..11 of the page: zero (only the first 8 are written)
  p.draft.read(kGuestVa, 0);
  p.draft.write(kGuestVa, 0, data_value(hpa));
  p.sdm = {completed(0, "translated"), completed(data_value(hpa), "the page's first 8 bytes"), completed(std::nullopt, "allowed")};
  return p;
}

Planned five_level() {
  Scene sc = base_scene();
  sc.state.ept_eptp = fmt::format("{{ root: {:#x}, walk_length: 5, memory_type: WB }}", kEptRoot);
  sc.state.ept_caps = "{ walk_length_5: true }";
  sc.ept_levels = 5;
  finish(sc);
  Planned p;
  p.draft = draft("ept/5-level", "A 5-level EPT (EPTP bits 5:3 = 4, IA32_VMX_EPT_VPID_CAP bit 7): the walk starts at the EPT PML5.",
                  {"Vol. 3C 29.3.2", "Vol. 3C 25.6.11"});
  p.draft.state = sc.state;
  p.draft.read(kGuestVa, 0);
  p.draft.fetch(kGuestVa, 0);
  p.sdm = {completed(data_value(kDataHpa), "translated"), completed(std::nullopt, "translated")};
  return p;
}

// EPT accessed and dirty flags (SDM Vol. 3C 29.3.5): with EPTP bit 6 a walk sets the
// accessed flag (bit 8) in every EPT entry it uses, and a write the dirty flag (bit 9) of the
// leaf that maps the written page. The guest reads them back itself: the EPT's own pages are
// guest-physical too (identity-mapped), and kFlagsVa maps the page that holds the data page's
// EPT PTE. (The checked entries of a vector are guest paging entries; this is how an EPT
// entry's flags get an expected value.)
constexpr std::uint64_t kFlagsVa = kGuestVa + 0x1000;
Planned ept_flags() {
  Scene sc = base_scene();
  sc.state.ept_eptp = fmt::format("{{ root: {:#x}, walk_length: 4, memory_type: WB, accessed_dirty: true }}", kEptRoot);
  for (std::uint64_t page = kEptRoot; page < kEptRoot + 0x8000; page += 0x1000) sc.ept.push_back({page, page});
  finish(sc);
  const std::uint64_t pte = ept_slot(load_sketch(sc.state), kDataGpa, 1);
  sc.state.mappings.push_back(fmt::format("{{ va: {:#x}, pa: {:#x}, size: 4K, flags: [P, RW, US, A, D], upper: [P, RW, US, A] }}",
                                          kFlagsVa, pte & ~std::uint64_t{0xfff}));
  Planned p;
  p.draft = draft("ept/ad-flags-set-by-the-walk",
                  "EPT A/D enabled: a read sets the accessed flag of every EPT entry on its walks, a write the dirty flag "
                  "of the data page's EPT PTE; the guest reads that PTE back through its own mapping of the EPT's page.",
                  {"Vol. 3C 29.3.5", "Vol. 3C 29.3.2"});
  p.draft.state = sc.state;
  const std::uint64_t value = data_value(kDataHpa), leaf = kDataHpa | kRwx | kWb, at = kFlagsVa | (pte & 0xfff);
  constexpr std::uint64_t kEptA = 1u << 8, kEptD = 1u << 9;
  p.draft.read(kGuestVa, 0);
  p.sdm.push_back(completed(value, "a read through EPT entries that allow it"));
  p.draft.read(at, 0);
  p.sdm.push_back(completed(leaf | kEptA, "the data page's EPT PTE: accessed by the first read (29.3.5), not dirty"));
  p.draft.write(kGuestVa, 0, value);
  p.sdm.push_back(completed(std::nullopt, "a write through EPT entries that allow it"));
  p.draft.read(at, 0);
  p.sdm.push_back(completed(leaf | kEptA | kEptD, "the write set the dirty flag of the leaf that maps the page (29.3.5)"));
  return p;
}

CorpusFile file_of(const char* path, const char* description, std::vector<Planned> planned) {
  CorpusFile f{path, description, {}};
  for (auto& p : planned) {
    check_against_sdm(p);
    f.drafts.push_back(std::move(p.draft));
  }
  return f;
}

}  // namespace

std::vector<CorpusFile> ept_translation() {
  std::vector<CorpusFile> out;
  {
    std::vector<Planned> v;
    for (std::uint64_t upper : {7, 5, 3, 1, 4, 0, 2})
      for (std::uint64_t leaf = 0; leaf < 8; ++leaf) v.push_back(permission(leaf, upper, true));
    for (std::uint64_t leaf : {4, 5}) v.push_back(permission(leaf, 7, false));
    v.push_back(permission(7, 4, false));
    out.push_back(file_of("ept/permissions.yaml", "EPT rights of the final translation (guest under EPT)", std::move(v)));
  }
  {
    std::vector<Planned> v;
    for (unsigned level : {4u, 3u, 2u, 1u})
      for (std::uint64_t rights : {0, 1, 4, 5})
        for (bool ad : {false, true})
          for (bool clear : {false, true}) v.push_back(paging_structure(level, rights, ad, clear));
    v.push_back(ept_flags());
    out.push_back(file_of("ept/paging-structures.yaml", "EPT and the guest's paging-structure references and A/D updates", std::move(v)));
  }
  {
    std::vector<Planned> v;
    const std::uint64_t type_bits = 7ull << 3;
    for (std::uint64_t mt : {2, 3, 7})
      v.push_back(misconfiguration(fmt::format("memory-type-{}", mt),
                                   fmt::format("The data page's EPT PTE has memory type {}, which is reserved.", mt), 1, type_bits, mt << 3));
    v.push_back(misconfiguration("pte-bit-maxphyaddr",
                                 fmt::format("The data page's EPT PTE has bit {} (MAXPHYADDR, reserved) set.", kEptGuestMaxPhyAddr), 1, 0,
                                 1ull << kEptGuestMaxPhyAddr));
    v.push_back(misconfiguration("pte-bit-51", "The data page's EPT PTE has bit 51 (reserved) set.", 1, 0, 1ull << 51));
    v.push_back(misconfiguration("pde-bit-3", "The data page's EPT PDE (non-leaf) has bit 3 (reserved) set.", 2, 0, 1ull << 3));
    v.push_back(misconfiguration("pde-bit-6", "The data page's EPT PDE (non-leaf) has bit 6 (reserved) set.", 2, 0, 1ull << 6));
    v.push_back(misconfiguration("pdpte-bit-5", "The EPT PDPTE (non-leaf, shared with the guest tables) has bit 5 (reserved) set.", 3,
                                 0, 1ull << 5, "4K", "", true));
    v.push_back(misconfiguration("pml4e-bit-7", "The EPT PML4E (shared with the guest tables) has bit 7 (reserved) set.", 4, 0,
                                 1ull << 7, "4K", "", true));
    v.push_back(misconfiguration("pml4e-bit-3", "The EPT PML4E (shared with the guest tables) has bit 3 (reserved) set.", 4, 0,
                                 1ull << 3, "4K", "", true));
    v.push_back(misconfiguration("2m-bit-12", "The data page's 2-MByte EPT page has bit 12 (reserved in a 2-MByte leaf) set.", 2, 0,
                                 1ull << 12, "2M"));
    v.push_back(misconfiguration("2m-bit-20", "The data page's 2-MByte EPT page has bit 20 (reserved in a 2-MByte leaf) set.", 2, 0,
                                 1ull << 20, "2M"));
    v.push_back(misconfiguration("1g-bit-29", "A 1-GByte EPT page with bit 29 (reserved in a 1-GByte leaf) set.", 3, 0, 1ull << 29,
                                 "1G", "", true));
    // Not here: a 1-GByte EPT page without the capability. A vector's memory is [0, 1 GiB),
    // under one EPT PDPTE, so the guest's own tables would be behind that misconfigured
    // entry and the loader could not place them.
    v.push_back(misconfiguration("2m-unsupported",
                                 "A 2-MByte EPT page on a CPU without them (IA32_VMX_EPT_VPID_CAP bit 16 = 0): bit 7 of the EPT "
                                 "PDE is reserved.",
                                 2, 0, 0, "2M", "{ page_2m: false }"));
    out.push_back(file_of("ept/misconfigurations.yaml", "EPT misconfigurations (reserved values)", std::move(v)));
  }
  {
    std::vector<Planned> v;
    for (std::uint64_t offset : {0x0ull, 0x1000ull, 0x1ff000ull}) v.push_back(large_page("2M", offset));
    for (std::uint64_t offset : {0x0ull, 0x3ff000ull}) v.push_back(large_page("1G", offset));
    v.push_back(five_level());
    out.push_back(file_of("ept/large-pages.yaml", "2-MByte and 1-GByte EPT pages; a 5-level EPT", std::move(v)));
  }
  return out;
}

}  // namespace vtspec::generate
