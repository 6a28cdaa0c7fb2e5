// An independent, plain transcription of the access-rights rules of SDM Vol. 3A 4.6.1
// ("Determination of Access Rights") and 4.6.2 ("Protection Keys"), written as a table so
// it can be read line by line against the SDM text. The proof obligation
// "guest-access-rights" (checker/proofs/guest_access_rights.cpp) shows that spec/'s
// decide_access agrees with this table for every input. Nothing here uses spec/'s rules;
// only the value domain (spec/domain.hpp) is shared, so the same table is a Z3 term in
// proofs and a plain function when a counterexample is replayed.
#pragma once

#include <vector>

#include "spec/domain.hpp"

namespace vtspec::checker::declarative {

// The facts the SDM's sentences talk about.
template <class D>
struct RightsFacts {
  using B = typename D::Bool;
  using W = typename D::Word;
  // The access (SDM 4.6: "user-mode access" = CPL 3 and not implicit).
  B user_access, write, fetch, implicit;
  // Control bits.
  B cr0_wp, cr4_smep, cr4_smap, cr4_pke, cr4_pks, efer_nxe, rflags_ac;
  W pkru, pkrs;
  // The translation (4.6.1: combined over every paging-structure entry).
  B user_address;       // U/S = 1 in every entry
  B rw_everywhere;      // R/W = 1 in every entry
  B xd_somewhere;       // XD = 1 in some entry
  W key;                // protection key of the leaf (bits 62:59)
};

enum class Mode { supervisor, user };
enum class Kind { read, write, fetch };

// One sentence of SDM 4.6.1: an access of mode `access` and kind `kind` to an address of
// mode `address` is permitted when `permitted(facts)` holds (protection keys aside).
template <class D>
struct RightsRow {
  Mode access;
  Kind kind;
  Mode address;
  typename D::Bool (*permitted)(const RightsFacts<D>&);
  const char* sdm_text;
};

template <class D>
const std::vector<RightsRow<D>>& rights_table() {
  using F = RightsFacts<D>;
  using B = typename D::Bool;
  static const std::vector<RightsRow<D>> rows = {
      // ---- Supervisor-mode accesses ----
      {Mode::supervisor, Kind::read, Mode::supervisor, [](const F&) -> B { return D::truth(true); },
       "Data may be read from any supervisor-mode address."},
      {Mode::supervisor, Kind::read, Mode::user,
       [](const F& f) -> B { return !f.cr4_smap || (f.rflags_ac && !f.implicit); },
       "SMAP=0: any user-mode address. SMAP=1: only if EFLAGS.AC=1 and the access is explicit."},
      {Mode::supervisor, Kind::write, Mode::supervisor, [](const F& f) -> B { return !f.cr0_wp || f.rw_everywhere; },
       "WP=0: any supervisor-mode address. WP=1: only with R/W=1 in every paging-structure entry."},
      {Mode::supervisor, Kind::write, Mode::user,
       [](const F& f) -> B {
         return (!f.cr4_smap || (f.rflags_ac && !f.implicit)) && (!f.cr0_wp || f.rw_everywhere);
       },
       "SMAP=1 with AC=0 or an implicit access: never. Otherwise as for supervisor-mode addresses (WP)."},
      {Mode::supervisor, Kind::fetch, Mode::supervisor, [](const F& f) -> B { return !f.efer_nxe || !f.xd_somewhere; },
       "NXE=0: any supervisor-mode address. NXE=1: only with XD=0 in every paging-structure entry."},
      {Mode::supervisor, Kind::fetch, Mode::user,
       [](const F& f) -> B { return !f.cr4_smep && (!f.efer_nxe || !f.xd_somewhere); },
       "SMEP=1: never. SMEP=0: as for supervisor-mode addresses (NXE/XD)."},
      // ---- User-mode accesses ----
      {Mode::user, Kind::read, Mode::supervisor, [](const F&) -> B { return D::truth(false); },
       "User-mode accesses may not read supervisor-mode addresses."},
      {Mode::user, Kind::read, Mode::user, [](const F&) -> B { return D::truth(true); },
       "Data may be read from any user-mode address."},
      {Mode::user, Kind::write, Mode::supervisor, [](const F&) -> B { return D::truth(false); },
       "User-mode accesses may not write supervisor-mode addresses."},
      {Mode::user, Kind::write, Mode::user, [](const F& f) -> B { return f.rw_everywhere; },
       "Only with R/W=1 in every paging-structure entry (regardless of CR0.WP)."},
      {Mode::user, Kind::fetch, Mode::supervisor, [](const F&) -> B { return D::truth(false); },
       "User-mode accesses may not fetch from supervisor-mode addresses."},
      {Mode::user, Kind::fetch, Mode::user, [](const F& f) -> B { return !f.efer_nxe || !f.xd_somewhere; },
       "NXE=0: any user-mode address. NXE=1: only with XD=0 in every paging-structure entry."},
  };
  return rows;
}

// SDM 4.6.2: key i has AD = bit 2i and WD = bit 2i+1 of PKRU (user-mode addresses, CR4.PKE)
// or IA32_PKRS (supervisor-mode addresses, CR4.PKS). With AD=1 no data access is permitted;
// with WD=1 user-mode writes are not permitted, nor supervisor-mode writes when CR0.WP=1.
// Instruction fetches are never restricted by keys.
template <class D>
typename D::Bool protection_key_denies(const RightsFacts<D>& f) {
  using W = typename D::Word;
  const W keys = D::ite(f.user_address, f.pkru, f.pkrs);
  const typename D::Bool enabled = D::ite(f.user_address, f.cr4_pke, f.cr4_pks);
  // Select AD/WD of key `key`: shift right by 2*key (a multiply-free transcription).
  const W pair = D::shift_right(keys, f.key + f.key);
  const typename D::Bool ad = D::bit(pair, 0);
  const typename D::Bool wd = D::bit(pair, 1);
  return enabled && !f.fetch && (ad || (wd && f.write && (f.user_access || f.cr0_wp)));
}

template <class D>
struct RightsVerdict {
  typename D::Bool permitted;
  typename D::Bool key_denies;
};

template <class D>
RightsVerdict<D> judge_access(const RightsFacts<D>& f) {
  using B = typename D::Bool;
  B permitted = D::truth(false);
  for (const auto& row : rights_table<D>()) {
    const B access_matches = row.access == Mode::user ? f.user_access : !f.user_access;
    const B kind_matches = row.kind == Kind::fetch   ? f.fetch
                           : row.kind == Kind::write ? f.write && !f.fetch
                                                     : !f.write && !f.fetch;
    const B address_matches = row.address == Mode::user ? f.user_address : !f.user_address;
    permitted = permitted || (access_matches && kind_matches && address_matches && row.permitted(f));
  }
  const B key = protection_key_denies<D>(f);
  return {permitted && !key, key};
}

}  // namespace vtspec::checker::declarative
