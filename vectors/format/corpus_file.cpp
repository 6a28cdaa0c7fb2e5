#include "vectors/format/corpus_file.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "vectors/format/input_file.hpp"
#include "vectors/format/load_error.hpp"
#include "vectors/format/vector_file.hpp"
#include "vectors/format/yaml_document.hpp"

namespace vtspec::vectors {

namespace {

using OutlineNode = YamlOutline::Node;

// Levenshtein distance, for telling a misspelt schema or key from an unrelated one.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

bool is_yaml_name(const std::filesystem::path& p) { return p.extension() == ".yaml" || p.extension() == ".yml"; }

// Collects every *.yaml / *.yml under `dir`; a directory that cannot be read is reported
// in `unlisted` and the walk goes on with the rest. Symbolic links to directories are not
// followed (a link loop would never end); links to files are read like files.
void collect_yaml_files(const std::filesystem::path& dir, std::vector<std::string>& found, CorpusListing& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  if (ec) {
    out.unlisted.push_back({dir.string(), ec.message()});
    return;
  }
  for (; it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_directory(type_ec) && !it->is_symlink(type_ec)) collect_yaml_files(it->path(), found, out);
    else if (is_yaml_name(it->path())) found.push_back(it->path().string());
  }
  if (ec) out.unlisted.push_back({dir.string(), ec.message()});
}

const OutlineNode::Child* child(const OutlineNode& map, const std::string& key) {
  for (const auto& c : map.children)
    if (c.key == key) return &c;
  return nullptr;
}

}  // namespace

CorpusListing find_corpus_files(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  CorpusListing out;
  for (const auto& path : paths) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
      out.files.push_back({path, true});
      continue;
    }
    std::vector<std::string> found;
    collect_yaml_files(path, found, out);
    std::sort(found.begin(), found.end());
    for (auto& f : found) out.files.push_back({std::move(f), false});
  }
  return out;
}

std::size_t VectorList::size() const { return whole_.empty() ? units_.size() : whole_.size(); }

std::string VectorList::slice_text(const Unit& unit) const {
  std::string out;
  int line = 0;
  for (const auto& [first, end] : unit.lines) {
    out.append(static_cast<std::size_t>(first - line), '\n');  // blank lines keep every line number
    out.append(text_, line_starts_[first], line_starts_[end] - line_starts_[first]);
    line = end;
  }
  return out;
}

Vector VectorList::load(std::size_t i) const {
  if (!whole_.empty()) return whole_.at(i);
  if (i < kept_.size() && kept_[i]) {
    Vector v = std::move(*kept_[i]);
    kept_[i].reset();
    return v;
  }
  const Unit& unit = units_.at(i);
  YAML::Node slice;
  try {
    slice = YAML::Load(slice_text(unit));
  } catch (const YAML::Exception& e) {
    throw LoadError(file_, e.mark.line + 1, e.mark.column + 1, "", e.msg);
  }
  auto vectors = load_vector_slice(slice, file_, unit.group, unit.index);
  if (vectors.size() != 1) throw LoadError(file_, 0, 0, "", fmt::format("slice {} holds {} vectors", i, vectors.size()));
  return std::move(vectors.front());
}

std::vector<Vector> VectorList::all() const {
  std::vector<Vector> out;
  for (std::size_t i = 0; i < size(); ++i) out.push_back(load(i));
  return out;
}

// Builds a file's VectorList: one slice per vector where the file's outline allows it.
struct CorpusReader {
  std::string file;
  std::string text;
  YamlOutline outline;
  std::vector<std::size_t> line_starts;

  // The first non-blank character of `line` is the '-' of a block sequence item that begins
  // before `column` (so the item's slice, starting at that line, holds its indicator).
  bool item_starts_its_line(int line, int column) const {
    const std::size_t begin = line_starts[line], end = line_starts[line + 1];
    for (std::size_t i = begin; i < end; ++i) {
      if (text[i] == ' ') continue;
      return text[i] == '-' && static_cast<int>(i - begin) < column;
    }
    return false;
  }

  // The line ranges of `map`'s children: child k runs from its key's line to the next
  // child's (the last to `end`).
  static std::vector<std::pair<int, int>> spans(const OutlineNode& map, int end) {
    std::vector<std::pair<int, int>> out;
    for (std::size_t k = 0; k < map.children.size(); ++k)
      out.push_back({map.children[k].line, k + 1 < map.children.size() ? map.children[k + 1].line : end});
    return out;
  }

