// The access-test space packed into vectors (access_space.hpp): one vector per chunk and
// register configuration, each case with its own mapping at its own linear address, its
// checked entries, and expectations from the model (vectors/format/model_evaluation.hpp).
//
// Layout (guest-physical below 1 GiB and linear below PML4 slot 511, vector_address_space.h):
//   family pt:   PML4 slot 1; PDPTE 0 writable, PDPTE 1 not (access.c's AC_PDPTE_NO_WRITABLE);
//                case n of its PDPTE at PDE n (2 MiB apart), its PTE at index 0 of its own PT.
//   family pdpt: case n at PML4 slot 2 + n, PDPTE 0 (a 1-GByte leaf maps PA 0, the case
//                accesses offset 16 MiB), PDE 0, PTE 0.
//   Every leaf maps the one data page at 16 MiB (RET first, draft.hpp's data_value); writes
//   store the value it holds, so the memory a vector starts from is the same whatever ran.
// The chunk's state is loaded once with the one state loader and shared by its register
// configurations, which differ only in registers: consecutive vectors start from the same
// memory, so a target that reuses its VM restages almost nothing.
#include <algorithm>
#include <bit>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "checker/generate/access_space.hpp"
#include "checker/generate/draft.hpp"
#include "spec/paging_entry.hpp"
#include "vectors/format/model_evaluation.hpp"
#include "vectors/format/state_file.hpp"

namespace vtspec::generate::access_space {

namespace {

using namespace bit;

constexpr std::uint64_t kData = kDataAt;  // 16 MiB
constexpr std::uint64_t kPtSlot = 1, kFirstPdptSlot = 2;
constexpr unsigned kKeyTwoBit = spec::pte::protection_key_lo + 1;  // key 2 in bits 62:59

// The flags of an entry for a mapping (P RW US A D XD; PS comes from the page size).
std::vector<const char*> flag_names(std::uint64_t e) {
  static const std::pair<std::uint64_t, const char*> names[] = {{P, "P"}, {RW, "RW"}, {US, "US"},
                                                                 {A, "A"}, {D, "D"},   {XD, "XD"}};
  std::vector<const char*> out;
  for (const auto& [b, name] : names)
    if (e & b) out.push_back(name);
  return out;
}

// The bits a mapping's `set:` ORs into an entry: reserved bits, PS of a PML4E, key 2.
std::vector<unsigned> set_bits(std::uint64_t e, bool key_two) {
  std::vector<unsigned> bits;
  for (std::uint64_t b : {PS, R13, R36, R51})
    if (e & b) bits.push_back(static_cast<unsigned>(std::countr_zero(b)));
  if (key_two) bits.push_back(kKeyTwoBit);
  return bits;
}

// One case's mapping (vectors/SCHEMA.md, states: a mapping with upper levels and `set:`),
// written as YAML text for vector files and built as a YAML node for the loader (the same
// fields; the load-back test compares the two).
struct Mapping {
  std::uint64_t va = 0, pa = 0;
  const char* size = "4K";
  std::uint64_t flags = 0;
  std::vector<std::pair<const char*, std::uint64_t>> upper;  // "pml4", "pdpt", "pd" -> flags
  bool pkey = false;
  std::map<std::string, std::vector<unsigned>> set;

