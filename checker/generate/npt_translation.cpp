// An AMD-V guest under nested paging (vtspec/vector/3): the nested-paging rules as an L1
// hypervisor that runs a guest with NP_ENABLE sees them, through its accesses' outcomes.
//
//   npt/permissions.yaml      one nested leaf restricted at a time - not present, read-only,
//                             supervisor, no-execute - for the guest's PDPT, PD and PT pages
//                             and the data page: reads, writes and fetches at CPL 3 and 0
//                             (AMD64 APM Vol. 2 15.25.5: nested accesses are user accesses,
//                             guest page-table accesses user writes; 15.25.6: EXITINFO1/2)
//   npt/nested-levels.yaml    the same restrictions on the nested PDE above those pages
//   npt/reserved-bits.yaml    reserved bits in nested entries, and bit 63 without the host's
//                             EFER.NXE (APM Vol. 2 5.3, 15.25.5)
//   npt/large-pages.yaml      2-MByte and 1-GByte nested pages; guest #PF before a nested
//                             fault (15.25.6), a guest reserved-bit #PF; guest A/D updates
//                             made through nested paging
//   npt/vmrun-checks.yaml     VMRUN with one VMCB field that fails one consistency check of
//                             15.5.1 (#VMEXIT(INVALID); the guest then runs on as before),
//                             and the legal edge of each bounded check
//   npt/asid.yaml             a guest PTE changed without a flush: which ASIDs may still see
//                             the old translation after VMRUNs with each TLB_CONTROL, INVLPGA,
//                             the guest's INVLPG and the ASID clean bit (15.16.1, 15.16.2,
//                             15.15.3)
//
// The guest's PML4 is never restricted: the L1 harness's own code is reached through it (its
// PML4 entry 511), so a real target could not fetch an instruction under such a restriction.
//
// Each expected outcome is also derived here from the APM's rules written out per scenario
// (apm below), independently of spec/ and the model: generation fails when the model does
// not allow the outcome the APM gives. The model supplies the rest (values, A/D bits).
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "checker/generate/draft.hpp"

