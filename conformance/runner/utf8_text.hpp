// Text from anywhere (file paths, a target's error messages: any bytes) read as Unicode code
// points, so that every writer (the JSON of json_text.hpp, the XML of reports.cpp) emits
// valid text whatever it is given. Each invalid UTF-8 sequence (a stray or truncated byte, an
// overlong form, a surrogate, beyond U+10FFFF) reads as U+FFFD, one per maximal subpart: the
// Unicode Standard's recommended practice (chapter 3, "U+FFFD Substitution of Maximal
// Subparts"), which Python and the WHATWG decoder follow too.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vtspec::conformance {

inline constexpr char32_t kReplacementCharacter = 0xFFFD;

// The code point at bytes[i] (i < bytes.size()); advances i past it, or past the maximal
// subpart of an invalid sequence, which reads as kReplacementCharacter.
char32_t next_code_point(std::string_view bytes, std::size_t& i);

// Appends `code_point` (a Unicode scalar value) in UTF-8.
void append_utf8(std::string& out, char32_t code_point);

}  // namespace vtspec::conformance
