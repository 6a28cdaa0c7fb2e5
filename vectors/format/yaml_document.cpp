#include "vectors/format/yaml_document.hpp"

#include <set>
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
  explicit DocumentChecker(std::string file) : file_(std::move(file)) {}
  int documents() const { return documents_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1)
      fail(mark, "", "a second YAML document ('---'): a vtspec file is one document (split it into files)");
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { start(mark, nullptr, "null"); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { start(mark, nullptr, "an alias"); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string& value) override {
    start(mark, &value, "text");
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    open(mark, false);
  }
  void OnSequenceEnd() override { frames_.pop_back(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    open(mark, true);
  }
  void OnMapEnd() override { frames_.pop_back(); }

 private:
  struct Frame {
    bool map = false;
    std::string field;           // this container's path, e.g. "vectors[3].state"
    bool expect_key = true;      // map: the next node is a key
    std::size_t index = 0;       // sequence: the next item's index
    std::string key;             // map: the key whose value comes next
    std::set<std::string> keys;  // map: the keys so far
    std::vector<std::pair<std::string, YAML::Mark>> marks;  // map: where each key was (for messages)
  };

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& field, const std::string& message) const {
    throw LoadError(file_, mark.line + 1, mark.column + 1, field, message);
  }

  static std::string join(const std::string& field, const std::string& key) { return field.empty() ? key : field + "." + key; }

  // A node starts: a key or a value in a mapping, an item in a sequence, or the document's
  // root. Returns its path; a key must be text (`scalar`), and new in its mapping.
  std::string start(const YAML::Mark& mark, const std::string* scalar, const char* kind) {
    if (frames_.empty()) return "";
    Frame& f = frames_.back();
    if (!f.map) return fmt::format("{}[{}]", f.field, f.index++);
    if (!f.expect_key) {
      f.expect_key = true;
      return join(f.field, f.key);
    }
    if (!scalar) fail(mark, f.field, fmt::format("a mapping key must be plain text, not {}", kind));
    const std::string field = join(f.field, *scalar);
    if (!f.keys.insert(*scalar).second) {
      YAML::Mark first{};
      for (const auto& [k, m] : f.marks)
        if (k == *scalar) first = m;
      fail(mark, field,
           fmt::format("duplicate key '{}' (first at line {}, column {}): YAML tools disagree on which one wins",
                       *scalar, first.line + 1, first.column + 1));
    }
    f.marks.emplace_back(*scalar, mark);
    f.key = *scalar;
    f.expect_key = false;
    return field;
  }

  void open(const YAML::Mark& mark, bool map) {
    std::string field = start(mark, nullptr, map ? "a mapping" : "a sequence");
    if (frames_.size() >= kMaxYamlDepth)
      fail(mark, field, fmt::format("nesting deeper than {} levels: no vtspec file needs that", kMaxYamlDepth));
    Frame f;
    f.map = map;
    f.field = std::move(field);
    frames_.push_back(std::move(f));
  }

  std::string file_;
  int documents_ = 0;
  std::vector<Frame> frames_;
};

}  // namespace

YAML::Node parse_yaml_document(const std::string& text, const std::string& file) {
  check_text(text, file);
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentChecker checker(file);
    while (parser.HandleNextDocument(checker)) {}
    if (checker.documents() == 0) throw LoadError(file, 1, 1, "", "empty: no YAML document");
    return YAML::Load(text);
  } catch (const LoadError&) {
    throw;
  } catch (const YAML::ParserException& e) {
    throw LoadError(file, e.mark.line + 1, e.mark.column + 1, "", e.msg);
  } catch (const YAML::Exception& e) {
    throw LoadError(file, e.mark.line + 1, e.mark.column + 1, "", e.msg);
  }
}

YAML::Node load_yaml_file(const std::string& path) { return parse_yaml_document(read_input_file(path), path); }

}  // namespace vtspec::vectors