  bool block_items(const OutlineNode& list) const {
    if (list.kind != OutlineNode::Kind::sequence || !list.block || list.children.empty()) return false;
    return std::all_of(list.children.begin(), list.children.end(), [&](const OutlineNode::Child& c) {
      return c.value.kind == OutlineNode::Kind::map && c.value.block && item_starts_its_line(c.line, c.value.column);
    });
  }

  // One unit per item of `list` (whose key line is `key_line`, whose span ends at `end`),
  // each keeping `context` too.
  void add_units(const OutlineNode& list, int key_line, int end, std::vector<std::pair<int, int>> context,
                 std::optional<std::size_t> group, VectorList& out) const {
    context.push_back({key_line, key_line + 1});
    for (std::size_t k = 0; k < list.children.size(); ++k) {
      VectorList::Unit u;
      u.group = group;
      u.index = k;
      u.lines = context;
      u.lines.push_back({list.children[k].line, k + 1 < list.children.size() ? list.children[k + 1].line : end});
      std::sort(u.lines.begin(), u.lines.end());
      std::vector<std::pair<int, int>> merged;
      for (const auto& r : u.lines)
        if (!merged.empty() && r.first <= merged.back().second) merged.back().second = std::max(merged.back().second, r.second);
        else merged.push_back(r);
      u.lines = std::move(merged);
      out.units_.push_back(std::move(u));
    }
  }

  // Cuts the file into units, or returns false when its shape does not allow it.
  bool cut(VectorList& out) const {
    const OutlineNode& root = outline.root;
    if (outline.anchors || root.kind != OutlineNode::Kind::map || !root.block) return false;
    const auto root_spans = spans(root, outline.lines);
    std::vector<std::pair<int, int>> header;  // every top-level key but vectors: and groups:
    for (std::size_t k = 0; k < root.children.size(); ++k)
      if (root.children[k].key != "vectors" && root.children[k].key != "groups") header.push_back(root_spans[k]);
    for (std::size_t k = 0; k < root.children.size(); ++k) {
      const auto& c = root.children[k];
      if (c.key == "vectors") {
        if (!block_items(c.value)) return false;
        add_units(c.value, c.line, root_spans[k].second, header, std::nullopt, out);
      }
    }
    for (std::size_t k = 0; k < root.children.size(); ++k) {
      const auto& c = root.children[k];
      if (c.key != "groups") continue;
      if (!block_items(c.value)) return false;
      const auto& groups = c.value.children;
      for (std::size_t g = 0; g < groups.size(); ++g) {
        const OutlineNode& group = groups[g].value;
        const int group_end = g + 1 < groups.size() ? groups[g + 1].line : root_spans[k].second;
        const auto group_spans = spans(group, group_end);
        std::vector<std::pair<int, int>> context = header;
        context.push_back({c.line, c.line + 1});              // groups:
        context.push_back({groups[g].line, groups[g].line + 1});  // the group's "- " line
        const OutlineNode::Child* list = nullptr;
        int list_end = 0;
        for (std::size_t j = 0; j < group.children.size(); ++j) {
          if (group.children[j].key == "vectors") {
            list = &group.children[j];
            list_end = group_spans[j].second;
          } else {
            context.push_back(group_spans[j]);
          }
        }
        if (!list || !block_items(list->value)) return false;
        add_units(list->value, list->line, list_end, context, g, out);
      }
    }
    return !out.units_.empty();
  }

  // Parses every slice once (and lets it go): the checks load_vectors makes across the
  // file's vectors (unique ids, every note used) are made here across slices.
  void check_slices(VectorList& list) const {
    std::set<std::string> ids;
    std::set<std::string> used;
    std::size_t kept_bytes = 0;
    list.kept_.resize(list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
      Vector v = list.load(i);
      if (!ids.insert(v.id).second)
        throw LoadError(file, v.source.line, v.source.column, "id", fmt::format("duplicate id '{}'", v.id));
      for (const auto& e : v.expectations)
        for (const auto& o : e.outcomes) used.insert(o.flags.begin(), o.flags.end());
      // Roughly what the vector holds: its memory frames and its operations with their outcomes.
      kept_bytes += v.initial.memory.frame_numbers().size() * 4096 +
                    v.operations.size() * (sizeof(model::Operation) + sizeof(Expectation) + 2 * sizeof(ExpectedOutcome));
      if (kept_bytes <= VectorList::kKeptBytes) list.kept_[i] = std::move(v);
    }
    if (const auto* notes = child(outline.root, "notes"))
      for (const auto& note : notes->value.children)
        if (!used.count(note.key))
          throw LoadError(file, note.line + 1, note.column + 1, "notes." + note.key, "no outcome in this file uses this flag");
  }

