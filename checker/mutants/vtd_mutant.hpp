// Injectable bugs in the VT-d legacy-mode walk (spec/iommu/second_level_walk.hpp), as
// transforms applied around spec::iommu::walk_vtd - spec/ itself is not edited. Mutation
// tests and `vtspec prove --mutation` only.
//   vtd_ignore_write_permission: the write check ignores an entry's W bit (VT-d 7.1.3: a write
//     through a second-level entry with W = 0 faults, reason 5). Done by reading every
//     second-level entry of a write with W forced to 1: bit 1 is used by the walk for nothing
//     but that check (9.8: it is neither reserved nor part of ADDR), so the result is exactly
//     the walk without the W test - including writes through not-present (R = W = 0) entries.
//   vtd_address_width_unchecked: the IOVA is not checked against min(MGAW, AGAW) (3.4.3,
//     7.1.3 reason 4) and the walk uses only the bits its levels index. Done by a first, real
//     walk that finds the context entry's AW, then the walk of the IOVA truncated to that
//     AGAW (9.3: 39, 48 or 57 bits), which never fails the width check.
#pragma once

#include <optional>

#include "checker/mutants/mutation.hpp"
#include "spec/iommu/second_level_walk.hpp"

namespace vtspec::checker::mutants {

inline bool mutates_vtd_walk(Mutation m) {
  return m == Mutation::vtd_ignore_write_permission || m == Mutation::vtd_address_width_unchecked;
}

template <class D, class HostMemory>
struct VtdWriteAlwaysAllowedPort {
  HostMemory& memory;
  typename D::Bool write;
  typename D::Word read_host(const typename D::Word& address, unsigned level, const typename D::Bool& active) {
    const typename D::Word v = memory.read_host(address, level, active);
    if (level == 0) return v;  // root and context entries
    return D::ite(write, v | D::word(std::uint64_t{1} << spec::iommu::sle::write), v);  // BUG
  }
};

// Remembers the upper half of the context entry (the walk's fourth level-0 read, 3.4.3:
// root lo, root hi, context lo, context hi).
template <class D, class HostMemory>
struct VtdContextPeekPort {
  HostMemory& memory;
  unsigned level0_reads = 0;
  std::optional<typename D::Word> context_hi;
  typename D::Word read_host(const typename D::Word& address, unsigned level, const typename D::Bool& active) {
    typename D::Word v = memory.read_host(address, level, active);
    if (level == 0 && ++level0_reads == 4) context_hi = v;
    return v;
  }
};

template <class D, class HostMemory>
spec::iommu::VtdWalk<D> walk_vtd_mutant(Mutation m, const spec::iommu::VtdShape& shape, const typename D::Word& rtaddr,
                                        const spec::iommu::DmaAccess<D>& req, HostMemory& memory) {
  namespace io = spec::iommu;
  if (m == Mutation::vtd_ignore_write_permission) {
    VtdWriteAlwaysAllowedPort<D, HostMemory> port{memory, req.write};
    return io::walk_vtd<D>(shape, rtaddr, req, port);
  }
  if (m == Mutation::vtd_address_width_unchecked) {
    VtdContextPeekPort<D, HostMemory> peek{memory, 0, std::nullopt};
    const io::VtdWalk<D> real = io::walk_vtd<D>(shape, rtaddr, req, peek);
    if (!peek.context_hi) return real;
    const typename D::Word aw = D::field(*peek.context_hi, 2, 0);
    typename D::Word iova = req.iova;
    for (unsigned a = 1; a <= 3; ++a) {
      const unsigned bits = io::agaw_bits(a);
      iova = D::ite(aw == D::word(a), req.iova & D::word((std::uint64_t{1} << bits) - 1), iova);  // BUG
    }
    return io::walk_vtd<D>(shape, rtaddr, io::DmaAccess<D>{req.source_id, iova, req.write}, memory);
  }
  return io::walk_vtd<D>(shape, rtaddr, req, memory);
}

}  // namespace vtspec::checker::mutants
