#include "conformance/runner/utf8_text.hpp"

namespace vtspec::conformance {

// The well-formed sequences are those of the Unicode Standard's Table 3-7: the lead byte
// fixes the length and the range of the second byte (narrower after E0, ED, F0 and F4, which
// excludes overlong forms, surrogates and values beyond U+10FFFF); later bytes are 80..BF.
char32_t next_code_point(std::string_view bytes, std::size_t& i) {
  const unsigned char lead = static_cast<unsigned char>(bytes[i++]);
  if (lead < 0x80) return lead;
  std::size_t length = 0;
  char32_t code_point = 0;
  unsigned char low = 0x80, high = 0xBF;  // the second byte's range
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code_point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code_point = lead & 0x0F;
    if (lead == 0xE0) low = 0xA0;   // below: overlong
    if (lead == 0xED) high = 0x9F;  // above: surrogates D800..DFFF
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code_point = lead & 0x07;
    if (lead == 0xF0) low = 0x90;   // below: overlong
    if (lead == 0xF4) high = 0x8F;  // above: beyond U+10FFFF
  } else {
    return kReplacementCharacter;  // 80..C1 (continuation, overlong 2-byte lead), F5..FF
  }
  for (std::size_t k = 1; k < length; ++k) {
    if (i >= bytes.size()) return kReplacementCharacter;
    const unsigned char next = static_cast<unsigned char>(bytes[i]);
    if (next < low || next > high) return kReplacementCharacter;  // not consumed: it starts what follows
    code_point = (code_point << 6) | (next & 0x3F);
    ++i;
    low = 0x80;
    high = 0xBF;
  }
  return code_point;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

}  // namespace vtspec::conformance
