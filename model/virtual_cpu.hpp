// The virtual CPU a vector runs on: what the processor implements, as CPUID would enumerate it.
// A vector names one (`features:` in its state, vectors/SCHEMA.md); a target builds it
// (KVM: KVM_SET_CPUID2) or says why it cannot (conformance/capabilities.hpp).
//
// Defaults, used for every field a vector leaves out: MAXPHYADDR 36, the architectural
// minimum for IA-32e paging (SDM Vol. 3A 4.1.4: CPUID.80000008H:EAX[7:0], 36 when the leaf is
// absent), so a vector that does not care runs on every host; NX, 1-GByte pages, SMEP, SMAP,
// PKU, PCID and INVPCID present; LA57 and PKS absent. A feature a vector never touches
// (see model/cpu_needs.hpp) does not have to match on the target.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vtspec::model {

// The CPUID-enumerated features the model's rules depend on (SDM Vol. 3A 4.1.4, Table 4-1).
enum class Feature : std::uint8_t { nx, page1gb, la57, smep, smap, pku, pks, pcid, invpcid };
inline constexpr std::size_t kFeatureCount = 9;
inline constexpr std::array<Feature, kFeatureCount> kAllFeatures = {Feature::nx,   Feature::page1gb, Feature::la57,
                                                                    Feature::smep, Feature::smap,    Feature::pku,
                                                                    Feature::pks,  Feature::pcid,    Feature::invpcid};

// The name vectors and reports use ("page1gb", "smep", ...).
const char* to_string(Feature feature);
std::optional<Feature> feature_named(std::string_view name);
// Every name, comma-separated, for error messages.
std::string feature_names();

// Where CPUID enumerates a feature (SDM Vol. 2A, CPUID, Tables 3-8, 3-10): leaf, subleaf,
// register (0 EAX .. 3 EDX) and bit. MAXPHYADDR is CPUID.80000008H:EAX[7:0].
struct CpuidBit {
  std::uint32_t leaf = 0, subleaf = 0;
  unsigned reg = 0, bit = 0;
};
CpuidBit cpuid_bit(Feature feature);
inline constexpr std::uint32_t kAddressSizeLeaf = 0x80000008;

inline constexpr unsigned kMinMaxPhyAddr = 36;  // SDM Vol. 3A 4.1.4
inline constexpr unsigned kMaxMaxPhyAddr = 52;  // SDM Vol. 3A 4.1.4: at most 52

struct CpuFeatures {
  unsigned maxphyaddr = kMinMaxPhyAddr;
  bool nx = true;
  bool page1gb = true;
  bool la57 = false;
  bool smep = true;
  bool smap = true;
  bool pku = true;
  bool pks = false;
  bool pcid = true;
  bool invpcid = true;

  bool has(Feature f) const;
  void set(Feature f, bool present);
  friend bool operator==(const CpuFeatures&, const CpuFeatures&) = default;
};

}  // namespace vtspec::model
