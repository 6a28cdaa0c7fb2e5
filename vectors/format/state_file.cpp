#include "vectors/format/state_file.hpp"

#include "model/iommu/remapping_unit.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <functional>
#include <map>
#include <optional>
#include <regex>

#include <fmt/format.h>

#include "spec/canonical_address.hpp"
#include "vectors/format/load_error.hpp"
#include "vectors/format/vmx_yaml.hpp"
#include "vectors/format/yaml_document.hpp"

namespace vtspec::vectors {

using model::MachineState;
using spec::bit_at;

namespace {

struct Context {
  std::string file;
  [[noreturn]] void fail(const YAML::Node& node, const std::string& field, const std::string& message) const {
    throw LoadError(file, node, field, message);
  }
};

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

std::uint64_t parse_number_text(std::string text, bool& ok) {
  ok = false;
  text.erase(std::remove(text.begin(), text.end(), '_'), text.end());
  if (text.empty()) return 0;
  std::uint64_t scale = 1;
  const char last = static_cast<char>(std::toupper(static_cast<unsigned char>(text.back())));
  if (last == 'K' || last == 'M' || last == 'G') {
    scale = last == 'K' ? 1ull << 10 : last == 'M' ? 1ull << 20 : 1ull << 30;
    text.pop_back();
  }
  int base = 10;
  std::size_t start = 0;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) base = 16, start = 2;
  else if (text.size() > 2 && text[0] == '0' && (text[1] == 'b' || text[1] == 'B')) base = 2, start = 2;
  if (start >= text.size()) return 0;
  std::uint64_t v = 0;
  for (std::size_t i = start; i < text.size(); ++i) {
    const int c = std::tolower(static_cast<unsigned char>(text[i]));
    int digit = std::isdigit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : 99;
    if (digit >= base) return 0;
    const unsigned __int128 next = static_cast<unsigned __int128>(v) * base + digit;
    if (next > ~std::uint64_t{0}) return 0;
    v = static_cast<std::uint64_t>(next);
  }
  const unsigned __int128 scaled = static_cast<unsigned __int128>(v) * scale;
  if (scaled > ~std::uint64_t{0}) return 0;
  ok = true;
  return static_cast<std::uint64_t>(scaled);
}

// Flag names per register (SDM Vol. 3A 2.5 for CR0/CR4, 2.2.1 for EFER, 2.3 for RFLAGS).
const std::map<std::string, std::uint64_t>& register_flags(const std::string& reg) {
  static const std::map<std::string, std::map<std::string, std::uint64_t>> table = {
      {"cr0", {{"PE", model::cr0::pe}, {"WP", model::cr0::wp}, {"PG", model::cr0::pg}, {"ET", 1u << 4}, {"NE", 1u << 5}}},
      {"cr4",
       {{"PAE", model::cr4::pae}, {"PGE", model::cr4::pge}, {"LA57", model::cr4::la57}, {"PCIDE", model::cr4::pcide},
        {"SMEP", model::cr4::smep}, {"SMAP", model::cr4::smap}, {"PKE", model::cr4::pke}, {"PKS", model::cr4::pks},
        {"OSFXSR", 1u << 9}, {"VMXE", 1u << 13}, {"OSXSAVE", 1u << 18}}},
      {"efer", {{"SCE", 1u}, {"LME", model::efer::lme}, {"LMA", model::efer::lma}, {"NXE", model::efer::nxe}}},
      {"rflags", {{"AC", model::rflags::ac}}},
  };
  return table.at(reg);
}

}  // namespace

std::uint64_t parse_number(const YAML::Node& node, const std::string& file, const std::string& field) {
  if (!node.IsScalar()) throw LoadError(file, node, field, "expected a number");
  bool ok = false;
  const std::uint64_t v = parse_number_text(node.Scalar(), ok);
  if (!ok) throw LoadError(file, node, field, fmt::format("'{}' is not a number", node.Scalar()));
  return v;
}

namespace {

bool parse_bool(const Context& c, const YAML::Node& node, const std::string& field) {
  if (!node.IsScalar()) c.fail(node, field, "expected true or false");
  const std::string s = node.Scalar();
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  c.fail(node, field, fmt::format("'{}' is not true or false", s));
}

void reject_unknown_keys(const Context& c, const YAML::Node& map, const std::string& where,
                         std::initializer_list<const char*> known) {
  if (!map.IsMap()) c.fail(map, where, "expected a mapping");
  for (const auto& kv : map) {
    const std::string key = kv.first.Scalar();
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; }))
      c.fail(kv.first, where.empty() ? key : where + "." + key, "unknown field");
  }
}

// A register given as a number or as a list of flag names.
std::uint64_t parse_register(const Context& c, const YAML::Node& node, const std::string& reg) {
  if (node.IsSequence()) {
    const auto& names = register_flags(reg);
    std::uint64_t v = reg == "rflags" ? 0x2 : 0;
    for (const auto& item : node) {
      auto it = names.find(upper(item.Scalar()));
      if (it == names.end()) c.fail(item, "registers." + reg, fmt::format("unknown {} flag '{}'", reg, item.Scalar()));
      v |= it->second;
    }
    return v;
  }
  return parse_number(node, c.file, "registers." + reg);
}

