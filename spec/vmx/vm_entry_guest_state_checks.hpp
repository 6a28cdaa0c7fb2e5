// The checks on the guest-state area, SDM Vol. 3C 27.3.1: control registers, debug
// registers and MSRs (27.3.1.1), segment registers (27.3.1.2), descriptor-table registers
// (27.3.1.3), RIP and RFLAGS (27.3.1.4), non-register state (27.3.1.5) and the PDPTEs with
// EPT (27.3.1.6). A failure is a VM-entry failure with exit reason 33; the row gives the
// exit qualification (27.8, Table 28-? "Exit Qualification for VM-Entry Failures": 0 no
// detail, 2 PDPTE loading, 3 NMI injection with blocking by STI, 4 VMCS link pointer).
//
// Not yet transcribed (docs/vmx.md): the VMCS-link-pointer checks that read the referenced
// VMCS (revision identifier, shadow-VMCS indicator), IA32_PERF_GLOBAL_CTRL, IA32_BNDCFGS,
// IA32_RTIT_CTL, CET and IA32_LBR_CTL loading, the enclave-interruption bit and SMM.
#pragma once

#include "spec/control_registers.hpp"
#include "spec/vmx/vm_entry_host_state_checks.hpp"

namespace vtspec::spec::vmx {

constexpr std::uint32_t guest_selector(unsigned s) { return vmcs_field::guest_es_selector + 2 * s; }
constexpr std::uint32_t guest_limit(unsigned s) { return vmcs_field::guest_es_limit + 2 * s; }
constexpr std::uint32_t guest_access_rights(unsigned s) { return vmcs_field::guest_es_access_rights + 2 * s; }
constexpr std::uint32_t guest_base(unsigned s) { return vmcs_field::guest_es_base + 2 * s; }

// Access-rights layout (25.4.1, Table 25-2): type 3:0, S 4, DPL 6:5, P 7, 11:8 reserved, AVL 12,
// L 13, D/B 14, G 15, unusable 16, 31:17 reserved.
namespace access_rights {
inline constexpr unsigned s_flag = 4, present = 7, l = 13, db = 14, g = 15, unusable = 16;
inline constexpr std::uint64_t reserved = bit_range(11, 8) | bit_range(31, 17);
}  // namespace access_rights

namespace rflags_bits {
inline constexpr unsigned tf = 8, if_ = 9, vm = 17;
inline constexpr std::uint64_t reserved_zero = bit_range(63, 22) | bit_at(15) | bit_at(5) | bit_at(3);
inline constexpr std::uint64_t reserved_one = bit_at(1);
}  // namespace rflags_bits

namespace detail {
template <class D>
typename D::Word ar(const EntryInput<D>& in, unsigned s) { return in[guest_access_rights(s)]; }
template <class D>
typename D::Word seg_type(const EntryInput<D>& in, unsigned s) { return D::field(ar(in, s), 3, 0); }
template <class D>
typename D::Word dpl(const EntryInput<D>& in, unsigned s) { return D::field(ar(in, s), 6, 5); }
template <class D>
typename D::Word rpl(const EntryInput<D>& in, unsigned s) { return D::field(in[guest_selector(s)], 1, 0); }
template <class D>
typename D::Bool usable(const EntryInput<D>& in, unsigned s) { return !D::bit(ar(in, s), access_rights::unusable); }
template <class D>
typename D::Bool v86(const EntryInput<D>& in) { return in.bit(vmcs_field::guest_rflags, rflags_bits::vm); }
// The segment's access rights are checked: not virtual-8086, and CS or a usable segment.
template <class D>
typename D::Bool ar_checked(const EntryInput<D>& in, unsigned s) {
  return !v86(in) && (s == cs ? D::truth(true) : usable(in, s));
}
template <class D>
typename D::Bool injecting(const EntryInput<D>& in, unsigned type) {
  return interruption_valid(in) && interruption_type(in) == D::word(type);
}
template <class D>
typename D::Word activity_state(const EntryInput<D>& in) { return in[vmcs_field::guest_activity_state]; }
template <class D>
typename D::Bool blocking(const EntryInput<D>& in, unsigned bit) {
  return in.bit(vmcs_field::guest_interruptibility_state, bit);
}
template <class D>
typename D::Bool pae_paging_with_ept(const EntryInput<D>& in) {
  return in.proc2(proc2::enable_ept) && D::any(in[vmcs_field::guest_cr0], cr0::pg) &&
         D::any(in[vmcs_field::guest_cr4], cr4::pae) && !in.ia32e_guest();
}
}  // namespace detail

template <class D>
std::vector<EntryCheck<D>> vm_entry_guest_state_checks() {
  using In = EntryInput<D>;
  using B = typename D::Bool;
  using namespace detail;
  const auto always = nullptr;
  EntryCheckList<D> list{EntryCheckClass::guest_state};
  auto add = [&](std::string id, const char* sdm, const char* rule, auto applies, auto holds, unsigned param = 0,
                 unsigned qualification = 0) { list.add(std::move(id), sdm, rule, applies, holds, param, qualification); };
  auto lower = [](unsigned s) {
    std::string n = kSegmentNames[s];
    for (auto& c : n) c = static_cast<char>(c - 'A' + 'a');
    return n;
  };
  const char* s1 = "SDM Vol. 3C 27.3.1.1";
  const char* s2 = "SDM Vol. 3C 27.3.1.2";

  // ---- 27.3.1.1 control registers, debug registers, MSRs ----
  add("guest.cr0-fixed", "SDM Vol. 3C 27.3.1.1, A.7",
      "the guest CR0 respects IA32_VMX_CR0_FIXED0/FIXED1, PE and PG exempt with \"unrestricted guest\"", always,
      [](const In& in, unsigned) -> B {
        const auto v = in[vmcs_field::guest_cr0];
        return D::ite(in.unrestricted(),
                      fixed_bits_respected<D>(v, in.caps.cr0_fixed0, in.caps.cr0_fixed1, cr0::pe | cr0::pg),
                      fixed_bits_respected<D>(v, in.caps.cr0_fixed0, in.caps.cr0_fixed1));
      });
  add("guest.cr0-pg-needs-pe", s1, "if CR0.PG (bit 31) is 1 in the guest CR0, CR0.PE (bit 0) is 1", always,
      [](const In& in, unsigned) -> B {
        const auto v = in[vmcs_field::guest_cr0];
        return !D::any(v, cr0::pg) || D::any(v, cr0::pe);
      });
  add("guest.cr4-fixed", "SDM Vol. 3C 27.3.1.1, A.8", "the guest CR4 respects IA32_VMX_CR4_FIXED0/FIXED1", always,
      [](const In& in, unsigned) -> B {
        return fixed_bits_respected<D>(in[vmcs_field::guest_cr4], in.caps.cr4_fixed0, in.caps.cr4_fixed1);
      });
  add("guest.cr4-cet-needs-wp", s1, "if CR4.CET (bit 23) is 1 in the guest CR4, CR0.WP (bit 16) is 1", always,
      [](const In& in, unsigned) -> B {
        return !D::any(in[vmcs_field::guest_cr4], cr4::cet) || D::any(in[vmcs_field::guest_cr0], cr0::wp);
      });
  add("guest.debugctl-reserved", s1,
      "with \"load debug controls\", the reserved bits of guest IA32_DEBUGCTL (5:2, 63:16) are 0",
      [](const In& in, unsigned) -> B { return in.entry(entry_ctl::load_debug_controls); },
      [](const In& in, unsigned) -> B {
        return !D::any(in[vmcs_field::guest_ia32_debugctl], bit_range(5, 2) | bit_range(63, 16));
      });
  add("guest.ia32e-cr0-pg", s1, "with \"IA-32e mode guest\" = 1, guest CR0.PG is 1",
      [](const In& in, unsigned) -> B { return in.ia32e_guest(); },
      [](const In& in, unsigned) -> B { return D::any(in[vmcs_field::guest_cr0], cr0::pg); });
  add("guest.ia32e-cr4-pae", s1, "with \"IA-32e mode guest\" = 1, guest CR4.PAE is 1",
      [](const In& in, unsigned) -> B { return in.ia32e_guest(); },
      [](const In& in, unsigned) -> B { return D::any(in[vmcs_field::guest_cr4], cr4::pae); });
  add("guest.non-ia32e-cr4-pcide", s1, "with \"IA-32e mode guest\" = 0, guest CR4.PCIDE is 0",
      [](const In& in, unsigned) -> B { return !in.ia32e_guest(); },
      [](const In& in, unsigned) -> B { return !D::any(in[vmcs_field::guest_cr4], cr4::pcide); });
  add("guest.cr3-width", s1, "the guest CR3 sets no bit in 63:52 nor in 51:32 beyond the physical-address width",
      always, [](const In& in, unsigned) -> B {
        return !D::any(in[vmcs_field::guest_cr3], bit_range(63, in.caps.maxphyaddr));
      });
  add("guest.dr7-upper", s1, "with \"load debug controls\", bits 63:32 of the guest DR7 are 0",
      [](const In& in, unsigned) -> B { return in.entry(entry_ctl::load_debug_controls); },
      [](const In& in, unsigned) -> B { return !D::any(in[vmcs_field::guest_dr7], bit_range(63, 32)); });
  add("guest.sysenter-esp-canonical", s1, "the guest IA32_SYSENTER_ESP is canonical", always,
      [](const In& in, unsigned) -> B {
        return canonical<D>(in[vmcs_field::guest_ia32_sysenter_esp], in.caps.linear_address_bits);
      });
  add("guest.sysenter-eip-canonical", s1, "the guest IA32_SYSENTER_EIP is canonical", always,
      [](const In& in, unsigned) -> B {
        return canonical<D>(in[vmcs_field::guest_ia32_sysenter_eip], in.caps.linear_address_bits);
      });
  add("guest.pat-valid", s1, "with \"load IA32_PAT\" (entry control 14), every byte of guest IA32_PAT is 0, 1 or 4-7",
      [](const In& in, unsigned) -> B { return in.entry(entry_ctl::load_pat); },
      [](const In& in, unsigned) -> B { return pat_valid<D>(in[vmcs_field::guest_ia32_pat]); });
  add("guest.efer-reserved", s1, "with \"load IA32_EFER\" (entry control 15), reserved bits of guest IA32_EFER are 0",
      [](const In& in, unsigned) -> B { return in.entry(entry_ctl::load_efer); },
      [](const In& in, unsigned) -> B { return !D::any(in[vmcs_field::guest_ia32_efer], ~kEferDefined); });
  add("guest.efer-lma", s1, "with \"load IA32_EFER\", guest IA32_EFER.LMA equals \"IA-32e mode guest\"",
      [](const In& in, unsigned) -> B { return in.entry(entry_ctl::load_efer); },
      [](const In& in, unsigned) -> B { return D::any(in[vmcs_field::guest_ia32_efer], efer::lma) == in.ia32e_guest(); });
  add("guest.efer-lme", s1,
      "with \"load IA32_EFER\" and guest CR0.PG = 1, guest IA32_EFER.LME equals \"IA-32e mode guest\"",
      [](const In& in, unsigned) -> B {
        return in.entry(entry_ctl::load_efer) && D::any(in[vmcs_field::guest_cr0], cr0::pg);
      },
      [](const In& in, unsigned) -> B { return D::any(in[vmcs_field::guest_ia32_efer], efer::lme) == in.ia32e_guest(); });
  add("guest.pkrs-reserved", s1, "with \"load PKRS\" (entry control 22), bits 63:32 of guest IA32_PKRS are 0",
      [](const In& in, unsigned) -> B { return in.entry(entry_ctl::load_pkrs); },
      [](const In& in, unsigned) -> B { return !D::any(in[vmcs_field::guest_ia32_pkrs], bit_range(63, 32)); });

  // ---- 27.3.1.2 segment registers: selectors ----
  add("guest.tr-selector-ti", s2, "the TI flag (bit 2) of the guest TR selector is 0", always,
      [](const In& in, unsigned) -> B { return !D::any(in[vmcs_field::guest_tr_selector], bit_at(2)); });
  add("guest.ldtr-selector-ti", s2, "if LDTR is usable, the TI flag of its selector is 0",
      [](const In& in, unsigned) -> B { return usable(in, ldtr); },
      [](const In& in, unsigned) -> B { return !D::any(in[vmcs_field::guest_ldtr_selector], bit_at(2)); });
  add("guest.ss-rpl-equals-cs-rpl", s2,
      "outside virtual-8086 mode and without \"unrestricted guest\", SS.RPL equals CS.RPL",
      [](const In& in, unsigned) -> B { return !v86(in) && !in.unrestricted(); },
      [](const In& in, unsigned) -> B { return rpl(in, ss) == rpl(in, cs); });
  // ---- virtual-8086 mode: base, limit, access rights of CS, SS, DS, ES, FS, GS ----
  for (unsigned s : {cs, ss, ds, es, fs, gs}) {
    add("guest." + lower(s) + "-v86-base", s2, "in virtual-8086 mode, the segment base is the selector shifted left 4",
        [](const In& in, unsigned) -> B { return v86(in); },
        [](const In& in, unsigned seg) -> B { return in[guest_base(seg)] == D::shift_left(in[guest_selector(seg)], 4); },
        s);
    add("guest." + lower(s) + "-v86-limit", s2, "in virtual-8086 mode, the segment limit is 0000FFFFH",
        [](const In& in, unsigned) -> B { return v86(in); },
        [](const In& in, unsigned seg) -> B { return in[guest_limit(seg)] == D::word(0xffff); }, s);
    add("guest." + lower(s) + "-v86-access-rights", s2, "in virtual-8086 mode, the access rights are 000000F3H",
        [](const In& in, unsigned) -> B { return v86(in); },
        [](const In& in, unsigned seg) -> B { return ar(in, seg) == D::word(0xf3); }, s);
  }
  // ---- base addresses ----
  for (unsigned s : {tr, fs, gs})
    add("guest." + lower(s) + "-base-canonical", s2, "the TR, FS and GS base addresses are canonical", always,
        [](const In& in, unsigned seg) -> B { return canonical<D>(in[guest_base(seg)], in.caps.linear_address_bits); },
        s);
  add("guest.ldtr-base-canonical", s2, "if LDTR is usable, its base address is canonical",
      [](const In& in, unsigned) -> B { return usable(in, ldtr); },
      [](const In& in, unsigned) -> B {
        return canonical<D>(in[vmcs_field::guest_ldtr_base], in.caps.linear_address_bits);
      });
  add("guest.cs-base-upper", s2, "bits 63:32 of the CS base address are 0", always,
      [](const In& in, unsigned) -> B { return !D::any(in[vmcs_field::guest_cs_base], bit_range(63, 32)); });
  for (unsigned s : {ss, ds, es})
    add("guest." + lower(s) + "-base-upper", s2, "if SS, DS or ES is usable, bits 63:32 of its base address are 0",
        [](const In& in, unsigned seg) -> B { return usable(in, seg); },
        [](const In& in, unsigned seg) -> B { return !D::any(in[guest_base(seg)], bit_range(63, 32)); }, s);
  // ---- access rights outside virtual-8086 mode ----
  add("guest.cs-type", s2,
      "CS type is 9, 11, 13 or 15 (accessed code), or 3 (accessed read/write data) with \"unrestricted guest\"",
      [](const In& in, unsigned) -> B { return !v86(in); },
      [](const In& in, unsigned) -> B {
        const auto t = seg_type(in, cs);
        return t == D::word(9) || t == D::word(11) || t == D::word(13) || t == D::word(15) ||
               (in.unrestricted() && t == D::word(3));
      });
  add("guest.ss-type", s2, "if SS is usable, its type is 3 or 7 (read/write, accessed)",
      [](const In& in, unsigned) -> B { return !v86(in) && usable(in, ss); },
      [](const In& in, unsigned) -> B {
        const auto t = seg_type(in, ss);
        return t == D::word(3) || t == D::word(7);
      });
  for (unsigned s : {ds, es, fs, gs}) {
    add("guest." + lower(s) + "-type-accessed", s2, "if DS, ES, FS or GS is usable, bit 0 of its type (accessed) is 1",
        [](const In& in, unsigned seg) -> B { return ar_checked(in, seg); },
        [](const In& in, unsigned seg) -> B { return D::bit(ar(in, seg), 0); }, s);
    add("guest." + lower(s) + "-type-readable-code", s2,
        "if DS, ES, FS or GS is usable and its type is code (bit 3), it is readable (bit 1)",
        [](const In& in, unsigned seg) -> B { return ar_checked(in, seg) && D::bit(ar(in, seg), 3); },
        [](const In& in, unsigned seg) -> B { return D::bit(ar(in, seg), 1); }, s);
  }
  for (unsigned s : {cs, ss, ds, es, fs, gs}) {
    add("guest." + lower(s) + "-s-flag", s2, "CS and every usable SS, DS, ES, FS, GS have S = 1 (code or data)",
        [](const In& in, unsigned seg) -> B { return ar_checked(in, seg); },
        [](const In& in, unsigned seg) -> B { return D::bit(ar(in, seg), access_rights::s_flag); }, s);
    add("guest." + lower(s) + "-present", s2, "CS and every usable SS, DS, ES, FS, GS have P = 1",
        [](const In& in, unsigned seg) -> B { return ar_checked(in, seg); },
        [](const In& in, unsigned seg) -> B { return D::bit(ar(in, seg), access_rights::present); }, s);
    add("guest." + lower(s) + "-access-rights-reserved", s2,
        "CS and every usable SS, DS, ES, FS, GS have access-rights bits 11:8 and 31:17 clear",
        [](const In& in, unsigned seg) -> B { return ar_checked(in, seg); },
        [](const In& in, unsigned seg) -> B { return !D::any(ar(in, seg), access_rights::reserved); }, s);
  }
  add("guest.cs-dpl", s2,
      "CS type 3: DPL 0; type 9 or 11 (non-conforming): DPL equals SS.DPL; type 13 or 15 (conforming): DPL at "
      "most SS.DPL",
      [](const In& in, unsigned) -> B { return !v86(in); },
      [](const In& in, unsigned) -> B {
        const auto t = seg_type(in, cs);
        const auto d = dpl(in, cs);
        return D::ite(t == D::word(3), d == D::word(0),
                      D::ite(t == D::word(9) || t == D::word(11), d == dpl(in, ss),
                             D::ite(t == D::word(13) || t == D::word(15), small_le<D>(d, dpl(in, ss)),
                                    D::truth(true))));
      });
  add("guest.ss-dpl-equals-rpl", s2, "without \"unrestricted guest\", SS.DPL equals SS.RPL",
      [](const In& in, unsigned) -> B { return !v86(in) && !in.unrestricted(); },
      [](const In& in, unsigned) -> B { return dpl(in, ss) == rpl(in, ss); });
  add("guest.ss-dpl-zero", s2, "SS.DPL is 0 if the CS type is 3 or guest CR0.PE is 0",
      [](const In& in, unsigned) -> B {
        return !v86(in) && (seg_type(in, cs) == D::word(3) || !D::any(in[vmcs_field::guest_cr0], cr0::pe));
      },
      [](const In& in, unsigned) -> B { return dpl(in, ss) == D::word(0); });
  for (unsigned s : {ds, es, fs, gs})
    add("guest." + lower(s) + "-dpl-rpl", s2,
        "without \"unrestricted guest\", a usable DS, ES, FS or GS of type 0-11 has DPL >= RPL",
        [](const In& in, unsigned seg) -> B {
          return ar_checked(in, seg) && !in.unrestricted() && small_le<D>(seg_type(in, seg), D::word(11));
        },
        [](const In& in, unsigned seg) -> B { return small_le<D>(rpl(in, seg), dpl(in, seg)); }, s);
  add("guest.cs-l-and-db", s2, "with \"IA-32e mode guest\" = 1 and CS.L = 1, CS.D/B is 0",
      [](const In& in, unsigned) -> B { return !v86(in) && in.ia32e_guest() && D::bit(ar(in, cs), access_rights::l); },
      [](const In& in, unsigned) -> B { return !D::bit(ar(in, cs), access_rights::db); });
  for (unsigned s : {cs, ss, ds, es, fs, gs, ldtr, tr})
    add("guest." + lower(s) + "-granularity", s2,
        "if any of limit bits 11:0 is 0, G is 0; if any of limit bits 31:20 is 1, G is 1 (CS, TR, usable others)",
        [](const In& in, unsigned seg) -> B {
          return seg == tr ? D::truth(true) : seg == ldtr ? usable(in, seg) : ar_checked(in, seg);
        },
        [](const In& in, unsigned seg) -> B {
          const auto lim = in[guest_limit(seg)];
          const auto g = D::bit(ar(in, seg), access_rights::g);
          return (D::field(lim, 11, 0) == D::word(0xfff) || !g) && (!D::any(lim, bit_range(31, 20)) || g);
        },
        s);
  // ---- TR and LDTR ----
  add("guest.tr-type", s2, "TR type is 11 (busy 64-bit TSS) with \"IA-32e mode guest\", else 3 or 11", always,
      [](const In& in, unsigned) -> B {
        const auto t = seg_type(in, tr);
        return t == D::word(11) || (!in.ia32e_guest() && t == D::word(3));
      });
  add("guest.tr-s-flag", s2, "TR has S = 0 (system)", always,
      [](const In& in, unsigned) -> B { return !D::bit(ar(in, tr), access_rights::s_flag); });
  add("guest.tr-present", s2, "TR has P = 1", always,
      [](const In& in, unsigned) -> B { return D::bit(ar(in, tr), access_rights::present); });
  add("guest.tr-access-rights-reserved", s2, "TR has access-rights bits 11:8 and 31:17 clear", always,
      [](const In& in, unsigned) -> B { return !D::any(ar(in, tr), access_rights::reserved); });
  add("guest.tr-usable", s2, "TR is usable (access-rights bit 16 is 0)", always,
      [](const In& in, unsigned) -> B { return usable(in, tr); });
  add("guest.ldtr-type", s2, "a usable LDTR has type 2 (LDT)",
      [](const In& in, unsigned) -> B { return usable(in, ldtr); },
      [](const In& in, unsigned) -> B { return seg_type(in, ldtr) == D::word(2); });
  add("guest.ldtr-s-flag", s2, "a usable LDTR has S = 0", [](const In& in, unsigned) -> B { return usable(in, ldtr); },
      [](const In& in, unsigned) -> B { return !D::bit(ar(in, ldtr), access_rights::s_flag); });
  add("guest.ldtr-present", s2, "a usable LDTR has P = 1", [](const In& in, unsigned) -> B { return usable(in, ldtr); },
      [](const In& in, unsigned) -> B { return D::bit(ar(in, ldtr), access_rights::present); });
  add("guest.ldtr-access-rights-reserved", s2, "a usable LDTR has access-rights bits 11:8 and 31:17 clear",
      [](const In& in, unsigned) -> B { return usable(in, ldtr); },
      [](const In& in, unsigned) -> B { return !D::any(ar(in, ldtr), access_rights::reserved); });

  // ---- 27.3.1.3 descriptor-table registers ----
  for (auto [id, base] : {std::pair{"guest.gdtr-base-canonical", vmcs_field::guest_gdtr_base},
                          std::pair{"guest.idtr-base-canonical", vmcs_field::guest_idtr_base}})
    add(id, "SDM Vol. 3C 27.3.1.3", "the GDTR and IDTR base addresses are canonical", always,
        [](const In& in, unsigned f) -> B { return canonical<D>(in[f], in.caps.linear_address_bits); }, base);
  for (auto [id, limit] : {std::pair{"guest.gdtr-limit-upper", vmcs_field::guest_gdtr_limit},
                           std::pair{"guest.idtr-limit-upper", vmcs_field::guest_idtr_limit}})
    add(id, "SDM Vol. 3C 27.3.1.3", "bits 31:16 of the GDTR and IDTR limits are 0", always,
        [](const In& in, unsigned f) -> B { return !D::any(in[f], bit_range(31, 16)); }, limit);

  // ---- 27.3.1.4 RIP and RFLAGS ----
  add("guest.rip-upper", "SDM Vol. 3C 27.3.1.4",
      "with \"IA-32e mode guest\" = 0 or CS.L = 0, bits 63:32 of the guest RIP are 0",
      [](const In& in, unsigned) -> B { return !in.ia32e_guest() || !D::bit(ar(in, cs), access_rights::l); },
      [](const In& in, unsigned) -> B { return !D::any(in[vmcs_field::guest_rip], bit_range(63, 32)); });
  add("guest.rip-linear-width", "SDM Vol. 3C 27.3.1.4",
      "with \"IA-32e mode guest\" = 1 and CS.L = 1, bits 63:N of the guest RIP are identical (N linear-address bits)",
      [](const In& in, unsigned) -> B { return in.ia32e_guest() && D::bit(ar(in, cs), access_rights::l); },
      [](const In& in, unsigned) -> B {
        return canonical<D>(in[vmcs_field::guest_rip], in.caps.linear_address_bits + 1);
      });
  add("guest.rflags-reserved", "SDM Vol. 3C 27.3.1.4",
      "guest RFLAGS bits 63:22, 15, 5 and 3 are 0 and bit 1 is 1", always,
      [](const In& in, unsigned) -> B {
        const auto f = in[vmcs_field::guest_rflags];
        return !D::any(f, rflags_bits::reserved_zero) && D::any(f, rflags_bits::reserved_one);
      });
  add("guest.rflags-vm", "SDM Vol. 3C 27.3.1.4",
      "with \"IA-32e mode guest\" = 1 or guest CR0.PE = 0, RFLAGS.VM is 0",
      [](const In& in, unsigned) -> B { return in.ia32e_guest() || !D::any(in[vmcs_field::guest_cr0], cr0::pe); },
      [](const In& in, unsigned) -> B { return !v86(in); });
  add("guest.rflags-if-for-external-interrupt", "SDM Vol. 3C 27.3.1.4",
      "when injecting an external interrupt (type 0), RFLAGS.IF is 1",
      [](const In& in, unsigned) -> B { return injecting(in, interruption::type_external); },
      [](const In& in, unsigned) -> B { return in.bit(vmcs_field::guest_rflags, rflags_bits::if_); });

  // ---- 27.3.1.5 non-register state ----
  const char* s5 = "SDM Vol. 3C 27.3.1.5";
  add("guest.activity-state-value", s5, "the activity state is 0-3 (active, HLT, shutdown, wait-for-SIPI)", always,
      [](const In& in, unsigned) -> B { return small_le<D>(activity_state(in), D::word(3)); });
  add("guest.activity-state-supported", "SDM Vol. 3C 27.3.1.5, A.6",
      "a non-active activity state is one IA32_VMX_MISC bits 8:6 report as supported", always,
      [](const In& in, unsigned) -> B {
        const auto a = activity_state(in);
        return (a != D::word(activity::hlt) || D::truth(in.caps.misc_bit(misc_bits::activity_hlt))) &&
               (a != D::word(activity::shutdown) || D::truth(in.caps.misc_bit(misc_bits::activity_shutdown))) &&
               (a != D::word(activity::wait_for_sipi) || D::truth(in.caps.misc_bit(misc_bits::activity_wait_for_sipi)));
      });
  add("guest.activity-hlt-ss-dpl", s5, "in the HLT activity state, SS.DPL is 0",
      [](const In& in, unsigned) -> B { return activity_state(in) == D::word(activity::hlt); },
      [](const In& in, unsigned) -> B { return dpl(in, ss) == D::word(0); });
  add("guest.activity-blocking", s5, "with blocking by STI or by MOV SS, the activity state is active",
      [](const In& in, unsigned) -> B {
        return blocking(in, interruptibility::sti) || blocking(in, interruptibility::mov_ss);
      },
      [](const In& in, unsigned) -> B { return activity_state(in) == D::word(activity::active); });
  add("guest.activity-injection", s5,
      "an injected event is allowed in the activity state: HLT: external interrupt, NMI, #DB, #MC or MTF; shutdown: "
      "NMI or #MC; wait-for-SIPI: none",
      [](const In& in, unsigned) -> B {
        return interruption_valid(in) && activity_state(in) != D::word(activity::active);
      },
      [](const In& in, unsigned) -> B {
        const auto a = activity_state(in);
        const auto t = interruption_type(in);
        const auto v = interruption_vector(in);
        const auto hw = t == D::word(interruption::type_hardware_exception);
        const B in_hlt = t == D::word(interruption::type_external) || t == D::word(interruption::type_nmi) ||
                         (hw && (v == D::word(1) || v == D::word(18))) ||
                         (t == D::word(interruption::type_other) && v == D::word(0));
        const B in_shutdown = t == D::word(interruption::type_nmi) || (hw && v == D::word(18));
        return D::ite(a == D::word(activity::hlt), in_hlt,
                      D::ite(a == D::word(activity::shutdown), in_shutdown, D::truth(false)));
      });
  add("guest.interruptibility-reserved", s5, "bits 31:5 of the interruptibility state are 0", always,
      [](const In& in, unsigned) -> B {
        return !D::any(in[vmcs_field::guest_interruptibility_state], bit_range(31, 5));
      });
  add("guest.sti-and-mov-ss", s5, "blocking by STI and blocking by MOV SS are not both 1", always,
      [](const In& in, unsigned) -> B {
        return !(blocking(in, interruptibility::sti) && blocking(in, interruptibility::mov_ss));
      });
  add("guest.sti-needs-if", s5, "with RFLAGS.IF = 0, blocking by STI is 0",
      [](const In& in, unsigned) -> B { return !in.bit(vmcs_field::guest_rflags, rflags_bits::if_); },
      [](const In& in, unsigned) -> B { return !blocking(in, interruptibility::sti); });
  add("guest.external-interrupt-blocking", s5,
      "when injecting an external interrupt, blocking by STI and by MOV SS are 0",
      [](const In& in, unsigned) -> B { return injecting(in, interruption::type_external); },
      [](const In& in, unsigned) -> B {
        return !blocking(in, interruptibility::sti) && !blocking(in, interruptibility::mov_ss);
      });
  add("guest.nmi-mov-ss-blocking", s5, "when injecting an NMI, blocking by MOV SS is 0",
      [](const In& in, unsigned) -> B { return injecting(in, interruption::type_nmi); },
      [](const In& in, unsigned) -> B { return !blocking(in, interruptibility::mov_ss); });
  add("guest.nmi-sti-blocking", "SDM Vol. 3C 27.3.1.5, 27.8",
      "when injecting an NMI, blocking by STI is 0 (exit qualification 3)",
      [](const In& in, unsigned) -> B { return injecting(in, interruption::type_nmi); },
      [](const In& in, unsigned) -> B { return !blocking(in, interruptibility::sti); }, 0, 3);
  add("guest.smi-blocking-outside-smm", s5, "outside SMM (and not entering SMM), blocking by SMI is 0", always,
      [](const In& in, unsigned) -> B { return !blocking(in, interruptibility::smi); });
  add("guest.virtual-nmi-injection", s5,
      "with \"virtual NMIs\" = 1, when injecting an NMI, blocking by NMI is 0",
      [](const In& in, unsigned) -> B { return in.pin(pin::virtual_nmis) && injecting(in, interruption::type_nmi); },
      [](const In& in, unsigned) -> B { return !blocking(in, interruptibility::nmi); });
  add("guest.pending-debug-reserved", s5,
      "bits 11:4, 13, 15 and 63:17 of the pending debug exceptions are 0", always,
      [](const In& in, unsigned) -> B {
        return !D::any(in[vmcs_field::guest_pending_debug_exceptions],
                       bit_range(11, 4) | bit_at(13) | bit_at(15) | bit_range(63, 17));
      });
  add("guest.pending-debug-bs-set", s5,
      "with blocking by STI or MOV SS, or in HLT: pending BS (bit 14) is 1 if RFLAGS.TF = 1 and IA32_DEBUGCTL.BTF = 0",
      [](const In& in, unsigned) -> B {
        return (blocking(in, interruptibility::sti) || blocking(in, interruptibility::mov_ss) ||
                activity_state(in) == D::word(activity::hlt)) &&
               in.bit(vmcs_field::guest_rflags, rflags_bits::tf) && !in.bit(vmcs_field::guest_ia32_debugctl, 1);
      },
      [](const In& in, unsigned) -> B { return in.bit(vmcs_field::guest_pending_debug_exceptions, 14); });
  add("guest.pending-debug-bs-clear", s5,
      "with blocking by STI or MOV SS, or in HLT: pending BS is 0 if RFLAGS.TF = 0 or IA32_DEBUGCTL.BTF = 1",
      [](const In& in, unsigned) -> B {
        return (blocking(in, interruptibility::sti) || blocking(in, interruptibility::mov_ss) ||
                activity_state(in) == D::word(activity::hlt)) &&
               (!in.bit(vmcs_field::guest_rflags, rflags_bits::tf) || in.bit(vmcs_field::guest_ia32_debugctl, 1));
      },
      [](const In& in, unsigned) -> B { return !in.bit(vmcs_field::guest_pending_debug_exceptions, 14); });
  add("guest.pending-debug-rtm", s5,
      "with pending RTM (bit 16) = 1, bits 11:0, 15:13 and 63:17 are 0 and bit 12 is 1",
      [](const In& in, unsigned) -> B { return in.bit(vmcs_field::guest_pending_debug_exceptions, 16); },
      [](const In& in, unsigned) -> B {
        const auto p = in[vmcs_field::guest_pending_debug_exceptions];
        return !D::any(p, bit_range(11, 0) | bit_range(15, 13) | bit_range(63, 17)) && D::bit(p, 12);
      });
  add("guest.vmcs-link-pointer", "SDM Vol. 3C 27.3.1.5, 27.8",
      "a VMCS link pointer other than FFFFFFFF_FFFFFFFFH is 4-KByte aligned and within the physical-address width "
      "(exit qualification 4)",
      [](const In& in, unsigned) -> B { return in[vmcs_field::vmcs_link_pointer] != D::word(~std::uint64_t{0}); },
      [](const In& in, unsigned) -> B {
        return physical_address_ok<D>(in[vmcs_field::vmcs_link_pointer], 12, in.caps.maxphyaddr);
      },
      0, 4);

  // ---- 27.3.1.6 PDPTEs with EPT ----
  for (unsigned i = 0; i < 4; ++i)
    add("guest.pdpte" + std::to_string(i) + "-reserved", "SDM Vol. 3C 27.3.1.6, Vol. 3A 4.4.1",
        "with \"enable EPT\", guest CR0.PG = 1, CR4.PAE = 1 and \"IA-32e mode guest\" = 0: a present PDPTE has bits "
        "2:1, 8:5 and those beyond the physical-address width clear (exit qualification 2)",
        [](const In& in, unsigned n) -> B {
          return pae_paging_with_ept(in) && in.bit(vmcs_field::guest_pdpte0 + 2 * n, 0);
        },
        [](const In& in, unsigned n) -> B {
          return !D::any(in[vmcs_field::guest_pdpte0 + 2 * n],
                         bit_range(2, 1) | bit_range(8, 5) | bit_range(63, in.caps.maxphyaddr));
        },
        i, 2);
  return list.rows;
}

}  // namespace vtspec::spec::vmx
