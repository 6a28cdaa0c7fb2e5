#include "conformance/feature_probes.hpp"

#include <string>

#include "vectors/format/vector_file.hpp"

namespace vtspec::conformance {

namespace {

// A user page with a RET at VA 0x400000 (PA 0x200000) and the value 0x5a5a at +8.
constexpr const char* kUserPage = R"(
        paging:
          root: 0x1000
          tables_at: 0x100000
          map:
            - { va: 0x400000, pa: 0x200000, size: 4K, flags: [P, RW, US] }
        memory:
          - { gpa: 0x200000, u64: 0xc3 }
          - { gpa: 0x200008, u64: 0x5a5a }
)";

struct Probe {
  model::Feature feature;
  bool present;
  const char* id;
  const char* features;    // besides maxphyaddr: 36, e.g. "page1gb: false"
  const char* registers;   // the registers: mapping, or empty
  const char* extra_state; // paging/memory (kUserPage or its own)
  const char* operations;
};

// SDM references: Vol. 3A 4.6.1 (SMEP, SMAP), 4.6.2 (protection keys), 4.5.4 Table 4-15
// (PDPTE.PS maps a 1-GByte page only with CPUID Page1GB; otherwise bit 7 is reserved), 4.7
// (error codes), Vol. 2B INVPCID (#UD without CPUID.INVPCID).
const Probe kProbes[] = {
    {model::Feature::smep, true, "probe/smep",
     "", "cr4: [PAE, SMEP]", kUserPage,
     "      - { op: fetch, va: 0x400000, cpl: 0, expect: { fault: PF, error_code: [P, I], cr2: 0x400000 } }\n"},
    {model::Feature::smap, true, "probe/smap",
     "", "cr4: [PAE, SMAP]", kUserPage,
     "      - { op: read, va: 0x400008, cpl: 0, expect: { fault: PF, error_code: [P], cr2: 0x400008 } }\n"
     "      - { op: read, va: 0x400008, cpl: 3, expect: { value: 0x5a5a } }\n"},
    {model::Feature::pku, true, "probe/pku",
     "", "cr4: [PAE, PKE], pkru: 0x1", kUserPage,
     "      - { op: read, va: 0x400008, cpl: 3, expect: { fault: PF, error_code: [P, U, PK], cr2: 0x400008 } }\n"},
    {model::Feature::page1gb, true, "probe/page1gb",
     "page1gb: true", "",
     R"(
        paging:
          root: 0x1000
          tables_at: 0x100000
          map:
            - { va: 0x40000000, pa: 0x0, size: 1G, flags: [P, RW] }
        memory:
          - { gpa: 0x200008, u64: 0x5a5a }
)",
     "      - { op: read, va: 0x40200008, cpl: 0, expect: { value: 0x5a5a } }\n"},
    {model::Feature::page1gb, false, "probe/no-page1gb",
     "page1gb: false", "cr3: 0x1000",
     R"(
        memory:
          - { gpa: 0x1000, u64: 0x2003 }
          - { gpa: 0x2008, u64: 0x83 }
)",
     "      - { op: read, va: 0x40000000, cpl: 0, expect: { fault: PF, error_code: [P, RSVD], cr2: 0x40000000 } }\n"},
    {model::Feature::invpcid, true, "probe/invpcid",
     "invpcid: true", "", kUserPage,
     "      - { op: invpcid, type: 2, expect: ok }\n"
     "      - { op: read, va: 0x400008, cpl: 0, expect: { value: 0x5a5a } }\n"},
    {model::Feature::invpcid, false, "probe/no-invpcid",
     "invpcid: false", "", kUserPage,
     "      - { op: invpcid, type: 2, expect: { fault: UD } }\n"},
};

}  // namespace

std::optional<vectors::Vector> feature_probe(model::Feature feature, bool present) {
  for (const auto& p : kProbes) {
    if (p.feature != feature || p.present != present) continue;
    std::string text = "schema: vtspec/vector/1\nvectors:\n  - id: " + std::string(p.id) + "\n    state:\n";
    text += std::string("        features: { maxphyaddr: 36") + (*p.features ? ", " : "") + p.features + " }\n";
    if (*p.registers) text += std::string("        registers: { ") + p.registers + " }\n";
    text += std::string(p.extra_state) + "    operations:\n" + p.operations;
    return vectors::load_vector_text(text, std::string("<feature probe ") + p.id + ">").front();
  }
  return std::nullopt;
}

vectors::Vector upper_half_user_probe() {
  // 0xffff800000400000: PML4 index 256, PDPT 0, PD 2, PT 0. All entries P, RW, US, A (and D
  // in the PTE), so no access changes them; the page starts with a RET for the fetch.
  static const char* const text = R"(schema: vtspec/vector/1
vectors:
  - id: probe/user-upper-half
    state:
      features: { maxphyaddr: 36 }
      registers: { cr3: 0x1000 }
      memory:
        - { gpa: 0x1800, u64: 0x2027 }
        - { gpa: 0x2000, u64: 0x3027 }
        - { gpa: 0x3010, u64: 0x4027 }
        - { gpa: 0x4000, u64: 0x20067 }
        - { gpa: 0x20000, u64: 0x5a5a00c3 }
    operations:
      - { op: read, va: 0xffff800000400000, cpl: 3, size: 4, expect: { value: 0x5a5a00c3 } }
      - { op: write, va: 0xffff800000400008, cpl: 3, value: 0x1, expect: ok }
      - { op: fetch, va: 0xffff800000400000, cpl: 3, expect: ok }
)";
  return vectors::load_vector_text(text, "<upper-half user probe>").front();
}

}  // namespace vtspec::conformance
