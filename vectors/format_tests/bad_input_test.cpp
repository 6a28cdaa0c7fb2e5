// Issue 9: input the loader used to accept silently, read without end, or report without a
// usable position. Each test names the case; expected lines and columns are counted by hand
// from the documents below, the rules come from the issue and vectors/SCHEMA.md ("Files",
// "What a vector may use").
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>

#include "vectors/format/load_error.hpp"
#include "vectors/format/vector_file.hpp"
#include "vectors/format_tests/expect_load_error.hpp"

namespace vtspec::vectors {
namespace {

// A valid one-vector file; tests replace one line or add one.
std::string base(const std::string& extra_state = "", const std::string& root = "0x1000",
                 const std::string& map = "map VA 0x400000 -> PA 0x20000, 4K, [P, RW, US]",
                 const std::string& op = "{ op: read, va: 0x400000, expect: { value: 0x0 } }") {
  return "schema: vtspec/vector/1\n"                   // 1
         "vectors:\n"                                   // 2
         "  - id: bad/1\n"                              // 3
         "    description: base\n"                      // 4
         "    state:\n"                                 // 5
         + extra_state +                                //   (extra lines here shift the rest)
         "      paging:\n"                              // 6
         "        root: " + root + "\n"                 // 7
         "        map:\n"                               // 8
         "          - " + map + "\n"                    // 9
         "    operations:\n"                            // 10
         "      - " + op + "\n";                        // 11
}

// Runs `load` with a deadline: the cases below used to block forever or read without end,
// and a hung test must fail, not hang the suite.
LoadError load_error_within_seconds(const std::function<void()>& load, int seconds = 10) {
  auto result = std::async(std::launch::async, [&]() -> std::optional<LoadError> {
    try {
      load();
    } catch (const LoadError& e) {
      return e;
    }
    return std::nullopt;
  });
  if (result.wait_for(std::chrono::seconds(seconds)) != std::future_status::ready) {
    std::cerr << "FAILED: the loader did not answer within " << seconds << " s (blocked or reading without end)\n";
    std::_Exit(1);  // the loader's thread cannot be stopped
  }
  auto e = result.get();
  if (!e) {
    ADD_FAILURE() << "the loader accepted it";
    return LoadError("", 0, 0, "", "");
  }
  return *e;
}

TEST(BadInput, TheBaseDocumentLoads) {
  const auto v = load_vector_text(base(), "t.yaml");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].id, "bad/1");
}

// --- Duplicate keys: yaml-cpp kept the first, PyYAML keeps the last.

TEST(BadInput, DuplicateIdIsRejected) {
  std::string text = base();
  text.replace(text.find("    description"), 0, "    id: bad/2\n");  // line 4
  const auto e = load_error(text);
  EXPECT_EQ(e.line(), 4);
  EXPECT_EQ(e.column(), 5);
  EXPECT_EQ(e.field(), "vectors[0].id");
  EXPECT_NE(e.message().find("duplicate key 'id' (first at line 3, column 5)"), std::string::npos) << e.what();
}

TEST(BadInput, DuplicateVaIsRejected) {
  const auto e = load_error(base("", "0x1000", "map VA 0x400000 -> PA 0x20000, 4K, [P, RW, US]",
                                 "{ op: read, va: 0x400000, va: 0x500000, expect: { value: 0x0 } }"));
  EXPECT_EQ(e.line(), 11);
  EXPECT_EQ(e.column(), 35);
  EXPECT_EQ(e.field(), "vectors[0].operations[0].va");
  EXPECT_NE(e.message().find("duplicate key"), std::string::npos) << e.what();
}

TEST(BadInput, DuplicateSchemaIsRejected) {
  const auto e = load_error("schema: vtspec/vector/1\nschema: vtspec/vector/2\n" + base().substr(24));
  EXPECT_EQ(e.line(), 2);
  EXPECT_EQ(e.column(), 1);
  EXPECT_EQ(e.field(), "schema");
}

TEST(BadInput, DuplicateRootIsRejected) {
  const auto e = load_error(base("", "0x1000\n        root: 0x2000"));
  EXPECT_EQ(e.line(), 8);
  EXPECT_EQ(e.column(), 9);
  EXPECT_EQ(e.field(), "vectors[0].state.paging.root");
}

