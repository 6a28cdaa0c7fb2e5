# Writes the flat guest image INPUT as a C++ byte array in OUTPUT: `NAMESPACE::SYMBOL` and
# `NAMESPACE::SYMBOLSize` (defaults: the guest harness, read by harness_image.cpp; the QEMU
# platform proxy passes its own).
if(NOT DEFINED NAMESPACE)
  set(NAMESPACE vtspec::conformance::harness::detail)
endif()
if(NOT DEFINED SYMBOL)
  set(SYMBOL kGuestImage)
endif()
get_filename_component(input_name ${INPUT} NAME)
file(READ ${INPUT} hex HEX)
string(LENGTH "${hex}" length)
math(EXPR size "${length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE ${OUTPUT} "// Generated from ${input_name} by embed_binary.cmake. Do not edit.\n#include <cstddef>\n#include <cstdint>\nnamespace ${NAMESPACE} {\nextern const std::uint8_t ${SYMBOL}[] = {\n${bytes}\n};\nextern const std::size_t ${SYMBOL}Size = ${size};\n}\n")
