#include "vectors/format/yaml_document.hpp"

#include <algorithm>
#include <map>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include "vectors/format/input_file.hpp"
#include "vectors/format/load_error.hpp"

namespace vtspec::vectors {

namespace {

// Checks the bytes are UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF) made of YAML's printable characters (YAML 1.2 production [1]: tab, LF, CR,
// U+0020..U+007E, U+0085, U+00A0..U+D7FF, U+E000..U+FFFD, U+10000..U+10FFFF).
void check_text(const std::string& text, const std::string& file) {
  int line = 1, column = 1;
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char b = byte(i);
    std::size_t length = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xe ? 3 : (b >> 3) == 0x1e ? 4 : 0;
    auto fail = [&](const std::string& what) {
      throw LoadError(file, line, column, "", fmt::format("{} (byte offset {}): vtspec files are UTF-8 text", what, i));
    };
    if (length == 0 || i + length > text.size()) fail(fmt::format("invalid UTF-8 byte {:#04x}", b));
    std::uint32_t c = length == 1 ? b : b & (0x7f >> length);
    for (std::size_t k = 1; k < length; ++k) {
      if ((byte(i + k) & 0xc0) != 0x80) fail(fmt::format("invalid UTF-8 sequence at byte {:#04x}", b));
      c = (c << 6) | (byte(i + k) & 0x3f);
    }
    static constexpr std::uint32_t kLeast[] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < kLeast[length]) fail(fmt::format("overlong UTF-8 encoding of U+{:04X}", c));
    if (c >= 0xd800 && c <= 0xdfff) fail(fmt::format("UTF-8 encoded surrogate U+{:04X}", c));
    if (c > 0x10ffff) fail("UTF-8 sequence beyond U+10FFFF");
    const bool printable = c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c <= 0x7e) || c == 0x85 ||
                           (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || c >= 0x10000;
    if (!printable)
      throw LoadError(file, line, column, "", fmt::format("character U+{:04X} is not allowed in YAML text (YAML 1.2, 5.1)", c));
    if (c == '\n') ++line, column = 1;
    else ++column;
    i += length;
  }
}

