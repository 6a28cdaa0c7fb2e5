// A value per paging-structure level, indexed by the SDM's level number (1 = PT .. 5 = PML5).
// Values need not be default-constructible (Z3 terms are not), so every slot starts as a copy
// of an initial value.
#pragma once

#include <array>

#include "spec/paging_mode.hpp"

namespace vtspec::spec {

template <class T>
struct PerLevel {
  std::array<T, kMaxLevels + 1> slot;
  explicit PerLevel(const T& init) : slot{init, init, init, init, init, init} {}
  T& operator[](unsigned level) { return slot[level]; }
  const T& operator[](unsigned level) const { return slot[level]; }
};

// Which levels may set accessed flags before the walk knows whether the access succeeds.
// SDM Vol. 3A 4.8 requires A=1 in every entry used by a successful translation and D=1 in
// the leaf on a write, but does not say whether entries used by a walk that later faults are
// marked: each choice below is an allowed behaviour, and the model takes their union.
struct AccessedFlagPolicy {
  unsigned eager_levels = 0;  // bit n set: the level-n entry is marked as soon as it is used
  bool eager(unsigned level) const { return (eager_levels >> level) & 1u; }
  static AccessedFlagPolicy lazy() { return {}; }
  static AccessedFlagPolicy eager_at(unsigned level) { return {1u << level}; }
};

}  // namespace vtspec::spec
