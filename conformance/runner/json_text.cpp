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
// `strict`: RFC 8259 to the letter (check_json_syntax); otherwise the records' reader, which
// takes what JsonObject writes and a little more (any run of number characters, raw control
// characters in strings, only spaces and tabs around).
class JsonReader {
 public:
  JsonReader(std::string_view text, bool strict) : text_(text), strict_(strict) {}
  const std::string& error() const { return error_; }
  std::size_t error_offset() const { return error_at_; }

  // A flat object: string keys, string or number values.
  bool flat_object(std::map<std::string, std::string>& out) {
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

  // Exactly one value of any kind, nested at most `max_depth` deep, and nothing after it.
  bool one_value(unsigned max_depth) {
    skip_space();
    if (!value(max_depth)) return false;
    skip_space();
    return i_ == text_.size() || fail("text after the JSON value");
  }

 private:
  bool fail(const std::string& what) {
    error_ = what;
    error_at_ = i_;
    return false;
  }
  bool peek(char c) const { return i_ < text_.size() && text_[i_] == c; }
  bool expect(char c) {
    if (!peek(c)) return fail(fmt::format("expected '{}'", c));
    ++i_;
    return true;
  }
  void skip_space() {
    while (i_ < text_.size() && (text_[i_] == ' ' || text_[i_] == '\t' || (strict_ && (text_[i_] == '\n' || text_[i_] == '\r'))))
      ++i_;
  }
  bool end() {
    ++i_;  // the '}'
    skip_space();
    return i_ == text_.size() || fail("text after the object");
  }

  bool value(unsigned depth) {
    if (peek('{') || peek('[')) return container(depth);
    std::string ignored;
    if (peek('"')) return string(ignored);
    for (const std::string_view literal : {"true", "false", "null"})
      if (text_.substr(i_, literal.size()) == literal) return i_ += literal.size(), true;
    return number(ignored);
  }

  // An object or an array; its values are one level deeper.
  bool container(unsigned depth) {
    const bool object = peek('{');
    const char close = object ? '}' : ']';
    if (depth == 0) return fail("nested too deep");
    ++i_;
    skip_space();
    if (peek(close)) return ++i_, true;
    for (;;) {
      skip_space();
      if (object) {
        std::string key;
        if (!string(key)) return false;
        skip_space();
        if (!expect(':')) return false;
        skip_space();
      }
      if (!value(depth - 1)) return false;
      skip_space();
      if (peek(close)) return ++i_, true;
      if (!peek(',')) return fail(fmt::format("expected ',' or '{}'", close));
      ++i_;
    }
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
      if (strict_ && static_cast<unsigned char>(c) < 0x20) return --i_, fail("a control character in a string (escape it)");
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

  bool digits(std::string& out) {
    const std::size_t from = i_;
    while (i_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[i_]))) out += text_[i_++];
    return i_ > from;
  }

  bool number(std::string& out) {
    if (strict_) {  // RFC 8259 section 6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
      if (peek('-')) out += text_[i_++];
      if (peek('0')) out += text_[i_++];
      else if (!digits(out)) return fail("expected a JSON value");
      if (peek('.')) {
        out += text_[i_++];
        if (!digits(out)) return fail("expected a digit after '.'");
      }
      if (peek('e') || peek('E')) {
        out += text_[i_++];
        if (peek('+') || peek('-')) out += text_[i_++];
        if (!digits(out)) return fail("expected a digit in the exponent");
      }
      return true;
    }
    while (i_ < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[i_])) || std::string_view(".-+eE").find(text_[i_]) != std::string_view::npos))
      out += text_[i_++];
    return !out.empty() || fail("expected a string or a number");
  }

  std::string_view text_;
  bool strict_;
  std::string error_;
  std::size_t error_at_ = 0;
  std::size_t i_ = 0;
};

}  // namespace

std::optional<std::map<std::string, std::string>> parse_flat_json_object(const std::string& text, std::string& error) {
  std::map<std::string, std::string> out;
  JsonReader reader(text, false);
  if (reader.flat_object(out)) return out;
  error = fmt::format("{} at column {}", reader.error(), reader.error_offset() + 1);
  return std::nullopt;
}

std::optional<JsonSyntaxError> check_json_syntax(std::string_view text, unsigned max_depth) {
  JsonReader reader(text, true);
  if (reader.one_value(max_depth)) return std::nullopt;
  return JsonSyntaxError{reader.error_offset(), reader.error()};
}

}  // namespace vtspec::conformance
