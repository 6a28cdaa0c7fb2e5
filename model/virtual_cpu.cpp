#include "model/virtual_cpu.hpp"

namespace vtspec::model {

namespace {
struct Row {
  Feature feature;
  const char* name;
  bool CpuFeatures::*member;
};
constexpr Row kRows[kFeatureCount] = {
    {Feature::nx, "nx", &CpuFeatures::nx},       {Feature::page1gb, "page1gb", &CpuFeatures::page1gb},
    {Feature::la57, "la57", &CpuFeatures::la57}, {Feature::smep, "smep", &CpuFeatures::smep},
    {Feature::smap, "smap", &CpuFeatures::smap}, {Feature::pku, "pku", &CpuFeatures::pku},
    {Feature::pks, "pks", &CpuFeatures::pks},    {Feature::pcid, "pcid", &CpuFeatures::pcid},
    {Feature::invpcid, "invpcid", &CpuFeatures::invpcid},
};
const Row& row(Feature f) { return kRows[static_cast<std::size_t>(f)]; }
}  // namespace

const char* to_string(Feature f) { return row(f).name; }

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