namespace vtspec::generate {

namespace {

// Host-physical: the nested tables. Guest-physical page g lives at host-physical g + kShift
// (4-KByte nested pages) unless a scene maps it with a large page.
constexpr std::uint64_t kNcr3 = 0x80000, kNestedPdpt = 0x81000, kNestedPd = 0x82000, kNestedPt0 = 0x83000,
                        kNestedPt1 = 0x84000, kShift = 0x100000;
// Guest-physical: the guest's PML4 in the first 2 MiB (nested PDE 0), everything else in the
// second (nested PDE 1), so a nested restriction there leaves the PML4 - and the harness - alone.
constexpr std::uint64_t kPml4 = 0x1000, kPdpt = 0x201000, kPd = 0x202000, kPt = 0x203000, kData = 0x204000,
                        kData2 = 0x205000;
constexpr std::uint64_t kVa = 0x0000'0080'8060'4000;  // indices 1, 2, 3, 4
constexpr std::uint64_t P = 1, RW = 2, US = 4, A = 1 << 5, D = 1 << 6, PS = 1 << 7, G = 1 << 8, NX = 1ull << 63;
constexpr std::uint64_t kUpper = P | RW | US | A, kLeaf = P | RW | US | A | D;
constexpr std::uint64_t kFinal = 1ull << 32, kTable = 1ull << 33, kRsv = 8, kId = 16;
constexpr std::uint64_t kWritten = 0x5a5a'5a5a'5a5a'00c3ull;  // keeps a RET (0xC3) for the fetch after it

struct Scene {
  std::map<std::uint64_t, std::uint64_t> host;     // hpa -> word
  std::map<std::uint64_t, std::uint64_t> nested;   // gpa page -> nested PTE flags (4-KByte pages)
  std::uint64_t pde1 = kNestedPt1 | kUpper;        // the nested PDE over guest-physical [2M, 4M)
  std::uint64_t pdpte0 = kNestedPd | kUpper;
  std::map<std::uint64_t, std::uint64_t> guest;    // gpa -> guest entry
  bool host_nxe = true;
  // Where guest-physical g lives (the scene's nested mapping, followed by hand).
  std::uint64_t hpa(std::uint64_t g) const {
    if (pdpte0 & PS) return g;  // a 1-GByte nested page at host-physical 0
    if (g >= 0x200000 && (pde1 & PS)) return (pde1 & 0xfffe00000ull) + (g - 0x200000);
    return g + kShift;
  }
};

Scene base() {
  Scene s;
  for (std::uint64_t g : {kPml4, kPdpt, kPd, kPt, kData}) s.nested[g] = kLeaf;
  s.guest[kPml4 + 8 * 1] = kPdpt | kUpper;
  s.guest[kPdpt + 8 * 2] = kPd | kUpper;
  s.guest[kPd + 8 * 3] = kPt | kUpper;
  s.guest[kPt + 8 * 4] = kData | kLeaf;
  return s;
}

StateSketch sketch(const Scene& sc) {
  std::map<std::uint64_t, std::uint64_t> words = sc.host;
  words[kNcr3] = kNestedPdpt | kUpper;
  words[kNestedPdpt] = sc.pdpte0;
  if (!(sc.pdpte0 & PS)) {
    words[kNestedPd] = kNestedPt0 | kUpper;
    words[kNestedPd + 8] = sc.pde1;
    for (const auto& [g, flags] : sc.nested) {
      if (!flags) continue;
      const std::uint64_t pt = g < 0x200000 ? kNestedPt0 : kNestedPt1;
      if (g >= 0x200000 && (sc.pde1 & PS)) continue;
      words[pt + 8 * ((g >> 12) & 511)] = ((g + kShift) & ~0xfffull) | flags;
    }
  }
  for (const auto& [g, e] : sc.guest) words[sc.hpa(g)] = e;
  words[sc.hpa(kData)] = data_value(sc.hpa(kData));
  StateSketch st;
  st.features = {"maxphyaddr: 36", "page1gb: true"};
  st.npt = fmt::format("{{ ncr3: {:#x}, host_nxe: {} }}", kNcr3, sc.host_nxe ? "true" : "false");
  st.root = kPml4;
  for (const auto& [a, v] : words) st.host_writes.emplace_back(a, v);
  return st;
}

// The APM's expectation for one operation, and the check that the model allows it. With
// `exactly`, the APM gives the whole set of allowed results, and the model's set must be it.
struct Apm {
  model::Event event;
  std::string why;
  std::vector<model::Event> exactly;
};
Apm done(std::string why) { return {model::Event::completed(), std::move(why), {}}; }
Apm npf(std::uint64_t info1, std::uint64_t info2, std::string why) {
  return {model::Event::svm_exit(model::kSvmExitNpf, info1, info2), std::move(why), {}};
}

struct Planned {
  Draft draft;
  std::vector<Apm> apm;  // one per operation
};

void check_against_apm(Planned& p) {
  complete(p.draft);
  const auto& v = p.draft.vector;
  if (p.apm.size() != v.operations.size()) throw std::logic_error(v.id + ": one APM expectation per operation");
  for (std::size_t i = 0; i < v.operations.size(); ++i) {
    bool allowed = false;
    std::string seen;
    for (const auto& o : v.expectations[i].outcomes) {
      allowed = allowed || model::difference(p.apm[i].event, o.event).empty();
      seen += "\n  model allows: " + model::describe(o.event);
    }
    if (!allowed)
      throw std::logic_error(fmt::format("{} operation {}: the APM gives {} ({}), which the model does not allow{}", v.id, i,
                                         model::describe(p.apm[i].event), p.apm[i].why, seen));
    const auto& exactly = p.apm[i].exactly;
    if (exactly.empty()) continue;
    auto in = [](const model::Event& e, const auto& set, auto event_of) {
      for (const auto& x : set)
        if (model::difference(e, event_of(x)).empty()) return true;
      return false;
    };
    auto itself = [](const model::Event& e) -> const model::Event& { return e; };
    auto of_outcome = [](const vectors::ExpectedOutcome& o) -> const model::Event& { return o.event; };
    bool same = true;  // the same set of events (outcomes may differ only in A/D bits)
    for (const auto& e : exactly) same = same && in(e, v.expectations[i].outcomes, of_outcome);
    for (const auto& o : v.expectations[i].outcomes) same = same && in(o.event, exactly, itself);
    if (!same) throw std::logic_error(fmt::format("{} operation {}: the APM allows exactly {} results ({}); the model:{}", v.id, i,
                                                  exactly.size(), p.apm[i].why, seen));
  }
}

enum class Kind { read, write, fetch };
const char* name(Kind k) { return k == Kind::read ? "read" : k == Kind::write ? "write" : "fetch"; }
std::uint64_t access_bits(Kind k, bool host_nxe) {
  // The nested #PF error code of the final access: W for a write; I/D for a fetch when the
  // nested regime has NX (host EFER.NXE; SMEP never applies to a user access).
  return (k == Kind::write ? RW : 0) | (k == Kind::fetch && host_nxe ? kId : 0);
}

// Reads, fetches and writes at CPL 3, then at CPL 0, of the data page.
void add_accesses(Planned& p, const std::function<Apm(Kind, unsigned)>& apm) {
  for (unsigned cpl : {3u, 0u}) {
    for (Kind k : {Kind::read, Kind::fetch, Kind::write}) {
      if (k == Kind::read) p.draft.read(kVa, cpl);
      if (k == Kind::fetch) p.draft.fetch(kVa, cpl);
      if (k == Kind::write) p.draft.write(kVa, cpl, kWritten);
      p.apm.push_back(apm(k, cpl));
    }
  }
}

Draft draft(std::string id, std::string description, std::vector<std::string> apm) {
  Draft d;
  d.vector.id = std::move(id);
  d.vector.description = std::move(description);
  d.vector.sdm = std::move(apm);
  return d;
}

struct Restriction {
  const char* name;
  std::uint64_t flags;  // the nested leaf; 0 = not present
};
const Restriction kRestrictions[] = {
    {"not-present", 0}, {"read-only", kLeaf & ~RW}, {"supervisor", kLeaf & ~US}, {"no-execute", kLeaf | NX}};

// What a nested leaf with `flags` does to the guest page-table reference at `entry` (a user
// write, 15.25.5), or nothing.
std::optional<Apm> table_fault(std::uint64_t flags, std::uint64_t entry) {
  if (!(flags & P)) return npf(kTable | RW | US, entry, "guest page-table access, nested entry not present");
  if (!(flags & RW)) return npf(kTable | P | RW | US, entry, "guest page-table access is a user write, nested R/W = 0");
  if (!(flags & US)) return npf(kTable | P | RW | US, entry, "guest page-table access is a user access, nested U/S = 0");
  return std::nullopt;
}
// ... and to the final access of kind `k`.
std::optional<Apm> final_fault(std::uint64_t flags, Kind k, bool host_nxe) {
  const std::uint64_t bits = access_bits(k, host_nxe) | US;
  if (!(flags & P)) return npf(kFinal | bits, kData, "final access, nested entry not present");
  if (!(flags & US)) return npf(kFinal | P | bits, kData, "final access is a user access, nested U/S = 0");
  if (k == Kind::write && !(flags & RW)) return npf(kFinal | P | bits, kData, "final write, nested R/W = 0");
  if (k == Kind::fetch && (flags & NX)) return npf(kFinal | P | bits, kData, "final fetch, nested NX = 1");
  return std::nullopt;
}

Planned permission(std::uint64_t page, const char* page_name, const Restriction& r) {
  Scene sc = base();
  sc.nested[page] = r.flags;
  Planned p;
  p.draft = draft(fmt::format("npt/{}-{}", page_name, r.name),
                  fmt::format("The nested PTE that maps the guest's {} page (guest-physical {:#x}) is {}.", page_name, page, r.name),
                  {"AMD64 APM Vol. 2 15.25.5", "AMD64 APM Vol. 2 15.25.6"});
  p.draft.state = sketch(sc);
  const std::uint64_t entry = page == kPdpt ? kPdpt + 16 : page == kPd ? kPd + 24 : page == kPt ? kPt + 32 : 0;
  add_accesses(p, [&](Kind k, unsigned) -> Apm {
    if (page != kData) return table_fault(r.flags, entry).value_or(done("nested entry allows a user write"));
    return final_fault(r.flags, k, true).value_or(done(fmt::format("nested entry allows a user {}", name(k))));
  });
  return p;
}

Planned nested_pde(const Restriction& r) {
  Scene sc = base();
  // The nested PDE over guest-physical [2M, 4M): everything but the guest's PML4.
  sc.pde1 = r.flags ? ((kNestedPt1 | kUpper) & ~(kLeaf & ~r.flags)) | (r.flags & NX) : 0;
  Planned p;
  p.draft = draft(fmt::format("npt/nested-pde-{}", r.name),
                  fmt::format("The nested PDE over guest-physical [2 MiB, 4 MiB) - the guest's PDPT, PD, PT and data - is {}.", r.name),
                  {"AMD64 APM Vol. 2 15.25.5", "AMD64 APM Vol. 2 15.25.6"});
  p.draft.state = sketch(sc);
  add_accesses(p, [&](Kind k, unsigned) -> Apm {
    const std::uint64_t flags = r.flags ? (kLeaf & r.flags) | (r.flags & NX) : 0;
    if (auto f = table_fault(flags, kPdpt + 16)) return *f;
    return final_fault(flags, k, true).value_or(done("nested entries allow it"));
  });
  return p;
}

Planned reserved(std::string id, std::string description, std::uint64_t page, std::uint64_t set, bool host_nxe) {
  Scene sc = base();
  sc.host_nxe = host_nxe;
  sc.nested[page] |= set;
  Planned p;
  p.draft = draft("npt/" + id, description, {"AMD64 APM Vol. 2 5.3", "AMD64 APM Vol. 2 15.25.5", "AMD64 APM Vol. 2 15.25.6"});
  p.draft.state = sketch(sc);
  add_accesses(p, [&](Kind k, unsigned) -> Apm {
    if (page != kData) return npf(kTable | P | RW | US | kRsv, kPd + 24, "reserved bit in the nested PTE of a guest table");
    return npf(kFinal | P | US | kRsv | access_bits(k, host_nxe), kData, "reserved bit in the data page's nested PTE");
  });
  return p;
}

Planned host_nxe_off_absent() {
  Scene sc = base();
  sc.host_nxe = false;
  sc.nested[kData] = 0;
  Planned p;
  p.draft = draft("npt/host-nxe-0-not-present",
                  "The data page's nested PTE is not present and the host ran VMRUN with EFER.NXE = 0: a fetch's nested error "
                  "code has no I/D bit (it needs NX or SMEP in the nested regime).",
                  {"AMD64 APM Vol. 2 8.4.2", "AMD64 APM Vol. 2 15.25.5", "AMD64 APM Vol. 2 15.25.6"});
  p.draft.state = sketch(sc);
  add_accesses(p, [&](Kind k, unsigned) { return *final_fault(0, k, false); });
  return p;
}

Planned large(const char* size) {
  Scene sc = base();
  const bool gig = std::string(size) == "1G";
  if (gig)
    sc.pdpte0 = 0 | kLeaf | PS;  // guest-physical [0, 1G) at host-physical 0
  else
    sc.pde1 = 0x400000 | kLeaf | PS;  // guest-physical [2M, 4M) at host-physical 4M
  Planned p;
  p.draft = draft(fmt::format("npt/{}-nested-page", size),
                  gig ? "A 1-GByte nested page (nested PDPTE with PS = 1) maps guest-physical [0, 1 GiB) to host-physical 0."
                      : "A 2-MByte nested page (nested PDE with PS = 1) maps guest-physical [2 MiB, 4 MiB), the guest's tables "
                        "and data, to host-physical 4 MiB.",
                  {"AMD64 APM Vol. 2 5.3.4", "AMD64 APM Vol. 2 15.25.5"});
  p.draft.state = sketch(sc);
  add_accesses(p, [](Kind k, unsigned) { return done(fmt::format("a {} through a large nested page", name(k))); });
  return p;
}

Planned guest_fault_first() {
  Scene sc = base();
  sc.guest[kPt + 8 * 4] = 0;
  sc.nested[kData] = 0;
  Planned p;
  p.draft = draft("npt/guest-pf-before-nested-fault",
                  "The guest's PTE is not present and so is the data page's nested PTE: the guest walk ends first, in a #PF "
                  "delivered to the guest, and the final address is never translated.",
                  {"AMD64 APM Vol. 2 15.25.6"});
  p.draft.state = sketch(sc);
  add_accesses(p, [](Kind k, unsigned cpl) -> Apm {
    // The guest's #PF error code (APM Vol. 2 8.4.2): not present; W, U/S = CPL 3, I/D for a
    // fetch with the guest's EFER.NXE.
    const std::uint64_t code = (k == Kind::write ? RW : 0) | (cpl == 3 ? US : 0) | (k == Kind::fetch ? kId : 0);
    return {model::Event::exception(model::kPageFaultVector, code, kVa), "guest #PF"};
  });
  return p;
}

Planned guest_reserved_bit() {
  Scene sc = base();
  sc.guest[kPt + 8 * 4] |= 1ull << 36;  // reserved with MAXPHYADDR 36
  Planned p;
  p.draft = draft("npt/guest-pte-bit-36",
                  "The guest's PTE has bit 36 set, reserved with MAXPHYADDR 36: a #PF for the guest with P = 1 and RSV = 1 "
                  "(its nested translations all succeed).",
                  {"AMD64 APM Vol. 2 5.3", "AMD64 APM Vol. 2 8.4.2", "AMD64 APM Vol. 2 15.25.6"});
  p.draft.state = sketch(sc);
  add_accesses(p, [](Kind k, unsigned cpl) -> Apm {
    const std::uint64_t code = P | kRsv | (k == Kind::write ? RW : 0) | (cpl == 3 ? US : 0) | (k == Kind::fetch ? kId : 0);
    return {model::Event::exception(model::kPageFaultVector, code, kVa), "guest #PF, reserved bit"};
  });
  return p;
}

Planned guest_flags_through_nested() {
  Scene sc = base();
  sc.guest[kPt + 8 * 4] = kData | P | RW | US;  // A = D = 0
  Planned p;
  p.draft = draft("npt/guest-ad-updates",
                  "The guest's PTE has A = D = 0: the processor sets them through the nested translation of the guest's PT "
                  "page (a user write, allowed by its nested entry).",
                  {"AMD64 APM Vol. 2 5.4", "AMD64 APM Vol. 2 15.25.5"});
  p.draft.state = sketch(sc);
  p.draft.entry("guest_pte", sc.hpa(kPt + 8 * 4));
  add_accesses(p, [](Kind k, unsigned) { return done(fmt::format("a {}; the guest's A/D flags are set", name(k))); });
  return p;
}

// ASIDs and TLB control (15.16). The guest reads kVa (its TLB may now hold kVa -> kData,
// tagged with its ASID), points kVa's PTE at kData2 without a flush, and the hypervisor then
// runs it in ASIDs and with TLB controls the scenario names. After each step the APM allows
// the old data only while an entry of the running ASID can survive (15.16: entries are
// ASID-tagged; 15.16.1: TLB_CONTROL 0 keeps entries, 1 flushes every ASID, 3 the guest's
// ASID, 7 its non-global entries; 15.16.2: INVLPGA removes one page of the ASID in ECX);
// the new data is always allowed (a TLB may drop any entry).
struct AsidStep {
  std::function<void(Draft&)> op;
  int stale = -1;  // a read after: 1 old or new data allowed, 0 new only; -1 no read
};
Planned asid_scenario(std::string id, std::string description, bool global, std::vector<AsidStep> steps) {
  Scene sc = base();
  sc.nested[kData2] = kLeaf;
  sc.host[sc.hpa(kData2)] = data_value(sc.hpa(kData2));
  const std::uint64_t leaf = kLeaf | (global ? G : 0);
  sc.guest[kPt + 8 * 4] = kData | leaf;
  Planned p;
  p.draft = draft("npt/asid-" + id, std::move(description),
                  {"AMD64 APM Vol. 2 15.16", "AMD64 APM Vol. 2 15.16.1", "AMD64 APM Vol. 2 15.16.2"});
  p.draft.state = sketch(sc);
  if (global) p.draft.state.cr4.push_back("PGE");
  const model::Event old_data = model::Event::completed(data_value(sc.hpa(kData)));
  const model::Event new_data = model::Event::completed(data_value(sc.hpa(kData2)));
  p.draft.read(kVa, 0);
  p.apm.push_back({old_data, "the first read walks the guest's tables", {old_data}});
  p.draft.store_entry(kPt + 8 * 4, kData2 | leaf);
  p.apm.push_back(done("the guest's store of its PTE"));
  p.draft.read(kVa, 0);
  p.apm.push_back({new_data, "no flush yet: the entry of ASID 1 may still serve kVa", {old_data, new_data}});
  for (const auto& step : steps) {
    step.op(p.draft);
    p.apm.push_back(done("a TLB control operation"));
    if (step.stale < 0) continue;
    p.draft.read(kVa, 0);
    if (step.stale) p.apm.push_back({new_data, "an entry of the running ASID may have survived", {old_data, new_data}});
    else p.apm.push_back({new_data, "no entry of the running ASID can hold the old translation", {new_data}});
  }
  return p;
}
std::function<void(Draft&)> run_in(std::uint64_t asid, unsigned tlb_control) {
  return [=](Draft& d) { d.vmrun(asid, tlb_control); };
}
// VMRUN with the ASID clean bit (15.15.3: the processor may keep the ASID it cached).
std::function<void(Draft&)> run_clean(std::uint64_t asid, unsigned tlb_control) {
  return [=](Draft& d) { d.vmrun(asid, tlb_control, {}, 1u << 2); };
}
std::function<void(Draft&)> invlpga_in(std::uint64_t va, std::uint64_t asid) {
  return [=](Draft& d) { d.invlpga(va, asid); };
}
std::vector<Planned> asid_scenarios() {
  std::vector<Planned> v;
  v.push_back(asid_scenario("tlb-control-0-keeps", "VMRUN with TLB_CONTROL 0 into the same ASID keeps its entries.", false,
                            {{run_in(1, 0), 1}, {run_in(1, 0), 1}}));
  v.push_back(asid_scenario("other-asid-does-not-see",
                            "ASID 1's entry is not used while the guest runs in ASID 2, and is there again back in ASID 1.", false,
                            {{run_in(2, 0), 0}, {run_in(1, 0), 1}}));
  v.push_back(asid_scenario("flush-this-guest",
                            "TLB_CONTROL 3 flushes only the ASID being entered: entering ASID 2 with it spares ASID 1's entry, "
                            "entering ASID 1 with it removes it.",
                            false, {{run_in(2, 3), -1}, {run_in(1, 0), 1}, {run_in(1, 3), 0}}));
  v.push_back(asid_scenario("flush-all", "TLB_CONTROL 1 on a VMRUN into ASID 2 flushes every ASID's entries, ASID 1's too.",
                            false, {{run_in(2, 1), -1}, {run_in(1, 0), 0}}));
  v.push_back(asid_scenario("flush-non-global-keeps-global",
                            "TLB_CONTROL 7 keeps the guest's global entries (PTE.G with CR4.PGE); TLB_CONTROL 3 removes them.",
                            true, {{run_in(1, 7), 1}, {run_in(1, 3), 0}}));
  v.push_back(asid_scenario("flush-non-global", "TLB_CONTROL 7 removes the guest's non-global entries.", false,
                            {{run_in(1, 7), 0}}));
  v.push_back(asid_scenario("invlpga",
                            "INVLPGA names its ASID: for ASID 2 or another page it spares ASID 1's entry; for ASID 1 and kVa "
                            "(any offset in the page) it removes it.",
                            false, {{invlpga_in(kVa, 2), 1}, {invlpga_in(kVa + 0x1000, 1), 1}, {invlpga_in(kVa | 0x123, 1), 0}}));
  v.push_back(asid_scenario("invlpga-other-asid",
                            "INVLPGA reaches an ASID other than the running one: ASID 1's entry, removed from ASID 2, is gone "
                            "when the guest runs in ASID 1 again.",
                            false, {{run_in(2, 0), 0}, {invlpga_in(kVa, 1), -1}, {run_in(1, 0), 0}}));
  v.push_back(asid_scenario("clean-bit-may-keep-the-asid",
                            "A VMRUN into ASID 2 with the ASID clean bit set (15.15.3) may leave the guest in the ASID the "
                            "processor cached, 1, whose entry may serve kVa; the next VMRUN without the bit runs it in 2.",
                            false, {{run_clean(2, 0), 1}, {run_in(2, 0), 0}}));
  v.push_back(asid_scenario("clean-bit-same-asid",
                            "The ASID clean bit with the ASID unchanged changes nothing: TLB_CONTROL 3 then flushes ASID 1.",
                            false, {{run_clean(1, 0), 1}, {run_clean(1, 3), 0}}));
  v.push_back(asid_scenario("guest-invlpg", "The guest's own INVLPG removes its ASID's entry for the page (APM Vol. 2 15.16).",
                            false, {{[](Draft& d) { d.invlpg(kVa); }, 0}}));
  return v;
}

// VMRUN's consistency checks (APM Vol. 2 15.5.1, 15.20), one VMCB field at a time against the
// L1's legal VMCB for the base scene's guest (EFER = LME | LMA | NXE | SVME = 0x1d00, CR0 =
// PE | WP | PG, CR4 = PAE, CR3 = 0x1000, MAXPHYADDR 36, DR6/DR7 at reset, a 64-bit CS).
// The APM's verdict is written per case. The guest reads kVa before and after: a failed
// VMRUN loads no guest state, so the guest runs on in ASID 1 as before.
struct VmrunCase {
  const char* id;
  std::vector<std::pair<model::VmcbField, std::uint64_t>> vmcb;
  std::uint64_t asid;
  bool legal;
  const char* why;
};
Planned vmrun_case(const VmrunCase& c) {
  Scene sc = base();
  Planned p;
  p.draft = draft(std::string("npt/vmrun-") + c.id, std::string(c.legal ? "VMRUN enters: " : "VMRUN fails: ") + c.why + ".",
                  {"AMD64 APM Vol. 2 15.5.1"});
  p.draft.state = sketch(sc);
  const model::Event data = model::Event::completed(data_value(sc.hpa(kData)));
  p.draft.read(kVa, 0);
  p.apm.push_back({data, "the guest reads its data", {data}});
  p.draft.vmrun(c.asid, 0, c.vmcb);
  if (c.legal) p.apm.push_back({model::Event::completed(), c.why, {model::Event::completed()}});
  else p.apm.push_back({model::Event::svm_invalid(), c.why, {model::Event::svm_invalid()}});
  p.draft.read(kVa, 0);
  p.apm.push_back({data, "the guest runs on", {data}});
  return p;
}
std::vector<Planned> vmrun_checks() {
  using F = model::VmcbField;
  constexpr std::uint64_t kEfer = 0x1d00, kCr0 = 0x80010001, kTop = std::uint64_t{1} << 36;
  constexpr std::uint64_t kCd = 1ull << 30, kNw = 1ull << 29;
  const VmrunCase cases[] = {
      {"efer-svme-clear", {{F::efer, kEfer & ~0x1000ull}}, 2, false, "the guest's EFER.SVME is 0"},
      {"cr0-nw-without-cd", {{F::cr0, kCr0 | kNw}}, 2, false, "CR0.NW = 1 with CR0.CD = 0"},
      {"cr0-cd-and-nw", {{F::cr0, kCr0 | kCd | kNw}}, 2, true, "CR0.CD = CR0.NW = 1 is legal (only NW without CD is not)"},
      {"cr0-bit-32", {{F::cr0, kCr0 | 1ull << 32}}, 2, false, "CR0 bit 32 is set (CR0[63:32] must be zero)"},
      {"cr3-bit-36", {{F::cr3, 0x1000 | kTop}}, 2, false, "in long mode, CR3 bit 36 is set, at MAXPHYADDR 36 (MBZ)"},
      {"cr4-bit-31", {{F::cr4, 0x20 | 1ull << 31}}, 2, false, "CR4 bit 31 is set, a bit no processor implements (MBZ)"},
      {"dr6-bit-32", {{F::dr6, 0xffff0ff0 | 1ull << 32}}, 2, false, "DR6 bit 32 is set (DR6[63:32] must be zero)"},
      {"dr7-bit-32", {{F::dr7, 0x400 | 1ull << 32}}, 2, false, "DR7 bit 32 is set (DR7[63:32] must be zero)"},
      {"efer-bit-32", {{F::efer, kEfer | 1ull << 32}}, 2, false, "EFER bit 32 is set (reserved, MBZ)"},
      {"long-mode-without-pae", {{F::cr4, 0}}, 2, false, "EFER.LME = CR0.PG = 1 with CR4.PAE = 0"},
      {"long-mode-without-pe", {{F::cr0, kCr0 & ~1ull}}, 2, false, "EFER.LME = CR0.PG = 1 with CR0.PE = 0"},
      {"long-mode-cs-l-and-d", {{F::cs_attrib, 0x29b | 0x400}}, 2, false, "long mode with CS.L = CS.D = 1"},
      {"no-vmrun-intercept", {{F::intercept_misc2, 0x2}}, 2, false, "the VMRUN intercept is clear"},
      {"iopm-past-maxphyaddr", {{F::iopm_base, kTop - 0x2000}}, 2, false,
       "the 12-KByte I/O permission map at 2^36 - 8 KiB extends past MAXPHYADDR"},
      {"iopm-ends-at-maxphyaddr", {{F::iopm_base, kTop - 0x3000}}, 2, true,
       "the 12-KByte I/O permission map at 2^36 - 12 KiB ends at the last byte below 2^MAXPHYADDR"},
      {"msrpm-past-maxphyaddr", {{F::msrpm_base, kTop - 0x1000}}, 2, false,
       "the 8-KByte MSR permission map at 2^36 - 4 KiB extends past MAXPHYADDR"},
      {"msrpm-ends-at-maxphyaddr", {{F::msrpm_base, kTop - 0x2000}}, 2, true,
       "the 8-KByte MSR permission map at 2^36 - 8 KiB ends at the last byte below 2^MAXPHYADDR"},
      {"eventinj-reserved-type", {{F::event_injection, 0x80000100}}, 2, false, "EVENTINJ is valid with the reserved TYPE 1 (15.20)"},
      {"eventinj-exception-2", {{F::event_injection, 0x80000302}}, 2, false,
       "EVENTINJ injects an exception (TYPE 3) with vector 2, the NMI's (15.20)"},
      {"eventinj-exception-32", {{F::event_injection, 0x80000320}}, 2, false,
       "EVENTINJ injects an exception (TYPE 3) with vector 32, not an exception (15.20)"},
      {"asid-0", {}, 0, false, "the guest ASID is 0, the host's (15.16)"},
  };
  std::vector<Planned> v;
  for (const auto& c : cases) v.push_back(vmrun_case(c));
  return v;
}

CorpusFile file_of(const char* path, const char* description, std::vector<Planned> planned) {
  CorpusFile f{path, description, {}};
  for (auto& p : planned) {
    check_against_apm(p);
    f.drafts.push_back(std::move(p.draft));
  }
  return f;
}

}  // namespace

std::vector<CorpusFile> npt_translation() {
  std::vector<CorpusFile> out;
  {
    std::vector<Planned> v;
    const std::pair<std::uint64_t, const char*> pages[] = {{kPdpt, "pdpt"}, {kPd, "pd"}, {kPt, "pt"}, {kData, "data"}};
    for (const auto& [page, page_name] : pages)
      for (const auto& r : kRestrictions) v.push_back(permission(page, page_name, r));
    out.push_back(file_of("npt/permissions.yaml", "Nested-paging rights of guest page-table references and final accesses",
                          std::move(v)));
  }
  {
    std::vector<Planned> v;
    for (const auto& r : kRestrictions) v.push_back(nested_pde(r));
    out.push_back(file_of("npt/nested-levels.yaml", "A restricted nested PDE over the guest's tables and data", std::move(v)));
  }
  {
    std::vector<Planned> v;
    v.push_back(reserved("data-bit-36", "The data page's nested PTE has bit 36 set, reserved with MAXPHYADDR 36.", kData, 1ull << 36, true));
    v.push_back(reserved("pd-bit-51", "The nested PTE of the guest's PD page has bit 51 set (reserved).", kPd, 1ull << 51, true));
    v.push_back(reserved("data-nx-without-host-nxe",
                         "The data page's nested PTE has bit 63 set and the host ran VMRUN with EFER.NXE = 0: bit 63 is reserved.",
                         kData, NX, false));
    v.push_back(host_nxe_off_absent());
    out.push_back(file_of("npt/reserved-bits.yaml", "Reserved bits in nested entries", std::move(v)));
  }
  {
    std::vector<Planned> v;
    v.push_back(large("2M"));
    v.push_back(large("1G"));
    v.push_back(guest_fault_first());
    v.push_back(guest_reserved_bit());
    v.push_back(guest_flags_through_nested());
    out.push_back(file_of("npt/large-pages.yaml", "Large nested pages, fault order and guest A/D updates under nested paging",
                          std::move(v)));
  }
  out.push_back(file_of("npt/vmrun-checks.yaml", "VMRUN's consistency checks, one VMCB field at a time", vmrun_checks()));
  out.push_back(file_of("npt/asid.yaml", "ASID-tagged TLB entries, VMRUN's TLB_CONTROL and INVLPGA", asid_scenarios()));
  return out;
}

}  // namespace vtspec::generate