// Walks the parser's events (no tree is built, aliases are not expanded) and refuses what
// the header lists. Keeps one frame per open mapping or sequence.
class DocumentChecker : public YAML::EventHandler {
 public:
  DocumentChecker(std::string file, YamlOutline* outline) : file_(std::move(file)), outline_(outline) {}
  int documents() const { return documents_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1)
      fail(mark, "", "a second YAML document ('---'): a vtspec file is one document (split it into files)");
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    note_anchor(anchor);
    leaf(mark, start(mark, nullptr, "null"), YamlOutline::Node::Kind::other, nullptr);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    if (outline_) outline_->anchors = true;
    leaf(mark, start(mark, nullptr, "an alias"), YamlOutline::Node::Kind::other, nullptr);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string& value) override {
    note_anchor(anchor);
    leaf(mark, start(mark, &value, "text"), YamlOutline::Node::Kind::scalar, &value);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    note_anchor(anchor);
    open(mark, false, style);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value style) override {
    note_anchor(anchor);
    open(mark, true, style);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Started {
    std::string field;
    bool is_key = false;
  };

  struct Frame {
    bool map = false;
    std::string field;           // this container's path, e.g. "vectors[3].state"
    bool expect_key = true;      // map: the next node is a key
    std::size_t index = 0;       // sequence: the next item's index
    std::string key;             // map: the key whose value comes next
    std::map<std::string, YAML::Mark> keys;  // map: the keys so far, and where each is
    YAML::Mark key_mark{};       // map: the mark of the key whose value comes next
    YamlOutline::Node* outline = nullptr;  // its outline node, above kOutlineDepth
  };

  void note_anchor(YAML::anchor_t anchor) {
    if (anchor && outline_) outline_->anchors = true;
  }

  // The outline node for the node starting now in the innermost container (nullptr when
  // too deep, or no outline is wanted). `is_key`: the node is a mapping key (not recorded).
  YamlOutline::Node* outline_child(const YAML::Mark& mark, bool is_key) {
    if (!outline_ || is_key) return nullptr;
    if (frames_.empty()) {
      outline_->root.line = mark.line;
      outline_->root.column = mark.column;
      return &outline_->root;
    }
    Frame& f = frames_.back();
    if (!f.outline) return nullptr;
    YamlOutline::Node::Child c;
    c.key = f.map ? f.key : "";
    const YAML::Mark& at = f.map ? f.key_mark : mark;
    c.line = at.line;
    c.column = at.column;
    c.value.line = mark.line;
    c.value.column = mark.column;
    f.outline->children.push_back(std::move(c));
    return &f.outline->children.back().value;
  }

  // A scalar, null or alias: a key (already checked by start) or a value.
  void leaf(const YAML::Mark& mark, const Started& started, YamlOutline::Node::Kind kind, const std::string* text) {
    if (YamlOutline::Node* n = outline_child(mark, started.is_key)) {
      n->kind = kind;
      if (text) n->scalar = *text;
    }
  }

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& field, const std::string& message) const {
    throw LoadError(file_, mark.line + 1, mark.column + 1, field, message);
  }

  static std::string join(const std::string& field, const std::string& key) { return field.empty() ? key : field + "." + key; }

  // A node starts: a key or a value in a mapping, an item in a sequence, or the document's
  // root. Returns its path; a key must be text (`scalar`), and new in its mapping.
  Started start(const YAML::Mark& mark, const std::string* scalar, const char* kind) {
    if (frames_.empty()) return {"", false};
    Frame& f = frames_.back();
    if (!f.map) return {fmt::format("{}[{}]", f.field, f.index++), false};
    if (!f.expect_key) {
      f.expect_key = true;
      return {join(f.field, f.key), false};
    }
    if (!scalar) fail(mark, f.field, fmt::format("a mapping key must be plain text, not {}", kind));
    const std::string field = join(f.field, *scalar);
    if (const auto [first, added] = f.keys.emplace(*scalar, mark); !added)
      fail(mark, field,
           fmt::format("duplicate key '{}' (first at line {}, column {}): YAML tools disagree on which one wins",
                       *scalar, first->second.line + 1, first->second.column + 1));
    f.key = *scalar;
    f.key_mark = mark;
    f.expect_key = false;
    return {field, true};
  }

  void open(const YAML::Mark& mark, bool map, YAML::EmitterStyle::value style) {
    Started started = start(mark, nullptr, map ? "a mapping" : "a sequence");
    if (frames_.size() >= kMaxYamlDepth)
      fail(mark, started.field, fmt::format("nesting deeper than {} levels: no vtspec file needs that", kMaxYamlDepth));
    YamlOutline::Node* n = outline_child(mark, false);
    if (n) {
      n->kind = map ? YamlOutline::Node::Kind::map : YamlOutline::Node::Kind::sequence;
      n->block = style != YAML::EmitterStyle::Flow;
    }
    Frame f;
    f.map = map;
    f.field = std::move(started.field);
    f.outline = frames_.size() < kOutlineDepth ? n : nullptr;
    frames_.push_back(std::move(f));
  }

  void close() { frames_.pop_back(); }

  std::string file_;
  YamlOutline* outline_ = nullptr;
  int documents_ = 0;
  std::vector<Frame> frames_;
};

}  // namespace

namespace {

// Runs the checks; fills `outline` when given. yaml-cpp's own errors become LoadErrors.
void check_document(const std::string& text, const std::string& file, YamlOutline* outline) {
  check_text(text, file);
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentChecker checker(file, outline);
    while (parser.HandleNextDocument(checker)) {}
    if (checker.documents() == 0) throw LoadError(file, 1, 1, "", "empty: no YAML document");
  } catch (const LoadError&) {
    throw;
  } catch (const YAML::Exception& e) {
    throw LoadError(file, e.mark.line + 1, e.mark.column + 1, "", e.msg);
  }
}

}  // namespace

YAML::Node parse_yaml_document(const std::string& text, const std::string& file) {
  check_document(text, file, nullptr);
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw LoadError(file, e.mark.line + 1, e.mark.column + 1, "", e.msg);
  }
}

YamlOutline outline_yaml_document(const std::string& text, const std::string& file) {
  YamlOutline outline;
  check_document(text, file, &outline);
  outline.lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
  return outline;
}

YAML::Node load_yaml_file(const std::string& path) { return parse_yaml_document(read_input_file(path), path); }

}  // namespace vtspec::vectors