// Flag lists of paging-structure entries.
std::uint64_t parse_entry_flags(const Context& c, const YAML::Node& node, const std::string& field, bool ept) {
  static const std::map<std::string, std::uint64_t> guest = {
      {"P", bit_at(spec::pte::present)},   {"RW", bit_at(spec::pte::writable)},
      {"US", bit_at(spec::pte::user)},     {"PWT", bit_at(spec::pte::write_through)},
      {"PCD", bit_at(spec::pte::cache_disable)}, {"A", bit_at(spec::pte::accessed)},
      {"D", bit_at(spec::pte::dirty)},     {"G", bit_at(spec::pte::global)},
      {"XD", bit_at(spec::pte::execute_disable)}, {"PS", bit_at(spec::pte::page_size)}};
  static const std::map<std::string, std::uint64_t> ept_names = {
      {"R", bit_at(spec::epte::read)},       {"W", bit_at(spec::epte::write)},
      {"X", bit_at(spec::epte::execute)},    {"XU", bit_at(spec::epte::user_execute)},
      {"IPAT", bit_at(spec::epte::ignore_pat)}, {"A", bit_at(spec::epte::accessed)},
      {"D", bit_at(spec::epte::dirty)},      {"SVE", bit_at(spec::epte::suppress_ve)}};
  const auto& names = ept ? ept_names : guest;
  if (!node.IsSequence()) c.fail(node, field, "expected a list of flags such as [P, RW, US]");
  std::uint64_t v = 0;
  for (const auto& item : node) {
    auto it = names.find(upper(item.Scalar()));
    if (it == names.end())
      c.fail(item, field, fmt::format("unknown {} flag '{}'", ept ? "EPT entry" : "paging entry", item.Scalar()));
    v |= it->second;
  }
  return v;
}

unsigned leaf_level_for_size(const Context& c, const YAML::Node& node, const std::string& field, std::uint64_t size) {
  switch (size) {
    case 4ull << 10: return 1;
    case 2ull << 20: return 2;
    case 1ull << 30: return 3;
  }
  c.fail(node, field, "page size must be 4K, 2M or 1G");
}

unsigned parse_memory_type(const Context& c, const YAML::Node& node, const std::string& field) {
  static const std::map<std::string, unsigned> types = {{"UC", 0}, {"WC", 1}, {"WT", 4}, {"WP", 5}, {"WB", 6}};
  auto it = types.find(upper(node.Scalar()));
  if (it != types.end()) return it->second;
  const std::uint64_t v = parse_number(node, c.file, field);
  if (v > 7) c.fail(node, field, "memory type is 3 bits");
  return static_cast<unsigned>(v);
}

// "PDE", or "EPT PDE" in an EPT mapping (SDM Vol. 3A 4.5, Vol. 3C 29.3.2).
std::string entry_name(unsigned level, bool ept) {
  return ept ? fmt::format("EPT {}", spec::level_name(level)) : spec::level_name(level);
}

// An edit of one entry on a mapping's walk (`set:` or `raw:`), applied once every table is
// built. Neither may change the entry's address field (vectors/SCHEMA.md, Entry edits).
struct EntryEdit {
  bool raw = false;
  std::uint64_t value = 0;  // set: the bits ORed in; raw: the exact entry
  YAML::Node where;
  std::string field;
  bool same_as(const EntryEdit& o) const { return raw == o.raw && value == o.value; }
  std::string describe() const { return raw ? fmt::format("raw {:#x}", value) : fmt::format("set (mask {:#x})", value); }
};

// One mapping, from either the one-line shorthand or the mapping form.
struct Mapping {
  std::uint64_t from = 0;       // VA or GPA
  std::uint64_t to = 0;         // PA or HPA
  unsigned leaf_level = 1;
  std::uint64_t leaf_flags = 0;
  std::uint64_t upper_flags = 0;
  std::map<unsigned, std::uint64_t> level_flags;  // per-level overrides of upper_flags
  std::map<unsigned, EntryEdit> edits;            // per level: set or raw
  YAML::Node where;
};

// "map VA 0x400000 -> PA 0x20000, 4K, [P, RW, US], pkey=3" / "map GPA 0 -> HPA 0x100000, 2M, [R, W, X], mt=WB"
Mapping parse_shorthand(const Context& c, const YAML::Node& node, const std::string& field, bool ept) {
  static const std::regex re(
      R"(^\s*map\s+(VA|GPA)\s+(\S+)\s*(?:->|→)\s*(PA|HPA)\s+([^,\s]+)\s*,\s*(\S+)\s*,\s*\[([^\]]*)\]\s*((?:,\s*\w+\s*=\s*\w+\s*)*)$)",
      std::regex::icase);
  std::smatch m;
  const std::string text = node.Scalar();
  if (!std::regex_match(text, m, re))
    c.fail(node, field,
           ept ? "expected 'map GPA <addr> -> HPA <addr>, <4K|2M|1G>, [flags...]'"
               : "expected 'map VA <addr> -> PA <addr>, <4K|2M|1G>, [flags...]'");
  if ((upper(m[1]) == "GPA") != ept) c.fail(node, field, ept ? "EPT mappings map GPA -> HPA" : "guest mappings map VA -> PA");
  Mapping map;
  map.where.reset(node);
  bool ok = false;
  map.from = parse_number_text(m[2], ok);
  if (!ok) c.fail(node, field, fmt::format("'{}' is not an address", std::string(m[2])));
  map.to = parse_number_text(m[4], ok);
  if (!ok) c.fail(node, field, fmt::format("'{}' is not an address", std::string(m[4])));
  const std::uint64_t size = parse_number_text(m[5], ok);
  if (!ok) c.fail(node, field, fmt::format("'{}' is not a page size", std::string(m[5])));
  map.leaf_level = leaf_level_for_size(c, node, field, size);
  YAML::Node flags(YAML::NodeType::Sequence);
  std::string list = m[6];
  static const std::regex word(R"([A-Za-z0-9]+)");
  for (auto it = std::sregex_iterator(list.begin(), list.end(), word); it != std::sregex_iterator(); ++it) flags.push_back(it->str());
  // Report flag errors at the shorthand's own position.
  try {
    map.leaf_flags = parse_entry_flags(c, flags, field, ept);
  } catch (const LoadError& e) {
    c.fail(node, field, e.message());
  }
  const std::string options = m[7];
  if (ept && options.find("mt") == std::string::npos) map.leaf_flags |= std::uint64_t{6} << spec::epte::memory_type_lo;
  static const std::regex opt(R"((\w+)\s*=\s*(\w+))");
  for (auto it = std::sregex_iterator(options.begin(), options.end(), opt); it != std::sregex_iterator(); ++it) {
    const std::string key = (*it)[1], value = (*it)[2];
    if (!ept && key == "pkey") {
      const std::uint64_t k = parse_number_text(value, ok);
      if (!ok || k > 15) c.fail(node, field, "pkey must be 0..15");
      map.leaf_flags |= k << spec::pte::protection_key_lo;
    } else if (ept && key == "mt") {
      YAML::Node v(value);
      map.leaf_flags |= std::uint64_t{parse_memory_type(c, v, field)} << spec::epte::memory_type_lo;
    } else {
      c.fail(node, field, fmt::format("unknown option '{}'", key));
    }
  }
  return map;
}

