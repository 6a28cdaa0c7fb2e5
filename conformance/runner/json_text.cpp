#include "conformance/runner/json_text.hpp"

#include <cctype>

#include <fmt/format.h>

#include "conformance/runner/utf8_text.hpp"

namespace vtspec::conformance {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    const char32_t c = next_code_point(s, i);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        else append_utf8(out, c);
    }
  }
  return out + "\"";
}

JsonObject& JsonObject::field(const std::string& key, const std::string& json_value) {
  if (text_.size() > 1) text_ += ",";
  text_ += json_string(key) + ":" + json_value;
  return *this;
}

JsonObject& JsonObject::number(const std::string& key, double value) { return field(key, fmt::format("{:.6f}", value)); }

std::string json_array(const std::vector<std::string>& values) {
  return "[" + fmt::format("{}", fmt::join(values, ",")) + "]";
}

std::string json_strings(const std::vector<std::string>& values) {
  std::vector<std::string> quoted;
  for (const auto& v : values) quoted.push_back(json_string(v));
  return json_array(quoted);
}

namespace {

// A reader over one text; each step returns false with `error` set at the first problem.
class FlatObjectReader {
 public:
  FlatObjectReader(const std::string& text, std::string& error) : text_(text), error_(error) {}

  bool object(std::map<std::string, std::string>& out) {
    skip_space();
    if (!expect('{')) return false;
    skip_space();
    if (peek('}')) return end();
    for (;;) {
      std::string key, value;
      skip_space();
      if (!string(key)) return false;
      skip_space();
      if (!expect(':')) return false;
      skip_space();
      if (peek('"') ? !string(value) : !number(value)) return false;
      if (!out.emplace(key, value).second) return fail(fmt::format("field \"{}\" twice", key));
      skip_space();
      if (peek(',')) { ++i_; continue; }
      if (peek('}')) return end();
      return fail("expected ',' or '}'");
    }
  }

 private:
  bool fail(const std::string& what) {
    error_ = fmt::format("{} at column {}", what, i_ + 1);
    return false;
  }
  bool peek(char c) const { return i_ < text_.size() && text_[i_] == c; }
  bool expect(char c) {
    if (!peek(c)) return fail(fmt::format("expected '{}'", c));
    ++i_;
    return true;
  }
  void skip_space() {
    while (i_ < text_.size() && (text_[i_] == ' ' || text_[i_] == '\t')) ++i_;
  }
  bool end() {
    ++i_;  // the '}'
    skip_space();
    return i_ == text_.size() || fail("text after the object");
  }

  bool hex4(unsigned& value) {
    if (i_ + 4 > text_.size()) return fail("\\u needs 4 hex digits");
    value = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const char c = text_[i_ + k];
      if (!std::isxdigit(static_cast<unsigned char>(c))) return fail("\\u needs 4 hex digits");
      value = value * 16 + static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (std::tolower(c) - 'a' + 10));
    }
    i_ += 4;
    return true;
  }

  // \uXXXX, after the "\u": a UTF-16 code unit, joined with a following low surrogate; a
  // lone surrogate is no character, so it reads as U+FFFD (json_string never writes one).
  bool unicode_escape(std::string& out) {
    unsigned unit = 0;
    if (!hex4(unit)) return false;
    char32_t c = unit;
    if (unit >= 0xD800 && unit <= 0xDBFF && text_.compare(i_, 2, "\\u") == 0) {
      const std::size_t at = i_;
      i_ += 2;
      unsigned low = 0;
      if (!hex4(low)) return false;
      if (low >= 0xDC00 && low <= 0xDFFF) c = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
      else i_ = at;  // not a pair: the second escape stands alone
    }
    if (c >= 0xD800 && c <= 0xDFFF) c = kReplacementCharacter;
    append_utf8(out, c);
    return true;
  }

  bool string(std::string& out) {
    if (!expect('"')) return false;
    while (i_ < text_.size()) {
      const char c = text_[i_++];
      if (c == '"') return true;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= text_.size()) break;
      switch (text_[i_++]) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u':
          if (!unicode_escape(out)) return false;
          break;
        default: --i_; return fail(fmt::format("unknown escape \\{}", text_[i_]));
      }
    }
    return fail("unterminated string");
  }

  bool number(std::string& out) {
    while (i_ < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[i_])) || std::string_view(".-+eE").find(text_[i_]) != std::string_view::npos))
      out += text_[i_++];
    return !out.empty() || fail("expected a string or a number");
  }

  const std::string& text_;
  std::string& error_;
  std::size_t i_ = 0;
};

}  // namespace

std::optional<std::map<std::string, std::string>> parse_flat_json_object(const std::string& text, std::string& error) {
  std::map<std::string, std::string> out;
  if (!FlatObjectReader(text, error).object(out)) return std::nullopt;
  return out;
}

}  // namespace vtspec::conformance
