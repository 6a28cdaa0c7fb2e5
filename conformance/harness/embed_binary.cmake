# Writes the flat guest image INPUT as a C++ byte array in OUTPUT (harness_image.cpp reads it).
file(READ ${INPUT} hex HEX)
string(LENGTH "${hex}" length)
math(EXPR size "${length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE ${OUTPUT} "// Generated from harness.bin by embed_binary.cmake. Do not edit.\n#include <cstddef>\n#include <cstdint>\nnamespace vtspec::conformance::harness::detail {\nextern const std::uint8_t kGuestImage[] = {\n${bytes}\n};\nextern const std::size_t kGuestImageSize = ${size};\n}\n")