const char* level_key(unsigned level, bool ept) {
  static const char* guest[] = {"", "pt", "pd", "pdpt", "pml4", "pml5"};
  static const char* eptk[] = {"", "pt", "pd", "pdpt", "pml4", "pml5"};
  return ept ? eptk[level] : guest[level];
}

// An entry named as in the SDM, lower case: pml5e, pml4e, pdpte, pde, pte (EPT mappings
// use the same names, as their per-level flag keys do).
unsigned entry_level(const Context& c, const YAML::Node& key, const std::string& field) {
  for (unsigned level = 1; level <= spec::kMaxLevels; ++level)
    if (upper(key.Scalar()) == spec::level_name(level)) return level;
  c.fail(key, field, fmt::format("unknown entry '{}' (pml5e, pml4e, pdpte, pde, pte)", key.Scalar()));
}

// `set: { pte: [51] }` (bit numbers ORed into the entry) or `raw: { pte: 0x... }` (the entry).
void parse_edits(const Context& c, const YAML::Node& node, const std::string& field, bool raw, bool ept, Mapping& map) {
  if (!node.IsMap())
    c.fail(node, field, raw ? "expected entries and values such as { pte: 0x8000000001000067 }"
                            : "expected entries and bit numbers such as { pte: [51], pde: [7] }");
  static const char* const page[] = {"", "4-KByte", "2-MByte", "1-GByte"};
  for (const auto& kv : node) {
    const std::string at = field + "." + kv.first.Scalar();
    const unsigned level = entry_level(c, kv.first, at);
    if (level < map.leaf_level)
      c.fail(kv.first, at, fmt::format("a {} mapping has no {}: its leaf is the {}", page[map.leaf_level],
                                       entry_name(level, ept), entry_name(map.leaf_level, ept)));
    if (map.edits.count(level))
      c.fail(kv.first, at, fmt::format("the {} has both set and raw: give one", entry_name(level, ept)));
    EntryEdit e{raw, 0, kv.first, at};
    if (raw) {
      e.value = parse_number(kv.second, c.file, at);
    } else {
      if (!kv.second.IsSequence()) c.fail(kv.second, at, "expected a list of bit numbers such as [51]");
      for (const auto& bit : kv.second) {
        const std::uint64_t b = parse_number(bit, c.file, at);
        if (b > 63) c.fail(bit, at, fmt::format("there is no bit {}: an entry has bits 0..63", b));
        e.value |= std::uint64_t{1} << b;
      }
    }
    map.edits[level] = e;
  }
}

Mapping parse_mapping(const Context& c, const YAML::Node& node, const std::string& field, bool ept) {
  if (node.IsScalar()) return parse_shorthand(c, node, field, ept);
  const char* from_key = ept ? "gpa" : "va";
  const char* to_key = ept ? "hpa" : "pa";
  reject_unknown_keys(c, node, field, {from_key, to_key, "size", "flags", "upper", "pkey", "mt", "pml5", "pml4", "pdpt", "pd", "set", "raw"});
  for (const char* required : {from_key, to_key, "size", "flags"})
    if (!node[required]) c.fail(node, field + "." + required, "missing");
  Mapping map;
  map.where.reset(node);
  map.from = parse_number(node[from_key], c.file, field + "." + from_key);
  map.to = parse_number(node[to_key], c.file, field + "." + to_key);
  map.leaf_level = leaf_level_for_size(c, node["size"], field + ".size", parse_number(node["size"], c.file, field + ".size"));
  map.leaf_flags = parse_entry_flags(c, node["flags"], field + ".flags", ept);
  if (node["upper"]) map.upper_flags = parse_entry_flags(c, node["upper"], field + ".upper", ept);
  if (node["pkey"]) {
    if (ept) c.fail(node["pkey"], field + ".pkey", "EPT entries have no protection key");
    const std::uint64_t k = parse_number(node["pkey"], c.file, field + ".pkey");
    if (k > 15) c.fail(node["pkey"], field + ".pkey", "pkey must be 0..15");
    map.leaf_flags |= k << spec::pte::protection_key_lo;
  }
  if (ept && !node["mt"]) map.leaf_flags |= std::uint64_t{6} << spec::epte::memory_type_lo;
  if (node["mt"]) {
    if (!ept) c.fail(node["mt"], field + ".mt", "only EPT leaves have a memory type field");
    map.leaf_flags |= std::uint64_t{parse_memory_type(c, node["mt"], field + ".mt")} << spec::epte::memory_type_lo;
  }
  for (unsigned level = 2; level <= 5; ++level) {
    const char* key = level_key(level, ept);
    if (node[key]) {
      if (level <= map.leaf_level) c.fail(node[key], field + "." + key, "this level is the leaf or below it");
      map.level_flags[level] = parse_entry_flags(c, node[key], field + "." + key, ept);
    }
  }
  if (node["set"]) parse_edits(c, node["set"], field + ".set", false, ept, map);
  if (node["raw"]) parse_edits(c, node["raw"], field + ".raw", true, ept, map);
  return map;
}

// Writes one mapping into paging structures, allocating tables as needed.
struct TableBuilder {
  const Context& c;
  std::string field;
  bool ept;
  unsigned levels;
  unsigned maxphyaddr;
  std::uint64_t root;
  std::uint64_t next_table;
  std::function<std::uint64_t(std::uint64_t)> read;
  std::function<void(std::uint64_t, std::uint64_t)> write;
  // Every entry a mapping went through, by address: the first such mapping and its edit.
  // Mappings sharing an entry must agree on its edit, as they must on its flags.
  struct Claim {
    std::optional<EntryEdit> edit;
    std::string owner;
  };
  std::map<std::uint64_t, Claim> claims;

