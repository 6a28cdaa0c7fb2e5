// An independent transcription of VMRUN's consistency checks (AMD64 APM Vol. 2 15.5.1, with
// 15.10.1, 15.11, 15.16 and 15.20 for the conditions it refers to), keyed by the ids of
// spec/svm/vmrun_checks.hpp, for the obligation "vmrun-consistency". Each is the APM's
// "illegal" condition as written; a row holds when its condition does not.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spec/svm/vmrun_checks.hpp"

namespace vtspec::checker::declarative {

template <class D>
struct VmrunRule {
  const char* id;
  typename D::Bool (*illegal)(const spec::svm::VmrunInput<D>&, const spec::svm::SvmCapabilities&);
};

template <class D>
std::vector<VmrunRule<D>> vmrun_rules() {
  using In = spec::svm::VmrunInput<D>;
  using Caps = spec::svm::SvmCapabilities;
  using B = typename D::Bool;
  return {
      {"vmrun.efer-svme", [](const In& in, const Caps&) -> B { return (in.efer & D::word(1ull << 12)) == D::word(0); }},
      {"vmrun.cr0-cd-nw",
       [](const In& in, const Caps&) -> B {
         return (in.cr0 & D::word(1ull << 30)) == D::word(0) && (in.cr0 & D::word(1ull << 29)) != D::word(0);
       }},
      {"vmrun.cr0-upper", [](const In& in, const Caps&) -> B { return D::shift_right(in.cr0, 32u) != D::word(0); }},
      {"vmrun.cr3-mbz",
       [](const In& in, const Caps& caps) -> B {
         const B long_paging = (in.efer & D::word(1ull << 8)) != D::word(0) && (in.cr0 & D::word(1ull << 31)) != D::word(0);
         return long_paging && D::shift_right(in.cr3, caps.maxphyaddr) != D::word(0);
       }},
      {"vmrun.cr4-mbz", [](const In& in, const Caps& caps) -> B { return (in.cr4 & D::word(~caps.cr4_defined)) != D::word(0); }},
      {"vmrun.dr6-upper", [](const In& in, const Caps&) -> B { return D::shift_right(in.dr6, 32u) != D::word(0); }},
      {"vmrun.dr7-upper", [](const In& in, const Caps&) -> B { return D::shift_right(in.dr7, 32u) != D::word(0); }},
      {"vmrun.efer-mbz", [](const In& in, const Caps& caps) -> B { return (in.efer & D::word(~caps.efer_defined)) != D::word(0); }},
      {"vmrun.long-mode-supported",
       [](const In& in, const Caps& caps) -> B {
         return D::truth(!caps.long_mode) && (in.efer & D::word((1ull << 8) | (1ull << 10))) != D::word(0);
       }},
      {"vmrun.long-mode-pae",
       [](const In& in, const Caps&) -> B {
         return (in.efer & D::word(1ull << 8)) != D::word(0) && (in.cr0 & D::word(1ull << 31)) != D::word(0) &&
                (in.cr4 & D::word(1ull << 5)) == D::word(0);
       }},
      {"vmrun.long-mode-pe",
       [](const In& in, const Caps&) -> B {
         return (in.efer & D::word(1ull << 8)) != D::word(0) && (in.cr0 & D::word(1ull << 31)) != D::word(0) &&
                (in.cr0 & D::word(1ull << 0)) == D::word(0);
       }},
      {"vmrun.long-mode-cs",
       [](const In& in, const Caps&) -> B {
         // VMCB segment attributes: bit 9 is the descriptor's L (bit 53), bit 10 its D/B (bit 54).
         return (in.efer & D::word(1ull << 8)) != D::word(0) && (in.cr0 & D::word(1ull << 31)) != D::word(0) &&
                (in.cr4 & D::word(1ull << 5)) != D::word(0) && (in.cs_attrib & D::word(3ull << 9)) == D::word(3ull << 9);
       }},
      {"vmrun.intercept-vmrun", [](const In& in, const Caps&) -> B { return (in.intercept_misc2 & D::word(1)) == D::word(0); }},
      {"vmrun.iopm-below-maxphyaddr",
       [](const In& in, const Caps& caps) -> B {
         // 15.10.1: the IOPM is 12 KBytes from its 4-KByte aligned base; its last byte must be
         // a supported address: illegal when base + 12K - 1 >= 2^M.
         const auto base = in.iopm_base & D::word(~0xfffull);
         return !D::ult(base + D::word(12 * 1024 - 1), D::word(1ull << caps.maxphyaddr)) ||
                D::ult(base + D::word(12 * 1024 - 1), base);
       }},
      {"vmrun.msrpm-below-maxphyaddr",
       [](const In& in, const Caps& caps) -> B {
         const auto base = in.msrpm_base & D::word(~0xfffull);
         return !D::ult(base + D::word(8 * 1024 - 1), D::word(1ull << caps.maxphyaddr)) ||
                D::ult(base + D::word(8 * 1024 - 1), base);
       }},
      {"vmrun.event-injection",
       [](const In& in, const Caps&) -> B {
         // 15.20: V = bit 31; TYPE 1, 5, 6, 7 are reserved; TYPE 3 (exception) with vector 2
         // (an NMI) or a vector above 31 names no exception.
         const auto type = D::shift_right(in.event_injection, 8u) & D::word(7);
         const auto vector = in.event_injection & D::word(0xff);
         const B valid = (in.event_injection & D::word(1ull << 31)) != D::word(0);
         const B reserved = type == D::word(1) || type == D::word(5) || type == D::word(6) || type == D::word(7);
         const B bad_exception = type == D::word(3) && (vector == D::word(2) || !D::ult(vector, D::word(32)));
         return valid && (reserved || bad_exception);
       }},
      {"vmrun.asid-nonzero", [](const In& in, const Caps&) -> B { return (in.asid & D::word(0xffffffffull)) == D::word(0); }},
  };
}

}  // namespace vtspec::checker::declarative
