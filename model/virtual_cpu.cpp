#include "model/virtual_cpu.hpp"

namespace vtspec::model {

namespace {
constexpr unsigned kEax = 0, kEbx = 1, kEcx = 2, kEdx = 3;
struct Row {
  Feature feature;
  const char* name;
  bool CpuFeatures::*member;
  CpuidBit cpuid;
};
constexpr Row kRows[kFeatureCount] = {
    {Feature::nx, "nx", &CpuFeatures::nx, {0x80000001, 0, kEdx, 20}},
    {Feature::page1gb, "page1gb", &CpuFeatures::page1gb, {0x80000001, 0, kEdx, 26}},
    {Feature::la57, "la57", &CpuFeatures::la57, {7, 0, kEcx, 16}},
    {Feature::smep, "smep", &CpuFeatures::smep, {7, 0, kEbx, 7}},
    {Feature::smap, "smap", &CpuFeatures::smap, {7, 0, kEbx, 20}},
    {Feature::pku, "pku", &CpuFeatures::pku, {7, 0, kEcx, 3}},
    {Feature::pks, "pks", &CpuFeatures::pks, {7, 0, kEcx, 31}},
    {Feature::pcid, "pcid", &CpuFeatures::pcid, {1, 0, kEcx, 17}},
    {Feature::invpcid, "invpcid", &CpuFeatures::invpcid, {7, 0, kEbx, 10}},
};
static_assert(kEax == 0);
const Row& row(Feature f) { return kRows[static_cast<std::size_t>(f)]; }
}  // namespace

const char* to_string(Feature f) { return row(f).name; }
CpuidBit cpuid_bit(Feature f) { return row(f).cpuid; }

std::optional<Feature> feature_named(std::string_view name) {
  for (const auto& r : kRows)
    if (name == r.name) return r.feature;
  return std::nullopt;
}

std::string feature_names() {
  std::string out;
  for (const auto& r : kRows) out += std::string(out.empty() ? "" : ", ") + r.name;
  return out;
}

bool CpuFeatures::has(Feature f) const { return this->*row(f).member; }
void CpuFeatures::set(Feature f, bool present) { this->*row(f).member = present; }

}  // namespace vtspec::model