  bool is_leaf(std::uint64_t entry, unsigned level) const {
    if (level == 1) return true;
    return (level == 2 || level == 3) && ((entry >> 7) & 1);
  }
  bool present(std::uint64_t entry) const { return ept ? (entry & 0x407) != 0 : (entry & 1) != 0; }

  // The entry's address field: the next table's address (non-leaf) or the page frame (leaf),
  // bits MAXPHYADDR-1:12 resp. MAXPHYADDR-1:page shift (SDM Vol. 3A Tables 4-14..4-20, Vol. 3C 29.3.2).
  std::uint64_t address_field(unsigned level, bool leaf) const {
    return spec::frame_mask(maxphyaddr) & ~((std::uint64_t{1} << (leaf ? spec::index_shift(level) : 12)) - 1);
  }

  // Records that mapping `m` goes through the entry at `slot`, which the loader built as `built`.
  void claim(const Mapping& m, std::uint64_t slot, unsigned level, bool leaf, std::uint64_t built) {
    std::optional<EntryEdit> mine;
    if (auto it = m.edits.find(level); it != m.edits.end()) mine = it->second;
    if (mine) {
      const std::uint64_t mask = address_field(level, leaf);
      const unsigned lo = leaf ? spec::index_shift(level) : 12;
      const char* holds = leaf ? "the page frame (pa)" : "the next table's address";
      if (!mine->raw && (mine->value & mask))
        c.fail(mine->where, mine->field,
               fmt::format("bit {} is in the {}'s address field (bits {}:{}), which holds {}", std::countr_zero(mine->value & mask),
                           level_name(level), maxphyaddr - 1, lo, holds));
      if (mine->raw && (mine->value & mask) != (built & mask))
        c.fail(mine->where, mine->field,
               fmt::format("{:#x} has {:#x} in the {}'s address field (bits {}:{}), which holds {}: {:#x}",
                           mine->value, mine->value & mask, level_name(level), maxphyaddr - 1, lo, holds, built & mask));
    }
    auto [at, first] = claims.try_emplace(slot, Claim{mine, field});
    if (first) return;
    const Claim& earlier = at->second;
    if (earlier.edit.has_value() == mine.has_value() && (!mine || mine->same_as(*earlier.edit))) return;
    c.fail(mine ? mine->where : m.where, mine ? mine->field : field,
           fmt::format("the {} at {:#x} is shared with {}, which gives it {}, and this mapping gives it {}: mappings "
                       "through a shared entry must give it the same set or raw",
                       level_name(level), slot, earlier.owner, earlier.edit ? earlier.edit->describe() : "none",
                       mine ? mine->describe() : "none"));
  }

  // Writes every set/raw into its entry; called once every mapping is installed.
  void apply_edits() {
    for (const auto& [slot, claim] : claims)
      if (claim.edit) write(slot, claim.edit->raw ? claim.edit->value : read(slot) | claim.edit->value);
  }

  void install(const Mapping& m, std::uint64_t default_upper) {
    for (const auto& [level, edit] : m.edits)
      if (level > levels)
        c.fail(edit.where, edit.field, fmt::format("{}-level {} has no {}", levels, ept ? "EPT" : "paging", level_name(level)));
    const std::uint64_t size = std::uint64_t{1} << spec::index_shift(m.leaf_level);
    if (m.from % size) c.fail(m.where, field, fmt::format("{:#x} is not aligned to the page size {:#x}", m.from, size));
    if (m.to % size) c.fail(m.where, field, fmt::format("target {:#x} is not aligned to the page size {:#x}", m.to, size));
    if (m.to >> maxphyaddr)
      c.fail(m.where, field, fmt::format("target {:#x} is beyond MAXPHYADDR ({} bits)", m.to, maxphyaddr));
    if (!ept) {
      if (!spec::is_canonical(m.from, levels))
        c.fail(m.where, field, fmt::format("{:#x} is not canonical for {}-level paging (SDM Vol. 1 3.3.7.1)", m.from, levels));
    } else if (m.from >> maxphyaddr) {
      c.fail(m.where, field, fmt::format("guest-physical {:#x} is beyond MAXPHYADDR ({} bits)", m.from, maxphyaddr));
    }
    std::uint64_t table = root;
    for (unsigned level = levels; level > m.leaf_level; --level) {
      const std::uint64_t slot = table + ((m.from >> spec::index_shift(level)) & 511) * 8;
      const std::uint64_t want = m.level_flags.count(level) ? m.level_flags.at(level) : (m.upper_flags ? m.upper_flags : default_upper);
      std::uint64_t entry = read(slot);
      if (!present(entry)) {
        const std::uint64_t fresh = next_table;
        // tables_at is below MAXPHYADDR (checked where it is read), so this cannot wrap.
        if ((fresh >> maxphyaddr) != 0)
          c.fail(m.where, field, fmt::format("table allocation ran past MAXPHYADDR ({} bits) at {:#x}", maxphyaddr, fresh));
        next_table += 4096;
        entry = fresh | want;
        write(slot, entry);
      } else if (is_leaf(entry, level)) {
        c.fail(m.where, field, fmt::format("overlaps a larger page already mapped at this {}", level_name(level)));
      } else if ((entry & 0xfff0000000000fffull & ~0x160ull) != (want & ~0x160ull)) {
        c.fail(m.where, field, fmt::format("flags of the shared {} conflict with an earlier mapping ({:#x} vs {:#x})",
                                           level_name(level), entry & 0xfff0000000000fffull, want));
      }
      claim(m, slot, level, false, entry);
      table = entry & spec::frame_mask(maxphyaddr);
    }
    const std::uint64_t slot = table + ((m.from >> spec::index_shift(m.leaf_level)) & 511) * 8;
    if (read(slot) != 0) c.fail(m.where, field, fmt::format("overlaps an earlier mapping of {:#x}", m.from));
    std::uint64_t leaf = m.to | m.leaf_flags;
    if (m.leaf_level > 1) leaf |= bit_at(7);
    write(slot, leaf);
    claim(m, slot, m.leaf_level, true, leaf);
  }
  std::string level_name(unsigned level) const { return entry_name(level, ept); }
};