// --- A second YAML document is refused, not ignored.

TEST(BadInput, SecondDocumentIsRejected) {
  const auto e = load_error(base() + "---\n" + base());
  EXPECT_EQ(e.line(), 12);
  EXPECT_NE(e.message().find("second YAML document"), std::string::npos) << e.what();
}

TEST(BadInput, OneDocumentWithExplicitMarkersLoads) {
  EXPECT_EQ(load_vector_text("---\n" + base() + "...\n", "t.yaml").size(), 1u);
}

// --- Only regular files, at most the size limit; anything else is refused at once.

struct TempPath {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("vtspec_bad_input_" + std::to_string(::getpid()) + "_" +
                                ::testing::UnitTest::GetInstance()->current_test_info()->name());
  ~TempPath() { std::filesystem::remove(path); }
};

TEST(BadInput, FifoIsRefusedAtOnce) {
  TempPath fifo;
  ASSERT_EQ(::mkfifo(fifo.path.c_str(), 0600), 0);
  const auto e = load_error_within_seconds([&] { load_vector_file(fifo.path.string()); });
  EXPECT_NE(e.message().find("a FIFO"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("only regular files"), std::string::npos) << e.what();
}

TEST(BadInput, DevZeroIsRefusedAtOnce) {
  const auto e = load_error_within_seconds([] { load_vector_file("/dev/zero"); });
  EXPECT_NE(e.message().find("a character device"), std::string::npos) << e.what();
}

TEST(BadInput, FileAboveTheSizeLimitIsRefused) {
  TempPath big;
  { std::ofstream(big.path) << "# big\n"; }
  std::filesystem::resize_file(big.path, (std::uintmax_t{16} << 20) + 1);  // sparse: no 16 MiB written
  const auto e = load_error_within_seconds([&] { load_vector_file(big.path.string()); });
  EXPECT_NE(e.message().find("larger than the limit of 16 MiB"), std::string::npos) << e.what();
}

// --- Text must be UTF-8 (or every report quoting it breaks).

TEST(BadInput, NonUtf8IdIsRejected) {
  std::string text = base();
  text.replace(text.find("bad/1"), 5, "bad/\xff");
  const auto e = load_error(text);
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(e.column(), 13);
  EXPECT_NE(e.message().find("invalid UTF-8"), std::string::npos) << e.what();
}

TEST(BadInput, NonUtf8DescriptionIsRejected) {
  for (const std::string bad : {"\xc0\xaf" /* overlong '/' */, "\xed\xa0\x80" /* surrogate */, "\xe2\x82" /* cut short */}) {
    std::string text = base();
    text.replace(text.find("base\n"), 4, "b" + bad + "se");
    const auto e = load_error(text);
    EXPECT_EQ(e.line(), 4) << e.what();
    EXPECT_EQ(e.column(), 19) << e.what();
  }
}

TEST(BadInput, Utf8TextLoads) {
  std::string text = base();
  text.replace(text.find("base\n"), 4, "\"\xc3\xa9t\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x90\x9b\"");  // été → 🐛
  EXPECT_EQ(load_vector_text(text, "t.yaml").at(0).description, "\xc3\xa9t\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x90\x9b");
}

// --- Semantic checks the schema promises.

TEST(BadInput, Cr3BeyondMaxPhyAddrIsRejected) {
  const auto e = load_error(base("      registers: { cr3: 0x1000000000 }\n"));  // bit 36, MAXPHYADDR 36
  EXPECT_EQ(e.line(), 6);
  EXPECT_EQ(e.field(), "vectors[0].state.registers.cr3");
  EXPECT_NE(e.message().find("reserved"), std::string::npos) << e.what();
}

TEST(BadInput, PagingRootBeyondMaxPhyAddrIsRejected) {
  const auto e = load_error(base("", "0x1000000000"));
  EXPECT_EQ(e.line(), 7);
  EXPECT_EQ(e.field(), "vectors[0].state.paging.root");
  EXPECT_NE(e.message().find("beyond MAXPHYADDR (36 bits)"), std::string::npos) << e.what();
}

TEST(BadInput, TablesAtThatWrapsIsRejected) {
  const auto e = load_error(base("", "0x1000\n        tables_at: 0xfffffffffffff000"));
  EXPECT_EQ(e.line(), 8);
  EXPECT_EQ(e.field(), "vectors[0].state.paging.tables_at");
  EXPECT_NE(e.message().find("beyond MAXPHYADDR"), std::string::npos) << e.what();
}

TEST(BadInput, MappingInPml4Slot511IsRejected) {
  const auto e = load_error(base("", "0x1000", "map VA 0xffffff8000400000 -> PA 0x20000, 4K, [P, RW, US]",
                                 "{ op: read, va: 0x400000, expect: { fault: PF, error_code: [], cr2: 0x400000 } }"));
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(e.field(), "vectors[0]");
  EXPECT_NE(e.message().find("entry 511"), std::string::npos) << e.what();
}

TEST(BadInput, AccessInPml4Slot511IsRejected) {
  const auto e = load_error(base("", "0x1000", "map VA 0x400000 -> PA 0x20000, 4K, [P, RW, US]",
                                 "{ op: read, va: 0xffffff8000400000, expect: { fault: PF, error_code: [], cr2: 0xffffff8000400000 } }"));
  EXPECT_EQ(e.line(), 11);
  EXPECT_EQ(e.field(), "vectors[0].operations[0]");
  EXPECT_NE(e.message().find("which the harness reserves"), std::string::npos) << e.what();
}

TEST(BadInput, MappingOntoTheHarnessAreaIsRejected) {
  const auto e = load_error(base("", "0x1000", "map VA 0x400000 -> PA 0x40000000, 4K, [P, RW, US]"));
  EXPECT_EQ(e.field(), "vectors[0]");
  EXPECT_NE(e.message().find("outside the vector's guest-physical [0, 0x40000000)"), std::string::npos) << e.what();
}

TEST(BadInput, TablesInTheHarnessAreaAreRejected) {
  const auto e = load_error(base("", "0x40000000"));
  EXPECT_NE(e.message().find("outside the vector's guest-physical [0, 0x40000000)"), std::string::npos) << e.what();
}

// --- Error locations.

TEST(BadInput, EmptyTextHasAPosition) {
  const auto e = load_error("");
  EXPECT_EQ(e.line(), 1);
  EXPECT_EQ(e.column(), 1);
  EXPECT_EQ(std::string(e.what()).find(":0:0"), std::string::npos) << e.what();
}

TEST(BadInput, UnopenableFileSaysWhy) {
  const auto e = load_error_within_seconds([] { load_vector_file("/nonexistent/v.yaml"); });
  EXPECT_EQ(std::string(e.what()).find(":0:0"), std::string::npos) << e.what();
  EXPECT_EQ(std::string(e.what()), "/nonexistent/v.yaml: cannot open: No such file or directory");
}

TEST(BadInput, StateFieldsKeepTheirVectorPrefix) {
  std::string text = "schema: vtspec/vector/1\nvectors:\n";
  const std::string one = base().substr(base().find("  - id"));
  for (int i = 0; i < 3; ++i) text += std::string(one).replace(one.find("bad/1"), 5, "bad/" + std::to_string(i));
  text += std::string(one).replace(one.find("    state:\n"), 11, "    state:\n      registers: { cr0: [PG, XX] }\n");
  const auto e = load_error(text);
  EXPECT_EQ(e.field(), "vectors[3].state.registers.cr0");
  EXPECT_NE(e.message().find("unknown cr0 flag 'XX'"), std::string::npos) << e.what();
}

TEST(BadInput, DeepNestingSaysSo) {
  const auto e = load_error("schema: vtspec/vector/1\nvectors: " + std::string(5000, '[') + std::string(5000, ']') + "\n");
  EXPECT_EQ(e.line(), 2);
  EXPECT_NE(e.message().find("nesting deeper than 64 levels"), std::string::npos) << e.what();
  EXPECT_EQ(e.message().find("bad file"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace vtspec::vectors