  VectorList vectors() const {
    VectorList list;
    list.file_ = file;
    if (cut(list)) {
      list.text_ = text;
      list.line_starts_ = line_starts;
      try {
        check_slices(list);
        return list;
      } catch (const LoadError&) {
        // Report what the whole file says: the same error at the same place, or, if cutting
        // went wrong somewhere, the truth. Only a bad file pays for the whole tree.
      }
    }
    VectorList whole;
    whole.file_ = file;
    const YAML::Node doc = parse_yaml_document(text, file);
    try {
      whole.whole_ = load_vectors(doc, file);
    } catch (const YAML::Exception& e) {
      throw LoadError(file, e.mark.line + 1, e.mark.column + 1, "", e.msg);
    }
    return whole;
  }
};

CorpusFileContents load_corpus_file(const CorpusFile& file) { return load_corpus_text(read_input_file(file.path), file); }

CorpusFileContents load_corpus_text(std::string text, const CorpusFile& file) {
  CorpusReader reader{file.path, std::move(text), {}, {}};
  reader.outline = outline_yaml_document(reader.text, file.path);
  reader.line_starts.push_back(0);
  for (std::size_t i = 0; i < reader.text.size(); ++i)
    if (reader.text[i] == '\n') reader.line_starts.push_back(i + 1);
  if (reader.line_starts.back() != reader.text.size()) reader.line_starts.push_back(reader.text.size());
  reader.outline.lines = static_cast<int>(reader.line_starts.size()) - 1;

  CorpusFileContents out;
  const OutlineNode& root = reader.outline.root;
  auto fail = [&](int line, int column, const std::string& field, const std::string& message) {
    throw LoadError(file.path, line + 1, column + 1, field, message);
  };
  const OutlineNode::Child* schema = root.kind == OutlineNode::Kind::map ? child(root, "schema") : nullptr;
  const bool vector_file = [&] {
    if (file.named) return true;
    // Found in a directory: a vector file, another vtspec file, or YAML that is not
    // vtspec's. Anything that looks meant as a vector file but is not one is an error, so
    // a typo cannot make a file's vectors vanish from a run.
    if (schema && schema->value.kind == OutlineNode::Kind::scalar) {
      const std::string& name = schema->value.scalar;
      if (name.rfind("vtspec/vector/", 0) == 0 || edit_distance(name, kVectorSchema) <= 3) return true;
      for (const char* other : kOtherVtspecSchemas)
        if (name == other) {
          out.kind = CorpusFileContents::Kind::other_vtspec;
          out.note = fmt::format("a {} file, not vectors: not run", name);
          return false;
        }
      if (name.rfind("vtspec", 0) == 0 || edit_distance(name.substr(0, 7), "vtspec/") <= 2)
        fail(schema->value.line, schema->value.column, "schema",
             fmt::format("unknown vtspec schema '{}' (vector files have '{}')", name, kVectorSchema));
      out.kind = CorpusFileContents::Kind::foreign;
      out.note = fmt::format("not a vtspec file (schema: {}): not run", name);
      return false;
    }
    for (const auto& c : root.children) {
      if (c.key == "vectors" || c.key == "groups")
        fail(root.line, root.column, "schema", fmt::format("missing: the file has {}: but no schema: '{}'", c.key, kVectorSchema));
      if (c.key != "schema" && edit_distance(c.key, "schema") <= 2)
        fail(c.line, c.column, c.key, fmt::format("unknown key '{}': did you mean schema:?", c.key));
    }
    out.kind = CorpusFileContents::Kind::foreign;
    out.note = schema ? "not a vtspec file (schema: is not text): not run" : "not a vtspec file (no schema: key): not run";
    return false;
  }();
  if (vector_file) out.vectors = reader.vectors();
  return out;
}

}  // namespace vtspec::vectors