void load_features(const Context& c, const YAML::Node& node, model::CpuFeatures& f) {
  if (!node.IsMap()) c.fail(node, "features", "expected a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    if (key == "maxphyaddr") continue;
    const auto feature = model::feature_named(key);
    if (!feature)
      c.fail(kv.first, "features." + key, fmt::format("unknown field (maxphyaddr, {})", model::feature_names()));
    f.set(*feature, parse_bool(c, kv.second, "features." + key));
  }
  if (node["maxphyaddr"]) {
    const auto v = parse_number(node["maxphyaddr"], c.file, "features.maxphyaddr");
    if (v < model::kMinMaxPhyAddr || v > model::kMaxMaxPhyAddr)
      c.fail(node["maxphyaddr"], "features.maxphyaddr", "MAXPHYADDR must be 36..52 (SDM Vol. 3A 4.1.4)");
    f.maxphyaddr = static_cast<unsigned>(v);
  }
}

// A page-aligned guest- or host-physical address below MAXPHYADDR: a table root or where
// the loader starts allocating tables. Bits at or above MAXPHYADDR would be reserved in the
// entry that points there (SDM Vol. 3A 4.5, Table 4-12 and Tables 4-14..4-20), and an
// address near 2^64 would wrap as tables are allocated.
std::uint64_t parse_table_address(const Context& c, const YAML::Node& node, const std::string& field, unsigned maxphyaddr) {
  const std::uint64_t v = parse_number(node, c.file, field);
  if (v & 0xfff) c.fail(node, field, fmt::format("{:#x} is not 4-KByte aligned", v));
  if (v >> maxphyaddr) c.fail(node, field, fmt::format("{:#x} is beyond MAXPHYADDR ({} bits)", v, maxphyaddr));
  return v;
}

void load_ept_caps(const Context& c, const YAML::Node& node, spec::EptCapabilities& caps) {
  reject_unknown_keys(c, node, "ept.caps",
                      {"execute_only", "walk_length_4", "walk_length_5", "memory_type_uc", "memory_type_wb", "page_2m",
                       "page_1g", "accessed_dirty", "advanced_exit_info", "mode_based_execute"});
  const std::pair<const char*, bool*> flags[] = {
      {"execute_only", &caps.execute_only},     {"walk_length_4", &caps.walk_length_4},
      {"walk_length_5", &caps.walk_length_5},   {"memory_type_uc", &caps.memory_type_uc},
      {"memory_type_wb", &caps.memory_type_wb}, {"page_2m", &caps.page_2m},
      {"page_1g", &caps.page_1g},               {"accessed_dirty", &caps.accessed_dirty},
      {"advanced_exit_info", &caps.advanced_exit_info}, {"mode_based_execute", &caps.mode_based_execute}};
  for (const auto& [key, target] : flags)
    if (node[key]) *target = parse_bool(c, node[key], std::string("ept.caps.") + key);
}

// The `iommu:` section (vectors/SCHEMA.md, "DMA remapping"): the remapping unit's profile,
// RTADDR (VT-d 10.4.6: 4 KiB aligned), TE, and the source ids of the DMA devices.
model::IommuSettings load_iommu(const Context& c, const YAML::Node& node, unsigned maxphyaddr) {
  if (!node.IsMap()) c.fail(node, "iommu", "expected a mapping with profile, root_table and devices");
  reject_unknown_keys(c, node, "iommu", {"profile", "root_table", "translation", "invalidation", "devices"});
  model::IommuSettings s;
  if (!node["profile"]) c.fail(node, "iommu.profile", "missing");
  s.profile = node["profile"].IsScalar() ? node["profile"].Scalar() : "";
  try {
    model::iommu::profile(s.profile);
  } catch (const std::invalid_argument& e) {
    c.fail(node["profile"], "iommu.profile", e.what());
  }
  if (!node["root_table"]) c.fail(node, "iommu.root_table", "missing");
  s.root_table = parse_number(node["root_table"], c.file, "iommu.root_table");
  if (s.root_table & 0xfff) c.fail(node["root_table"], "iommu.root_table", "RTADDR is 4 KiB aligned (VT-d 10.4.6)");
  if (s.root_table >> maxphyaddr)
    c.fail(node["root_table"], "iommu.root_table", fmt::format("{:#x} is beyond MAXPHYADDR ({} bits)", s.root_table, maxphyaddr));
  if (node["translation"]) s.translation = parse_bool(c, node["translation"], "iommu.translation");
  if (const YAML::Node inv = node["invalidation"]) {
    const std::string how = inv.IsScalar() ? inv.Scalar() : "";
    if (how != "register" && how != "queued")
      c.fail(inv, "iommu.invalidation", "expected register (VT-d 6.5.1) or queued (6.5.2)");
    s.queued_invalidation = how == "queued";
  }
  const YAML::Node devices = node["devices"];
  if (!devices || !devices.IsSequence() || devices.size() == 0)
    c.fail(devices ? devices : node, "iommu.devices", "expected a non-empty list of source ids (bus << 8 | device << 3 | function)");
  std::size_t i = 0;
  for (const auto& d : devices) {
    const std::string field = fmt::format("iommu.devices[{}]", i++);
    const std::uint64_t id = parse_number(d, c.file, field);
    if (id > 0xffff) c.fail(d, field, "a source id is 16 bits");
    if (std::find(s.devices.begin(), s.devices.end(), id) != s.devices.end()) c.fail(d, field, "listed twice");
    s.devices.push_back(static_cast<std::uint16_t>(id));
  }
  return s;
}

}  // namespace