  std::string text() const {
    std::string m = fmt::format("{{ va: {:#x}, pa: {:#x}, size: {}, flags: [{}]", va, pa, size, fmt::join(flag_names(flags), ", "));
    for (const auto& [level, f] : upper) m += fmt::format(", {}: [{}]", level, fmt::join(flag_names(f), ", "));
    if (pkey) m += ", pkey: 1";
    if (!set.empty()) {
      std::vector<std::string> parts;
      for (const auto& [entry, bits] : set) parts.push_back(fmt::format("{}: [{}]", entry, fmt::join(bits, ", ")));
      m += fmt::format(", set: {{ {} }}", fmt::join(parts, ", "));
    }
    return m + " }";
  }
  YAML::Node node() const {
    YAML::Node n;
    n["va"] = fmt::format("{:#x}", va);
    n["pa"] = fmt::format("{:#x}", pa);
    n["size"] = size;
    auto list = [](std::uint64_t f) {
      YAML::Node l(YAML::NodeType::Sequence);
      for (const char* name : flag_names(f)) l.push_back(name);
      return l;
    };
    n["flags"] = list(flags);
    for (const auto& [level, f] : upper) n[level] = list(f);
    if (pkey) n["pkey"] = 1;
    if (!set.empty())
      for (const auto& [entry, bits] : set) {
        YAML::Node b(YAML::NodeType::Sequence);
        for (unsigned bit : bits) b.push_back(bit);
        n["set"][entry] = b;
      }
    return n;
  }
};

struct Placed {
  Mapping mapping;
  std::uint64_t va = 0;                                     // the accessed linear address
  std::vector<std::pair<std::string, unsigned>> checked;    // entry name -> level
};

Placed place(const Walk& w, std::size_t n, unsigned per_pdpte_index) {
  Placed p;
  Mapping& m = p.mapping;
  auto add_set = [&](const char* entry, std::vector<unsigned> bits) {
    if (!bits.empty()) m.set[entry] = std::move(bits);
  };
  const std::uint64_t kDefaultUpper = P | RW | US | A;
  m.pkey = w.pkey;
  if (w.family == Family::pt) {
    m.va = (kPtSlot << 39) | (std::uint64_t{w.pdpte_writable ? 0u : 1u} << 30) | (std::uint64_t{per_pdpte_index} << 21);
    m.pa = kData;
    p.va = m.va;
    m.upper = {{"pml4", kDefaultUpper}, {"pdpt", w.pdpte_writable ? kDefaultUpper : (P | US | A)}};
    if (w.upper & PS) {
      m.size = "2M";
      m.flags = w.upper;
      add_set("pde", set_bits(w.upper & ~PS, false));
      p.checked = {{"pde", 2}};
    } else {
      m.flags = w.lower;
      m.upper.push_back({"pd", w.upper});
      add_set("pde", set_bits(w.upper, w.pkey));
      add_set("pte", set_bits(w.lower, false));
      p.checked = {{"pde", 2}, {"pte", 1}};
    }
  } else {
    m.va = (kFirstPdptSlot + n) << 39;
    if (w.lower & PS) {
      p.va = m.va + kData;  // the 1-GByte page maps PA 0: offset 16 MiB is the data page
      m.pa = 0;
      m.size = "1G";
      m.flags = w.lower;
      m.upper = {{"pml4", w.upper}};
      add_set("pml4e", set_bits(w.upper, w.pkey));
      add_set("pdpte", set_bits(w.lower & ~PS, false));
    } else {
      p.va = m.va;
      m.pa = kData;
      m.flags = P | RW | US | A | D;
      m.upper = {{"pml4", w.upper}, {"pdpt", w.lower}, {"pd", kDefaultUpper}};
      add_set("pml4e", set_bits(w.upper, false));
      add_set("pdpte", set_bits(w.lower, false));
      if (w.pkey) add_set("pde", {kKeyTwoBit});
    }
    p.checked = {{"pml4e", 4}, {"pdpte", 3}};
  }
  return p;
}

model::Operation access_operation(const Access& a, std::uint64_t va) {
  model::Operation op;
  op.kind = model::OperationKind::access;
  op.access.linear = va;
  op.access.kind = a.kind;
  op.access.cpl = a.cpl();
  op.access.implicit_supervisor = a.implicit();
  op.size = a.kind == spec::AccessKind::fetch ? 1 : 8;
  if (a.kind == spec::AccessKind::write) op.value = data_value(kData);
  return op;
}

// The guest-physical address of the entry at `level` on the walk of `va` (state_file's tables;
// followed through every entry above, present or not, since the loader placed them all).
std::uint64_t entry_at(const model::MachineState& s, std::uint64_t va, unsigned level) {
  std::uint64_t table = s.regs.cr3 & spec::frame_mask(s.features.maxphyaddr);
  for (unsigned l = 4;; --l) {
    const std::uint64_t slot = table + ((va >> spec::index_shift(l)) & 511) * 8;
    if (l == level) return slot;
    table = s.memory.read64(slot) & spec::frame_mask(s.features.maxphyaddr);
  }
}

void apply(const Registers& r, StateSketch& s) {
  s.cr0 = r.wp ? std::vector<std::string>{"PE", "PG", "WP"} : std::vector<std::string>{"PE", "PG"};
  s.cr4 = {"PAE"};
  if (r.smep) s.cr4.push_back("SMEP");
  if (r.smap) s.cr4.push_back("SMAP");
  if (r.pke) s.cr4.push_back("PKE");
  s.efer = r.nxe ? std::vector<std::string>{"LME", "LMA", "NXE"} : std::vector<std::string>{"LME", "LMA"};
  s.ac = r.ac;
  s.pkru = r.pkru();
}

void apply(const Registers& r, model::GuestRegisters& g) {
  g.cr0 = model::cr0::pe | model::cr0::pg | (r.wp ? model::cr0::wp : 0);
  g.cr4 = model::cr4::pae | (r.smep ? model::cr4::smep : 0) | (r.smap ? model::cr4::smap : 0) | (r.pke ? model::cr4::pke : 0);
  g.efer = model::efer::lme | model::efer::lma | (r.nxe ? model::efer::nxe : 0);
  g.rflags = 0x2 | (r.ac ? model::rflags::ac : 0);
  g.pkru = r.pkru();
}

// A chunk as a vector without registers or expectations, and its state sketch.
struct ChunkVector {
  vectors::Vector vector;
  StateSketch state;
};

// A group of walks laid out: its state (sketch and loaded), each case's linear address and
// checked entries. Consecutive chunks over one group of walks share it (access_space.cpp,
// for_each_chunk), so it is built, and the loader run, once per group.
struct Layout {
  std::vector<Walk> walks;
  StateSketch state;
  model::MachineState initial;
  std::vector<std::uint64_t> vas;
  std::vector<vectors::CheckedEntry> entries;
  std::vector<std::string> described;  // each walk in words
};

void lay_out(const Options& options, const Chunk& chunk, Layout& layout) {
  std::vector<Walk> walks;
  for (const auto& c : chunk.cases) walks.push_back(c.first);
  if (walks == layout.walks) return;
  layout = Layout{};
  layout.walks = std::move(walks);
  StateSketch& s = layout.state;
  s.features = {fmt::format("maxphyaddr: {}", options.maxphyaddr)};
  s.data_page(kData);
  unsigned per_pdpte[2] = {0, 0};
  std::vector<std::pair<std::uint64_t, unsigned>> checked;  // (va, level) per entry
  YAML::Node mappings(YAML::NodeType::Sequence);
  for (std::size_t n = 0; n < layout.walks.size(); ++n) {
    const Walk& w = layout.walks[n];
    const Placed p = place(w, n, per_pdpte[w.pdpte_writable ? 0 : 1]++);
    s.mappings.push_back(p.mapping.text());
    mappings.push_back(p.mapping.node());
    layout.vas.push_back(p.va);
    for (const auto& [name, level] : p.checked) {
      layout.entries.push_back({fmt::format("c{}.{}", n, name), 0});
      checked.push_back({p.va, level});
    }
    layout.described.push_back(w.describe());
  }
  Registers defaults;
  defaults.nxe = chunk.nxe;
  apply(defaults, s);
  // The state as the loader reads it, built as a node: the sketch's text (StateSketch::yaml)
  // without a parse of it; the registers are set per vector afterwards.
  YAML::Node doc;
  doc["schema"] = "vtspec/state/1";
  doc["features"]["maxphyaddr"] = options.maxphyaddr;
  doc["paging"]["root"] = fmt::format("{:#x}", s.root);
  doc["paging"]["tables_at"] = fmt::format("{:#x}", s.tables_at);
  doc["paging"]["map"] = mappings;
  for (const auto& [gpa, value] : s.writes) {
    YAML::Node w;
    w["gpa"] = fmt::format("{:#x}", gpa);
    w["u64"] = fmt::format("{:#x}", value);
    doc["memory"].push_back(w);
  }
  layout.initial = vectors::load_state(doc, "<access space>");
  for (std::size_t i = 0; i < checked.size(); ++i)
    layout.entries[i].physical = entry_at(layout.initial, checked[i].first, checked[i].second);
}

ChunkVector chunk_vector(const Options& options, const Chunk& chunk, Layout& layout) {
  lay_out(options, chunk, layout);
  ChunkVector out;
  out.state = layout.state;
  vectors::Vector& v = out.vector;
  std::string cases;
  for (std::size_t n = 0; n < chunk.cases.size(); ++n) {
    const Access& a = chunk.cases[n].second;
    if (a.twice) v.operations.push_back(access_operation({Mode::supervisor, spec::AccessKind::read, false}, layout.vas[n]));
    v.operations.push_back(access_operation(a, layout.vas[n]));
    cases += fmt::format("{}c{}: {}, {}", n ? "; " : "", n, layout.described[n], a.describe());
  }
  v.initial = layout.initial;
  v.entries = layout.entries;
  v.description = fmt::format("kvm-unit-tests access space (docs/access-space.md), family {}, {} cases: {}",
                              to_string(chunk.family), chunk.cases.size(), cases);
  v.sdm = {"Vol. 3A 4.6", "Vol. 3A 4.6.2", "Vol. 3A 4.7", "Vol. 3A 4.8", "Vol. 3A 4.5.4"};
  return out;
}

}  // namespace

std::uint64_t Report::not_runnable_cases() const {
  std::uint64_t n = 0;
  for (const auto& [reason, cases] : not_runnable) n += cases;
  return n;
}

namespace {

// A chunk's vector in a register configuration, without expectations (what the target's
// admission needs), then with them.
GeneratedVector configure(const ChunkVector& base, const Chunk& chunk, const Registers& r) {
  GeneratedVector g;
  g.vector = base.vector;
  g.vector.id = fmt::format("access/{}/{:06}/{}", to_string(chunk.family), chunk.index, r.id());
  apply(r, g.vector.initial.regs);
  g.cases = chunk.cases.size();
  return g;
}

void complete(GeneratedVector& g, const ChunkVector& base, const Registers& r, bool state_text) {
  for (auto& step : vectors::evaluate_on_model(g.vector, nullptr, vectors::StepTrace::omit)) {
    g.vector.expectations.push_back(std::move(step.expectation));
    g.vector.notes.merge(step.notes);
  }
  if (!state_text) return;
  StateSketch sketch = base.state;
  apply(r, sketch);
  g.state_yaml = sketch.yaml();
}

bool same_walks(const Chunk& a, const Chunk& b) {
  return a.cases.size() == b.cases.size() &&
         std::equal(a.cases.begin(), a.cases.end(), b.cases.begin(), [](const auto& x, const auto& y) { return x.first == y.first; });
}

}  // namespace

GeneratedVector build_vector(const Options& options, const Chunk& chunk, const Registers& registers) {
  Layout layout;
  const ChunkVector base = chunk_vector(options, chunk, layout);
  GeneratedVector g = configure(base, chunk, registers);
  complete(g, base, registers, options.state_text);
  return g;
}

Report generate(const Options& options, const Admit& admit, const std::function<void(GeneratedVector&&)>& sink,
                std::uint64_t limit) {
  Report report;
  const std::vector<Registers> configs[2] = {registers(options, false), registers(options, true)};
  bool stop = false;
  Layout layout;
  // The chunks over one group of walks, run register configuration by register configuration:
  // consecutive vectors then share their memory (but for the A/D flags the previous one set)
  // and, within a configuration, their registers.
  std::vector<std::pair<Chunk, ChunkVector>> group;
  auto emit_group = [&] {
    if (group.empty()) return;
    for (const Registers& r : configs[group.front().first.nxe])
      for (const auto& [chunk, base] : group) {
        if (stop || (limit && report.cases >= limit)) {
          stop = true;
          break;
        }
        GeneratedVector g = configure(base, chunk, r);
        if (const auto why = admit(vectors::needs_of(g.vector))) {
          report.not_runnable[*why] += g.cases;
          continue;
        }
        complete(g, base, r, options.state_text);
        report.cases += g.cases;
        ++report.vectors;
        report.operations += g.vector.operations.size();
        sink(std::move(g));
      }
    group.clear();
  };
  for_each_chunk(options, [&](const Chunk& chunk) {
    if (stop || (options.every > 1 && chunk.index % options.every != 0)) return;
    if (!group.empty() && !same_walks(group.front().first, chunk)) emit_group();
    group.emplace_back(chunk, chunk_vector(options, chunk, layout));
  });
  emit_group();
  return report;
}

}  // namespace vtspec::generate::access_space
