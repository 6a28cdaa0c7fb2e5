// Hand-written vectors for the target tests: a 4-level paging hierarchy with 4-KByte pages
// built entry by entry (SDM Vol. 3A 4.5), so each test states its paging structures and
// the outcome the SDM prescribes.
#pragma once

#include <cstdint>
#include <string>

#include "vectors/format/vector.hpp"

namespace vtspec::conformance::testing {

// Entry bits (SDM Vol. 3A Tables 4-15..4-20).
inline constexpr std::uint64_t P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, XD = 1ull << 63;
// Error-code bits (SDM Vol. 3A 4.7).
inline constexpr std::uint64_t PF_P = 1, PF_W = 2, PF_U = 4, PF_RSVD = 8, PF_ID = 16, PF_PK = 32;

class VectorBuilder {
 public:
  static constexpr std::uint64_t kPml4 = 0x1000, kPdpt = 0x2000, kPd = 0x3000, kPt = 0x4000;

  explicit VectorBuilder(std::string id) {
    v_.id = std::move(id);
    v_.initial.regs.cr3 = kPml4;
    // Upper levels fully permissive; tests vary the PTE unless they say otherwise.
    v_.initial.memory.write64(kPml4, kPdpt | P | RW | US);
    v_.initial.memory.write64(kPdpt, kPd | P | RW | US);
    v_.initial.memory.write64(kPd + 2 * 8, kPt | P | RW | US);  // linear 0x400000..0x5fffff
  }
  // Maps the 4-KByte page at linear 0x400000 + index * 4096 to `physical` with `flags`.
  static std::uint64_t linear(unsigned index) { return 0x400000 + std::uint64_t{index} * 4096; }
  static std::uint64_t pte_address(unsigned index) { return kPt + std::uint64_t{index} * 8; }
  VectorBuilder& map(unsigned index, std::uint64_t physical, std::uint64_t flags) {
    v_.initial.memory.write64(pte_address(index), physical | flags);
    return *this;
  }
  VectorBuilder& poke(std::uint64_t physical, unsigned size, std::uint64_t value) {
    v_.initial.memory.write(physical, size, value);
    return *this;
  }
  VectorBuilder& op(model::Operation operation) {
    v_.operations.push_back(operation);
    v_.expectations.emplace_back();
    return *this;
  }
  VectorBuilder& access(std::uint64_t address, spec::AccessKind kind, unsigned cpl, unsigned size = 8,
                        std::uint64_t value = 0) {
    model::Operation o;
    o.kind = model::OperationKind::access;
    o.access.linear = address;
    o.access.kind = kind;
    o.access.cpl = cpl;
    o.size = size;
    o.value = value;
    return op(o);
  }
  VectorBuilder& simple(model::OperationKind kind, std::uint64_t address, std::uint64_t value = 0) {
    model::Operation o;
    o.kind = kind;
    o.address = address;
    o.value = value;
    return op(o);
  }
  VectorBuilder& check(std::string name, std::uint64_t physical) {
    v_.entries.push_back({std::move(name), physical});
    return *this;
  }
  model::MachineState& state() { return v_.initial; }
  vectors::Vector build() const { return v_; }

 private:
  vectors::Vector v_;
};

}  // namespace vtspec::conformance::testing