namespace {

// The `vmx:` section (vectors/SCHEMA.md, "A VMX L1"): the processor's VMX capability MSRs and
// where it starts. Read after memory:, whose words hold the regions' revision identifiers.
model::VmxRootSettings load_vmx_root(const Context& c, const YAML::Node& doc, MachineState& s) {
  const auto& x = doc["vmx"];
  reject_unknown_keys(c, x, "vmx", {"profile", "capabilities", "vmxon", "current_vmcs", "vmcs"});
  for (const char* other : {"ept", "npt", "paging", "iommu"})
    if (doc[other])
      c.fail(doc[other], other, "a VMX L1 (vmx:) runs VMX instructions in root operation: its state has no guest, EPT, "
                                "nested paging or IOMMU");
  model::VmxRootSettings v;
  if (!x["profile"]) c.fail(x, "vmx.profile", "missing (the virtual CPU's VMX capability MSRs, a profile of model/vmx/vmx_profiles.hpp)");
  const auto& profile = parse_vmx_profile(x["profile"], c.file, "vmx.profile");
  v.profile = profile.name;
  v.caps = profile.caps;
  if (x["capabilities"]) parse_vmx_capabilities(x["capabilities"], c.file, "vmx.capabilities", v.caps);
  // One virtual CPU: CPUID.80000008H's MAXPHYADDR is the one the VMX rules use (A.1, 25.11).
  if (doc["features"] && doc["features"]["maxphyaddr"]) {
    if (s.features.maxphyaddr != v.caps.maxphyaddr)
      c.fail(doc["features"]["maxphyaddr"], "features.maxphyaddr",
             fmt::format("{} differs from the VMX profile's MAXPHYADDR {} (give it under vmx.capabilities, or omit it here)",
                         s.features.maxphyaddr, v.caps.maxphyaddr));
  } else {
    s.features.maxphyaddr = v.caps.maxphyaddr;
  }
  const std::uint32_t revision = static_cast<std::uint32_t>(v.caps.revision());
  // A region the state says a VMX instruction accepted: 4-KByte aligned, below MAXPHYADDR
  // (31.3 VMXON, VMPTRLD), and its first 32 bits the revision identifier with the
  // shadow-VMCS indicator 0 (25.2, 25.11.5).
  auto region = [&](const char* key, const char* what) {
    const std::string field = std::string("vmx.") + key;
    const std::uint64_t a = parse_number(x[key], c.file, field);
    if ((a & 0xfff) || (a >> v.caps.maxphyaddr))
      c.fail(x[key], field, fmt::format("{:#x}: {} is 4-KByte aligned and below MAXPHYADDR ({} bits)", a, what, v.caps.maxphyaddr));
    const std::uint32_t header = static_cast<std::uint32_t>(s.memory.read(a, 4));
    if (header != revision)
      c.fail(x[key], field,
             fmt::format("the region's first 32 bits are {:#x}; {} needs the revision identifier {:#x} (IA32_VMX_BASIC[30:0], "
                         "SDM Vol. 3C 25.2): give it under memory:",
                         header, what, revision));
    return a;
  };
  if (x["vmxon"]) {
    v.vmxon = region("vmxon", "a VMXON region");
    // In VMX operation CR0 and CR4 hold the fixed bits (SDM Vol. 3C 24.8, A.7, A.8).
    const auto fixed = [&](const char* reg, std::uint64_t value, std::uint64_t fixed0, std::uint64_t fixed1) {
      if ((value & fixed0) != fixed0 || (value & ~fixed1))
        c.fail(doc["registers"] ? doc["registers"] : x, std::string("registers.") + reg,
               fmt::format("{:#x} is not a {} of VMX operation (fixed to 1: {:#x}; may be 1: {:#x}; SDM Vol. 3C 24.8)", value,
                           reg, fixed0, fixed1));
    };
    fixed("cr0", s.regs.cr0, v.caps.cr0_fixed0, v.caps.cr0_fixed1);
    fixed("cr4", s.regs.cr4, v.caps.cr4_fixed0, v.caps.cr4_fixed1);
  }
  if (x["current_vmcs"]) {
    if (!v.vmxon) c.fail(x["current_vmcs"], "vmx.current_vmcs", "a current VMCS needs VMX operation (vmx.vmxon)");
    v.current_vmcs = region("current_vmcs", "a VMCS");
    if (*v.current_vmcs == *v.vmxon)
      c.fail(x["current_vmcs"], "vmx.current_vmcs", "the VMXON region cannot be the current VMCS (VMPTRLD error 10, 31.4)");
  }
  if (x["vmcs"]) {
    if (!v.current_vmcs) c.fail(x["vmcs"], "vmx.vmcs", "the fields of a VMCS need one (vmx.current_vmcs)");
    parse_vmcs_fields(x["vmcs"], c.file, "vmx.vmcs", v.caps, v.profile, v.vmcs);
  }
  return v;
}

MachineState load_state_fields(const YAML::Node& doc, const std::string& file) {
  Context c{file};
  if (!doc.IsMap()) c.fail(doc, "", "a state is a YAML mapping");
  reject_unknown_keys(c, doc, "", {"schema", "features", "registers", "paging", "ept", "npt", "memory", "iommu", "vmx", "description", "history"});
  if (!doc["schema"]) c.fail(doc, "schema", "missing (expected 'vtspec/state/1')");
  if (doc["schema"].Scalar() != kStateSchema)
    c.fail(doc["schema"], "schema", fmt::format("unsupported schema (expected '{}')", kStateSchema));
  MachineState s;
  if (doc["features"]) load_features(c, doc["features"], s.features);

  if (doc["registers"]) {
    const auto& r = doc["registers"];
    reject_unknown_keys(c, r, "registers", {"cr0", "cr3", "cr4", "efer", "rflags", "pkru", "pkrs"});
    if (r["cr0"]) s.regs.cr0 = parse_register(c, r["cr0"], "cr0");
    if (r["cr3"]) {
      s.regs.cr3 = parse_number(r["cr3"], file, "registers.cr3");
      // Bits 63:MAXPHYADDR of CR3 are reserved (SDM Vol. 3A 4.5, Tables 4-12 and 4-13); bit 63
      // is MOV CR3's no-flush hint (4.10.4.1), never part of the register.
      if (s.regs.cr3 >> s.features.maxphyaddr)
        c.fail(r["cr3"], "registers.cr3",
               fmt::format("{:#x} sets bits 63:{} of CR3, which are reserved with MAXPHYADDR {} (SDM Vol. 3A 4.5, "
                           "Table 4-12)",
                           s.regs.cr3, s.features.maxphyaddr, s.features.maxphyaddr));
    }
    if (r["cr4"]) s.regs.cr4 = parse_register(c, r["cr4"], "cr4");
    if (r["efer"]) s.regs.efer = parse_register(c, r["efer"], "efer");
    if (r["rflags"]) s.regs.rflags = parse_register(c, r["rflags"], "rflags");
    if (r["pkru"]) s.regs.pkru = parse_number(r["pkru"], file, "registers.pkru") & 0xffffffffu;
    if (r["pkrs"]) s.regs.pkrs = parse_number(r["pkrs"], file, "registers.pkrs") & 0xffffffffu;
    // A control bit for a feature the CPU lacks would #GP on MOV to CR4: not a valid state.
    const std::pair<std::uint64_t, std::pair<bool, const char*>> needs[] = {
        {model::cr4::smep, {s.features.smep, "SMEP"}}, {model::cr4::smap, {s.features.smap, "SMAP"}},
        {model::cr4::pke, {s.features.pku, "PKU"}},    {model::cr4::pks, {s.features.pks, "PKS"}},
        {model::cr4::la57, {s.features.la57, "LA57"}}, {model::cr4::pcide, {s.features.pcid, "PCID"}}};
    for (const auto& [bit, need] : needs)
      if ((s.regs.cr4 & bit) && !need.first)
        c.fail(r["cr4"], "registers.cr4", fmt::format("sets CR4.{} but features say the CPU has no {}", need.second, need.second));
    if ((s.regs.efer & model::efer::nxe) && !s.features.nx) c.fail(r["efer"], "registers.efer", "sets NXE but features.nx is false");
    if ((s.regs.cr0 & model::cr0::pg) && !(s.regs.cr4 & model::cr4::pae) && r["cr4"])
      c.fail(r["cr4"], "registers.cr4", "IA-32e paging needs CR4.PAE");
  }

  std::optional<TableBuilder> ept_tables;  // its edits are applied last (below)
  if (doc["ept"]) {
    const auto& e = doc["ept"];
    reject_unknown_keys(c, e, "ept", {"eptp", "caps", "tables_at", "map"});
    model::EptSettings ept;
    if (e["caps"]) load_ept_caps(c, e["caps"], ept.caps);
    ept.caps.maxphyaddr = s.features.maxphyaddr;
    if (!e["eptp"]) c.fail(e, "ept.eptp", "missing");
    const auto& p = e["eptp"];
    if (p.IsMap()) {
      reject_unknown_keys(c, p, "ept.eptp", {"root", "walk_length", "memory_type", "accessed_dirty"});
      if (!p["root"]) c.fail(p, "ept.eptp.root", "missing");
      std::uint64_t v = parse_number(p["root"], file, "ept.eptp.root");
      if (v & 0xfff) c.fail(p["root"], "ept.eptp.root", "must be 4-KByte aligned");
      const std::uint64_t length = p["walk_length"] ? parse_number(p["walk_length"], file, "ept.eptp.walk_length") : 4;
      if (length < 1 || length > 8) c.fail(p["walk_length"], "ept.eptp.walk_length", "must be 4 or 5");
      v |= (length - 1) << spec::eptp::walk_length_lo;
      v |= p["memory_type"] ? parse_memory_type(c, p["memory_type"], "ept.eptp.memory_type") : 6;
      if (p["accessed_dirty"] && parse_bool(c, p["accessed_dirty"], "ept.eptp.accessed_dirty")) v |= bit_at(spec::eptp::accessed_dirty);
      ept.eptp = v;
    } else {
      ept.eptp = parse_number(p, file, "ept.eptp");
    }
    const auto check = spec::check_ept_pointer(ept.eptp, ept.caps);
    if (!check.valid) c.fail(p, "ept.eptp", check.reason);
    s.ept = ept;
    if (e["map"]) {
      if (!e["map"].IsSequence()) c.fail(e["map"], "ept.map", "expected a list of mappings");
      std::uint64_t root = ept.eptp & spec::frame_mask(s.features.maxphyaddr);
      std::uint64_t tables_at =
          e["tables_at"] ? parse_table_address(c, e["tables_at"], "ept.tables_at", s.features.maxphyaddr) : root + 0x1000;
      TableBuilder& b = ept_tables.emplace(TableBuilder{
          c, "ept.map", true, spec::ept_walk_length(ept.eptp), s.features.maxphyaddr, root, tables_at,
          [&](std::uint64_t a) { return s.memory.read64(a); }, [&](std::uint64_t a, std::uint64_t v) { s.memory.write64(a, v); }, {}});
      std::size_t i = 0;
      for (const auto& item : e["map"]) {
        b.field = fmt::format("ept.map[{}]", i++);
        b.install(parse_mapping(c, item, b.field, true), 0x7);
      }
    }
  }

  // AMD nested paging (AMD64 APM Vol. 2 15.25): nCR3 and the host's EFER.NXE at VMRUN, the
  // guest ASID. The nested tables, like everything else under npt:, are memory: words.
  if (doc["npt"]) {
    const auto& n = doc["npt"];
    if (!n.IsMap()) c.fail(n, "npt", "expected a mapping with ncr3 (and host_nxe, asid)");
    reject_unknown_keys(c, n, "npt", {"ncr3", "host_nxe", "asid"});
    if (doc["ept"]) c.fail(n, "npt", "a guest runs under EPT or under nested paging, not both");
    if (doc["paging"])
      c.fail(doc["paging"], "paging", "not available under npt: (give the guest's tables, like the nested ones, as memory: words)");
    model::NptSettings npt;
    if (!n["ncr3"]) c.fail(n, "npt.ncr3", "missing (host-physical address of the nested PML4)");
    npt.ncr3 = parse_number(n["ncr3"], file, "npt.ncr3");
    if (npt.ncr3 & 0xfff) c.fail(n["ncr3"], "npt.ncr3", "must be 4-KByte aligned");
    if (npt.ncr3 >> s.features.maxphyaddr)
      c.fail(n["ncr3"], "npt.ncr3", fmt::format("{:#x} is beyond MAXPHYADDR ({} bits)", npt.ncr3, s.features.maxphyaddr));
    if (n["host_nxe"]) npt.host_nxe = parse_bool(c, n["host_nxe"], "npt.host_nxe");
    if (n["asid"]) {
      const std::uint64_t asid = parse_number(n["asid"], file, "npt.asid");
      // APM Vol. 2 15.5.1: VMRUN with ASID 0 (the host's) fails its consistency checks.
      if (asid == 0 || asid > 0xffffffffu) c.fail(n["asid"], "npt.asid", "a guest ASID is 1 to 2^32-1 (0 is the host's)");
      npt.asid = static_cast<unsigned>(asid);
    }
    s.npt = npt;
  }

  // Guest paging structures live in guest-physical memory: through EPT when it is on (by
  // the EPT tables as built so far; permissions ignored, the loader is placing memory).
  auto guest_address = [&](const YAML::Node& where, const std::string& field, std::uint64_t gpa) {
    const auto hpa = s.guest_physical().host_address(gpa);
    if (!hpa)
      c.fail(where, field,
             fmt::format("guest-physical {:#x} is not mapped by the EPT given under ept.map (an entry on the way "
                         "is not present or misconfigured)", gpa));
    return *hpa;
  };

  if (doc["paging"]) {
    const auto& p = doc["paging"];
    reject_unknown_keys(c, p, "paging", {"root", "tables_at", "map"});
    if (!p["root"]) c.fail(p, "paging.root", "missing (guest-physical address of the top-level table)");
    const std::uint64_t root = parse_table_address(c, p["root"], "paging.root", s.features.maxphyaddr);
    if (!doc["registers"] || !doc["registers"]["cr3"]) s.regs.cr3 = root;
    const std::uint64_t tables_at =
        p["tables_at"] ? parse_table_address(c, p["tables_at"], "paging.tables_at", s.features.maxphyaddr) : root + 0x1000;
    if (p["map"]) {
      if (!p["map"].IsSequence()) c.fail(p["map"], "paging.map", "expected a list of mappings");
      YAML::Node where;
      std::string field = "paging.map";
      TableBuilder b{c, field, false, s.paging_levels(), s.features.maxphyaddr, root, tables_at,
                     [&](std::uint64_t a) { return s.memory.read64(guest_address(where, field, a)); },
                     [&](std::uint64_t a, std::uint64_t v) { s.memory.write64(guest_address(where, field, a), v); }, {}};
      std::size_t i = 0;
      for (const auto& item : p["map"]) {
        field = b.field = fmt::format("paging.map[{}]", i++);
        where.reset(item);
        b.install(parse_mapping(c, item, b.field, false), 0x7);
      }
      b.apply_edits();
    }
  }

  if (doc["memory"]) {
    if (!doc["memory"].IsSequence()) c.fail(doc["memory"], "memory", "expected a list of writes");
    std::size_t i = 0;
    for (const auto& w : doc["memory"]) {
      const std::string field = fmt::format("memory[{}]", i++);
      reject_unknown_keys(c, w, field, {"hpa", "gpa", "u64", "u32", "u8"});
      if (!w["hpa"] == !w["gpa"]) c.fail(w, field, "give exactly one of hpa (host-physical) or gpa (guest-physical)");
      std::uint64_t address = w["hpa"] ? parse_number(w["hpa"], file, field + ".hpa") : parse_number(w["gpa"], file, field + ".gpa");
      if (w["gpa"]) address = guest_address(w["gpa"], field + ".gpa", address);
      if (address >> s.features.maxphyaddr)
        c.fail(w, field, fmt::format("{:#x} is beyond MAXPHYADDR ({} bits)", address, s.features.maxphyaddr));
      int sizes = 0;
      for (const auto& [key, size] : {std::pair{"u64", 8u}, std::pair{"u32", 4u}, std::pair{"u8", 1u}}) {
        if (!w[key]) continue;
        ++sizes;
        s.memory.write(address, size, parse_number(w[key], file, field + "." + key));
      }
      if (sizes != 1) c.fail(w, field, "give exactly one of u64, u32 or u8");
    }
  }
  if (doc["iommu"]) s.iommu = load_iommu(c, doc["iommu"], s.features.maxphyaddr);
  if (doc["vmx"]) s.vmx = load_vmx_root(c, doc, s);
  // EPT edits last: the guest tables and the gpa writes above are placed through the EPT as
  // built, not through an entry a vector poisons.
  if (ept_tables) ept_tables->apply_edits();
  return s;
}

}  // namespace

MachineState load_state(const YAML::Node& doc, const std::string& file, const std::string& field_prefix) {
  if (field_prefix.empty()) return load_state_fields(doc, file);
  // The state's fields are named from the state block; inside a vector they get its path.
  try {
    return load_state_fields(doc, file);
  } catch (const LoadError& e) {
    throw LoadError(e.file(), e.line(), e.column(), e.field().empty() ? field_prefix : field_prefix + "." + e.field(),
                    e.message());
  }
}

MachineState load_state_file(const std::string& path) {
  return load_state(load_yaml_file(path), path);
}

std::uint64_t parse_register_value(const YAML::Node& node, const std::string& file, const std::string& reg) {
  return parse_register(Context{file}, node, reg);
}

}  // namespace vtspec::vectors
