// The rest of the independent transcription (vm_entry_rules.hpp): SDM Vol. 3C 27.3.1.2
// (segment registers), 27.3.1.3 (GDTR, IDTR), 27.3.1.4 (RIP, RFLAGS), 27.3.1.5
// (non-register state), 27.3.1.6 (PDPTEs with EPT) and 27.4 (MSR-load entries). Each
// segment's fields are at Appendix B's encodings: selector 0800H + 2n, limit 4800H + 2n,
// access rights 4814H + 2n, base 6806H + 2n, n = 0..7 for ES, CS, SS, DS, FS, GS, LDTR, TR.
#pragma once

#include "checker/declarative/vm_entry_rules.hpp"

namespace vtspec::checker::declarative {

template <class D>
std::vector<EntryRule<D>> vm_entry_guest_rules() {
  using F = EntryFacts<D>;
  using B = typename D::Bool;
  using W = typename D::Word;
  using namespace entry_detail;
  namespace v = spec::vmx::vmcs_field;
  std::vector<EntryRule<D>> r;
  auto rule = [&](std::string id, std::function<B(const F&)> violated) { r.push_back({std::move(id), violated}); };
  const char* names[] = {"es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr"};
  enum { ES, CS, SS, DS, FS, GS, LDTR, TR };
  auto sel = [](const F& f, unsigned n) { return f.field(0x0800 + 2 * n); };
  auto lim = [](const F& f, unsigned n) { return f.field(0x4800 + 2 * n); };
  auto ar = [](const F& f, unsigned n) { return f.field(0x4814 + 2 * n); };
  auto base = [](const F& f, unsigned n) { return f.field(0x6806 + 2 * n); };
  auto type = [=](const F& f, unsigned n) { return D::field(ar(f, n), 3, 0); };
  auto dpl = [=](const F& f, unsigned n) { return D::field(ar(f, n), 6, 5); };
  auto rpl = [=](const F& f, unsigned n) { return D::field(sel(f, n), 1, 0); };
  auto unusable = [=](const F& f, unsigned n) { return D::bit(ar(f, n), 16); };
  auto v86 = [](const F& f) { return f.bit(v::guest_rflags, 17); };
  auto ia32e = [](const F& f) { return f.bit(v::vm_entry_controls, 9); };
  auto unrestricted = [](const F& f) {
    return f.bit(v::primary_processor_based_controls, 31) && f.bit(v::secondary_processor_based_controls, 7);
  };
  auto is = [](const W& w, std::initializer_list<std::uint64_t> values) {
    B any = D::truth(false);
    for (auto x : values) any = any || w == D::word(x);
    return any;
  };
  // The access rights of CS, and of SS, DS, ES, FS, GS when usable, are checked outside
  // virtual-8086 mode.
  auto checked = [=](const F& f, unsigned n) { return !v86(f) && (n == CS ? D::truth(true) : !unusable(f, n)); };

  // ---- selectors ----
  rule("guest.tr-selector-ti", [=](const F& f) { return D::bit(sel(f, TR), 2); });
  rule("guest.ldtr-selector-ti", [=](const F& f) { return !unusable(f, LDTR) && D::bit(sel(f, LDTR), 2); });
  rule("guest.ss-rpl-equals-cs-rpl", [=](const F& f) {
    return !v86(f) && !unrestricted(f) && rpl(f, SS) != rpl(f, CS);
  });
  // ---- virtual-8086 mode ----
  for (unsigned n : {CS, SS, DS, ES, FS, GS}) {
    const std::string s = std::string("guest.") + names[n];
    rule(s + "-v86-base", [=](const F& f) { return v86(f) && base(f, n) != sel(f, n) * D::word(16); });
    rule(s + "-v86-limit", [=](const F& f) { return v86(f) && lim(f, n) != D::word(0xffff); });
    rule(s + "-v86-access-rights", [=](const F& f) { return v86(f) && ar(f, n) != D::word(0xf3); });
  }
  // ---- bases ----
  for (unsigned n : {TR, FS, GS})
    rule(std::string("guest.") + names[n] + "-base-canonical",
         [=](const F& f) { return !canonical<D>(base(f, n), f.caps.linear_address_bits); });
  rule("guest.ldtr-base-canonical", [=](const F& f) {
    return !unusable(f, LDTR) && !canonical<D>(base(f, LDTR), f.caps.linear_address_bits);
  });
  rule("guest.cs-base-upper", [=](const F& f) { return D::shift_right(base(f, CS), 32) != D::word(0); });
  for (unsigned n : {SS, DS, ES})
    rule(std::string("guest.") + names[n] + "-base-upper",
         [=](const F& f) { return !unusable(f, n) && D::shift_right(base(f, n), 32) != D::word(0); });
  // ---- access rights ----
  rule("guest.cs-type", [=](const F& f) {
    return !v86(f) && !is(type(f, CS), {9, 11, 13, 15}) && !(unrestricted(f) && type(f, CS) == D::word(3));
  });
  rule("guest.ss-type", [=](const F& f) { return checked(f, SS) && !is(type(f, SS), {3, 7}); });
  for (unsigned n : {DS, ES, FS, GS}) {
    const std::string s = std::string("guest.") + names[n];
    rule(s + "-type-accessed", [=](const F& f) { return checked(f, n) && !D::bit(ar(f, n), 0); });
    rule(s + "-type-readable-code",
         [=](const F& f) { return checked(f, n) && D::bit(ar(f, n), 3) && !D::bit(ar(f, n), 1); });
    rule(s + "-dpl-rpl", [=](const F& f) {
      // DPL < RPL: DPL - RPL borrows.
      return checked(f, n) && !unrestricted(f) && at_most<D>(type(f, n), 11) && D::bit(dpl(f, n) - rpl(f, n), 63);
    });
  }
  for (unsigned n : {CS, SS, DS, ES, FS, GS}) {
    const std::string s = std::string("guest.") + names[n];
    rule(s + "-s-flag", [=](const F& f) { return checked(f, n) && !D::bit(ar(f, n), 4); });
    rule(s + "-present", [=](const F& f) { return checked(f, n) && !D::bit(ar(f, n), 7); });
    rule(s + "-access-rights-reserved", [=](const F& f) {
      return checked(f, n) && (D::field(ar(f, n), 11, 8) != D::word(0) || D::shift_right(ar(f, n), 17) != D::word(0));
    });
  }
  rule("guest.cs-dpl", [=](const F& f) {
    const auto t = type(f, CS);
    const B bad3 = t == D::word(3) && dpl(f, CS) != D::word(0);
    const B bad_nonconforming = is(t, {9, 11}) && dpl(f, CS) != dpl(f, SS);
    const B bad_conforming = is(t, {13, 15}) && D::bit(dpl(f, SS) - dpl(f, CS), 63);  // DPL > SS.DPL
    return !v86(f) && (bad3 || bad_nonconforming || bad_conforming);
  });
  rule("guest.ss-dpl-equals-rpl", [=](const F& f) { return !v86(f) && !unrestricted(f) && dpl(f, SS) != rpl(f, SS); });
  rule("guest.ss-dpl-zero", [=](const F& f) {
    return !v86(f) && (type(f, CS) == D::word(3) || !f.bit(v::guest_cr0, 0)) && dpl(f, SS) != D::word(0);
  });
  rule("guest.cs-l-and-db", [=](const F& f) {
    return !v86(f) && ia32e(f) && D::bit(ar(f, CS), 13) && D::bit(ar(f, CS), 14);
  });
  for (unsigned n : {CS, SS, DS, ES, FS, GS, LDTR, TR})
    rule(std::string("guest.") + names[n] + "-granularity", [=](const F& f) {
      const B applies = n == TR ? D::truth(true) : n == LDTR ? !unusable(f, n) : checked(f, n);
      const B g = D::bit(ar(f, n), 15);
      const B low_not_all_ones = D::field(lim(f, n), 11, 0) != D::word(0xfff);
      const B high_some_one = D::field(lim(f, n), 31, 20) != D::word(0);
      return applies && ((low_not_all_ones && g) || (high_some_one && !g));
    });
  rule("guest.tr-type", [=](const F& f) {
    return D::ite(ia32e(f), type(f, TR) != D::word(11), !is(type(f, TR), {3, 11}));
  });
  rule("guest.tr-s-flag", [=](const F& f) { return D::bit(ar(f, TR), 4); });
  rule("guest.tr-present", [=](const F& f) { return !D::bit(ar(f, TR), 7); });
  rule("guest.tr-access-rights-reserved", [=](const F& f) {
    return D::field(ar(f, TR), 11, 8) != D::word(0) || D::shift_right(ar(f, TR), 17) != D::word(0);
  });
  rule("guest.tr-usable", [=](const F& f) { return unusable(f, TR); });
  rule("guest.ldtr-type", [=](const F& f) { return !unusable(f, LDTR) && type(f, LDTR) != D::word(2); });
  rule("guest.ldtr-s-flag", [=](const F& f) { return !unusable(f, LDTR) && D::bit(ar(f, LDTR), 4); });
  rule("guest.ldtr-present", [=](const F& f) { return !unusable(f, LDTR) && !D::bit(ar(f, LDTR), 7); });
  rule("guest.ldtr-access-rights-reserved", [=](const F& f) {
    return !unusable(f, LDTR) &&
           (D::field(ar(f, LDTR), 11, 8) != D::word(0) || D::shift_right(ar(f, LDTR), 17) != D::word(0));
  });
  // ---- 27.3.1.3 ----
  rule("guest.gdtr-base-canonical", [](const F& f) { return !canonical<D>(f.field(v::guest_gdtr_base), f.caps.linear_address_bits); });
  rule("guest.idtr-base-canonical", [](const F& f) { return !canonical<D>(f.field(v::guest_idtr_base), f.caps.linear_address_bits); });
  rule("guest.gdtr-limit-upper", [](const F& f) { return D::shift_right(f.field(v::guest_gdtr_limit), 16) != D::word(0); });
  rule("guest.idtr-limit-upper", [](const F& f) { return D::shift_right(f.field(v::guest_idtr_limit), 16) != D::word(0); });
  // ---- 27.3.1.4 ----
  rule("guest.rip-upper", [=](const F& f) {
    return (!ia32e(f) || !D::bit(ar(f, CS), 13)) && D::shift_right(f.field(v::guest_rip), 32) != D::word(0);
  });
  rule("guest.rip-linear-width", [=](const F& f) {
    // bits 63:N identical, N = the linear-address width
    const auto top = D::shift_right(f.field(v::guest_rip), f.caps.linear_address_bits);
    return ia32e(f) && D::bit(ar(f, CS), 13) && top != D::word(0) &&
           top != D::word(~std::uint64_t{0} >> f.caps.linear_address_bits);
  });
  rule("guest.rflags-reserved", [](const F& f) {
    const auto fl = f.field(v::guest_rflags);
    return D::shift_right(fl, 22) != D::word(0) || D::bit(fl, 15) || D::bit(fl, 5) || D::bit(fl, 3) || !D::bit(fl, 1);
  });
  rule("guest.rflags-vm", [=](const F& f) { return (ia32e(f) || !f.bit(v::guest_cr0, 0)) && v86(f); });
  const auto valid = [](const F& f) { return f.bit(v::vm_entry_interruption_information, 31); };
  const auto itype = [](const F& f) { return f.bits(v::vm_entry_interruption_information, 10, 8); };
  const auto ivec = [](const F& f) { return f.bits(v::vm_entry_interruption_information, 7, 0); };
  rule("guest.rflags-if-for-external-interrupt", [=](const F& f) {
    return valid(f) && itype(f) == D::word(0) && !f.bit(v::guest_rflags, 9);
  });
  // ---- 27.3.1.5 ----
  const auto act = [](const F& f) { return f.field(v::guest_activity_state); };
  const auto sti = [](const F& f) { return f.bit(v::guest_interruptibility_state, 0); };
  const auto movss = [](const F& f) { return f.bit(v::guest_interruptibility_state, 1); };
  rule("guest.activity-state-value", [=](const F& f) { return !is(act(f), {0, 1, 2, 3}); });
  rule("guest.activity-state-supported", [=](const F& f) {
    const auto m = f.caps.misc;
    return (act(f) == D::word(1) && D::truth(!((m >> 6) & 1))) || (act(f) == D::word(2) && D::truth(!((m >> 7) & 1))) ||
           (act(f) == D::word(3) && D::truth(!((m >> 8) & 1)));
  });
  rule("guest.activity-hlt-ss-dpl", [=](const F& f) { return act(f) == D::word(1) && dpl(f, SS) != D::word(0); });
  rule("guest.activity-blocking", [=](const F& f) { return (sti(f) || movss(f)) && act(f) != D::word(0); });
  rule("guest.activity-injection", [=](const F& f) {
    const B hlt_ok = itype(f) == D::word(0) || itype(f) == D::word(2) ||
                     (itype(f) == D::word(3) && is(ivec(f), {1, 18})) || (itype(f) == D::word(7) && ivec(f) == D::word(0));
    const B shutdown_ok = itype(f) == D::word(2) || (itype(f) == D::word(3) && ivec(f) == D::word(18));
    return valid(f) && ((act(f) == D::word(1) && !hlt_ok) || (act(f) == D::word(2) && !shutdown_ok) ||
                        (!is(act(f), {0, 1, 2})));
  });
  rule("guest.interruptibility-reserved", [](const F& f) {
    return D::shift_right(f.field(v::guest_interruptibility_state), 5) != D::word(0);
  });
  rule("guest.sti-and-mov-ss", [=](const F& f) { return sti(f) && movss(f); });
  rule("guest.sti-needs-if", [=](const F& f) { return !f.bit(v::guest_rflags, 9) && sti(f); });
  rule("guest.external-interrupt-blocking", [=](const F& f) { return valid(f) && itype(f) == D::word(0) && (sti(f) || movss(f)); });
  rule("guest.nmi-mov-ss-blocking", [=](const F& f) { return valid(f) && itype(f) == D::word(2) && movss(f); });
  rule("guest.nmi-sti-blocking", [=](const F& f) { return valid(f) && itype(f) == D::word(2) && sti(f); });
  rule("guest.smi-blocking-outside-smm", [](const F& f) { return f.bit(v::guest_interruptibility_state, 2); });
  rule("guest.virtual-nmi-injection", [=](const F& f) {
    return f.bit(v::pin_based_controls, 5) && valid(f) && itype(f) == D::word(2) && f.bit(v::guest_interruptibility_state, 3);
  });
  const auto pend = [](const F& f) { return f.field(v::guest_pending_debug_exceptions); };
  rule("guest.pending-debug-reserved", [=](const F& f) {
    return D::field(pend(f), 11, 4) != D::word(0) || D::bit(pend(f), 13) || D::bit(pend(f), 15) ||
           D::shift_right(pend(f), 17) != D::word(0);
  });
  const auto bs_case = [=](const F& f) { return sti(f) || movss(f) || act(f) == D::word(1); };
  const auto single_step = [](const F& f) { return f.bit(v::guest_rflags, 8) && !f.bit(v::guest_ia32_debugctl, 1); };
  rule("guest.pending-debug-bs-set", [=](const F& f) { return bs_case(f) && single_step(f) && !D::bit(pend(f), 14); });
  rule("guest.pending-debug-bs-clear", [=](const F& f) { return bs_case(f) && !single_step(f) && D::bit(pend(f), 14); });
  rule("guest.pending-debug-rtm", [=](const F& f) {
    return D::bit(pend(f), 16) && (D::field(pend(f), 11, 0) != D::word(0) || !D::bit(pend(f), 12) ||
                                   D::field(pend(f), 15, 13) != D::word(0) || D::shift_right(pend(f), 17) != D::word(0));
  });
  rule("guest.vmcs-link-pointer", [](const F& f) {
    const auto p = f.field(v::vmcs_link_pointer);
    return p != D::word(~std::uint64_t{0}) && bad_address<D>(p, 0xfff, f.caps.maxphyaddr);
  });
  // ---- 27.3.1.6 ----
  for (unsigned i = 0; i < 4; ++i)
    rule("guest.pdpte" + std::to_string(i) + "-reserved", [=](const F& f) {
      const auto e = f.field(v::guest_pdpte0 + 2 * i);
      const B pae_ept = f.bit(v::primary_processor_based_controls, 31) && f.bit(v::secondary_processor_based_controls, 1) &&
                        f.bit(v::guest_cr0, 31) && f.bit(v::guest_cr4, 5) && !ia32e(f);
      return pae_ept && D::bit(e, 0) &&
             (D::field(e, 2, 1) != D::word(0) || D::field(e, 8, 5) != D::word(0) ||
              D::shift_right(e, f.caps.maxphyaddr) != D::word(0));
    });
  // ---- 27.4 MSR-load entries ----
  auto idx = [](const F& f) { return D::field(*f.msr_index, 31, 0); };
  rule("msr.not-fs-gs-base", [=](const F& f) { return is(idx(f), {0xc0000100, 0xc0000101}); });
  rule("msr.not-x2apic", [=](const F& f) { return D::shift_right(idx(f), 8) == D::word(8); });
  rule("msr.not-smm-only", [=](const F& f) { return idx(f) == D::word(0x9b); });
  rule("msr.reserved", [](const F& f) { return D::shift_right(*f.msr_index, 32) != D::word(0); });
  rule("msr.wrmsr-would-fault", [=](const F& f) {
    return (idx(f) == D::word(0xc0000080) && D::any(*f.msr_data, ~std::uint64_t{0xd01})) ||
           (idx(f) == D::word(0x277) && pat_bad<D>(*f.msr_data));
  });
  return r;
}

}  // namespace vtspec::checker::declarative
