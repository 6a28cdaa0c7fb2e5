#!/usr/bin/env python3
"""Systematic mutation of spec/ with mutant schemata (issue 18).

Every mutation site of the rules in spec/ (spec/*.hpp, spec/vmx/*.hpp, spec/iommu/*.hpp) - each boolean operator (&&, ||, &, |, a
leading !), each comparison (==, !=, <, <=, >, >=) and each constant (integer literals,
true/false) - becomes a runtime-selected variant in a copy of the source tree:

    a && b    ->  (::vtspec::mutant::on(17) ? (a || b) : (a && b))
    12u       ->  (::vtspec::mutant::on(18) ? 13u : 12u)

where on(n) compares n with the environment variable VTSPEC_MUTANT (read once). That copy is
built ONCE; a mutant is then a run of the binaries with VTSPEC_MUTANT=n. Sites that cannot be
runtime-selected (constexpr functions and variables, static_assert, template arguments, enum
values, case labels, array sizes) are skipped; so is any site the compiler rejects in a
syntax pass (-fsyntax-only over the translation units that instantiate the rules). Both
are counted. domain.hpp, symbolic_domain.hpp and per_level.hpp are the value domain and a
container, not rules, and are not mutated.

Per mutant three killer groups run independently, each stopping at its first failure:
  proofs   `vtspec prove --only NAME`, every obligation (OBLIGATIONS below)
  vectors  `vtspec run --target model vectors/corpus`
  tests    the unit and property test binaries (spec, model, checker/properties)
A group that exceeds its time limit counts as a kill by timeout (reported separately).

Usage (from the repository root; docs/mutation-score.md):
  checker/mutants/spec_mutation_bench.py sites                  # list the sites
  checker/mutants/spec_mutation_bench.py build                  # write and build the schemata tree
  checker/mutants/spec_mutation_bench.py run [--sample N --seed S | --ids 3,17] [--out FILE]
  checker/mutants/spec_mutation_bench.py check --ids 3,17       # exit 1 unless each is killed
The tree lives in build/mutation/ (src/ and build/).
"""
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORK = os.path.join(ROOT, "build", "mutation")
SRC = os.path.join(WORK, "src")
BUILD = os.path.join(WORK, "build")
NOT_RULES = {"domain.hpp", "symbolic_domain.hpp", "per_level.hpp"}
SWITCH_HEADER = "spec/mutant_switch.hpp"
TEST_BINARIES = ["spec/tests/vtspec_spec_tests", "model/tests/vtspec_model_tests",
                 "checker/properties/tlb_cache_test", "checker/properties/two_dimensional_composition_test",
                 "checker/properties/concrete_symbolic_agreement_test",
                 "checker/properties/permission_monotonicity_test"]
# Every obligation of `vtspec prove --list`, fastest first (seconds measured on this machine kind,
# release build), so a killed mutant stops early.
OBLIGATIONS = ["vtd-cached-isolation", "ept-access-derivation", "exception-exiting", "vtd-address-width", "vtd-permission",
               "tlb-isolation-and-flush", "guest-access-rights", "vm-entry-checks", "vtd-invalidation-completeness",
               "monotonicity", "shadow-coherence", "ept-classification", "two-dimensional-composition",
               "vtd-device-isolation", "ept-isolation"]
TARGETS = ["vtspec"] + [os.path.basename(b) for b in TEST_BINARIES]
LIMITS = {"proofs": 300, "vectors": 120, "tests": 300}

# ---- tokens ---------------------------------------------------------------------------------
TOKEN = re.compile(r"""
    (?P<space>\s+) | (?P<comment>//[^\n]*|/\*.*?\*/) | (?P<pp>\#(?:\\\n|[^\n])*) |
    (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*') |
    (?P<number>0[xX][0-9a-fA-F']+[uUlL]*|\d[\d']*[uUlL]*) |
    (?P<ident>[A-Za-z_]\w*) |
    (?P<op>::|->|<<=|>>=|<=|>=|==|!=|&&|\|\||<<|>>|\+\+|--|[-+*/%&|^~!<>=?:;,.(){}\[\]])
""", re.X | re.S)

# Binary precedence, higher binds tighter (C++).
PREC = {"*": 13, "/": 13, "%": 13, "+": 12, "-": 12, "<<": 11, ">>": 11, "<": 10, "<=": 10, ">": 10, ">=": 10,
        "==": 9, "!=": 9, "&": 8, "^": 7, "|": 6, "&&": 5, "||": 4, "?": 3, ":": 3, "=": 2, ",": 1}
SWAP = {"&&": "||", "||": "&&", "&": "|", "|": "&", "==": "!=", "!=": "==", "<": "<=", "<=": "<", ">": ">=", ">=": ">"}
STOP_WORDS = {"return", "if", "while", "for", "case", "else", "const", "auto"}


def tokenize(text):
    out, pos = [], 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise SystemExit(f"cannot tokenize at {text[pos:pos + 20]!r}")
        kind = m.lastgroup
        if kind not in ("space", "comment", "pp"):
            out.append({"kind": kind, "text": m.group(), "start": m.start(), "end": m.end()})
        pos = m.end()
    return out


def spaced(text, tok):
    """A binary operator is written with a space on each side in spec/ (so `const W&` and
    `vector<B>` are not operators)."""
    return text[tok["start"] - 1:tok["start"]].isspace() and text[tok["end"]:tok["end"] + 1].isspace()


def binary_prec(text, toks, i):
    t = toks[i]
    if t["kind"] != "op" or t["text"] not in PREC:
        return None
    if t["text"] in ("&", "|", "<", ">", "*", "-", "+") and not spaced(text, t):
        return None
    return PREC[t["text"]]


def left_extent(text, toks, i, p):
    depth, j = 0, i - 1
    while j >= 0:
        s = toks[j]["text"]
        if s in (")", "]"):
            depth += 1
        elif s in ("(", "["):
            if depth == 0:
                break
            depth -= 1
        elif depth == 0:
            if s in (";", "{", "}") or s in STOP_WORDS:
                break
            q = binary_prec(text, toks, j)
            if q is not None and q < p:
                break
        j -= 1
    return j + 1


def right_extent(text, toks, i, p):
    depth, j = 0, i + 1
    while j < len(toks):
        s = toks[j]["text"]
        if s in ("(", "["):
            depth += 1
        elif s in (")", "]"):
            if depth == 0:
                break
            depth -= 1
        elif depth == 0:
            if s in (";", "{", "}"):
                break
            q = binary_prec(text, toks, j)
            if q is not None and q <= p:
                break
        j += 1
    return j - 1


def postfix_extent(toks, i):
    """The operand of a prefix `!` at i: a primary expression with its postfix parts."""
    j = i + 1
    while j < len(toks) and toks[j]["text"] == "!":
        j += 1
    if j >= len(toks):
        return None
    def group_end(k):
        depth = 0
        while k < len(toks):
            if toks[k]["text"] in ("(", "["):
                depth += 1
            elif toks[k]["text"] in (")", "]"):
                depth -= 1
                if depth == 0:
                    return k
            k += 1
        return None
    if toks[j]["text"] == "(":
        j = group_end(j)
    elif toks[j]["kind"] in ("ident", "number"):
        while j + 2 < len(toks) and toks[j + 1]["text"] in ("::", ".", "->") and toks[j + 2]["kind"] == "ident":
            j += 2
    else:
        return None
    while j is not None and j + 1 < len(toks):
        nxt = toks[j + 1]["text"]
        if nxt in ("(", "["):
            j = group_end(j + 1)
        elif nxt in (".", "->", "::") and j + 2 < len(toks) and toks[j + 2]["kind"] == "ident":
            j += 2
        else:
            break
    return j


def skipped_regions(text, toks):
    """Token index ranges where a runtime value is not allowed: constexpr functions and
    variables, static_assert, template parameter lists and arguments, enum bodies, case labels,
    array sizes."""
    bad = [False] * len(toks)
    n = len(toks)
    i = 0
    while i < n:
        s = toks[i]["text"]
        if s in ("constexpr", "consteval", "static_assert", "enum"):
            # to the end of the declaration: the matching } of its body, or ;
            j, depth = i, 0
            while j < n:
                t = toks[j]["text"]
                if t in ("{", "("):
                    depth += 1
                elif t in ("}", ")"):
                    depth -= 1
                    if depth == 0 and t == "}":
                        break
                elif t == ";" and depth == 0:
                    break
                j += 1
            for k in range(i, min(j + 1, n)):
                bad[k] = True
            i = j + 1
            continue
        if s == "case":
            j = i
            while j < n and toks[j]["text"] != ":":
                bad[j] = True
                j += 1
        if s == "<" and not spaced(text, toks[i]):  # template brackets
            j, depth = i, 0
            while j < n:
                t = toks[j]["text"]
                if t == "<" and not spaced(text, toks[j]):
                    depth += 1
                elif t == ">" and not spaced(text, toks[j]):
                    depth -= 1
                    if depth == 0:
                        break
                elif t == ">>":
                    depth -= 2
                    if depth <= 0:
                        break
                elif t in (";", "{"):
                    break
                j += 1
            for k in range(i, min(j + 1, n)):
                bad[k] = True
        if s == "[" and i > 0 and toks[i - 1]["kind"] == "ident" and i + 2 < n and toks[i + 2]["text"] == "]" \
                and toks[i + 1]["kind"] == "number" and i > 1 and toks[i - 2]["kind"] == "ident":
            bad[i + 1] = True  # `T name[6]`
        i += 1
    return bad


def literal_mutant(s):
    if s in ("true", "false"):
        return "false" if s == "true" else "true"
    m = re.match(r"(0[xX][0-9a-fA-F']+|\d[\d']*)([uUlL]*)$", s)
    digits, suffix = m.group(1).replace("'", ""), m.group(2)
    v = int(digits, 16) if digits[:2].lower() == "0x" else int(digits)
    w = 1 if v == 0 else 0 if v == 1 else v + 1
    if w >= 1 << 64:
        w = v - 1
    return (hex(w) if digits[:2].lower() == "0x" else str(w)) + suffix


def find_sites(path, rel):
    text = open(path).read()
    toks = tokenize(text)
    bad = skipped_regions(text, toks)
    sites = []
    for i, t in enumerate(toks):
        s = t["text"]
        line = text.count("\n", 0, t["start"]) + 1
        if t["kind"] == "number" or s in ("true", "false"):
            sites.append({"kind": "constant", "a": i, "b": i, "op": i, "file": rel, "line": line,
                          "from": s, "to": literal_mutant(s), "skip": bad[i]})
        elif s in SWAP and i > 0 and toks[i - 1]["text"] == "operator":
            # the name of an operator function (`operator==`), not an expression
            sites.append({"kind": "comparison", "a": i, "b": i, "op": i, "file": rel, "line": line, "from": s,
                          "to": SWAP[s], "skip": True, "reason": "an operator function's name"})
        elif s in SWAP and binary_prec(text, toks, i) is not None:
            p = PREC[s]
            a, b = left_extent(text, toks, i, p), right_extent(text, toks, i, p)
            ok = a < i < b and not any(bad[a:b + 1])
            kind = "boolean" if s in ("&&", "||", "&", "|") else "comparison"
            sites.append({"kind": kind, "a": a, "b": b, "op": i, "file": rel, "line": line, "from": s, "to": SWAP[s],
                          "skip": not ok})
        elif s == "!" and t["kind"] == "op":
            b = postfix_extent(toks, i)
            ok = b is not None and not any(bad[i:b + 1])
            sites.append({"kind": "boolean", "a": i, "b": b if b is not None else i, "op": i, "file": rel, "line": line,
                          "from": "!", "to": "(no !)", "skip": not ok})
    return text, toks, sites


def render(text, toks, sites, first_id):
    """The header with every active site as a runtime-selected variant. Sites nest (an
    operand may contain a site); a site crossing another is dropped."""
    active = [s for s in sites if not s["skip"]]
    # outermost first; drop crossing spans
    active.sort(key=lambda s: (s["a"], -s["b"]))
    kept, stack = [], []
    for s in active:
        while stack and stack[-1]["b"] < s["a"]:
            stack.pop()
        if stack and s["b"] > stack[-1]["b"]:
            s["skip"] = True
            s["reason"] = "crosses another site"
            continue
        kept.append(s)
        stack.append(s)
    by_start = {}
    for s in kept:
        by_start.setdefault(s["a"], []).append(s)

    def emit(a, b, skip_site=None):
        """Text of tokens a..b (inclusive) with sites inside rendered."""
        out, i = [], a
        while i <= b:
            site = next((s for s in by_start.get(i, []) if s is not skip_site and s["b"] <= b), None)
            if site is None:
                out.append(text[toks[i]["start"]:toks[i]["end"]])
                if i < b:
                    out.append(text[toks[i]["end"]:toks[i + 1]["start"]])
                i += 1
                continue
            out.append(render_site(site))
            if site["b"] < b:
                out.append(text[toks[site["b"]]["end"]:toks[site["b"] + 1]["start"]])
            i = site["b"] + 1
        return "".join(out)

    def render_site(s):
        on = f"::vtspec::mutant::on({s['id']})"
        if s["kind"] == "constant":
            return f"({on} ? {s['to']} : {s['from']})"
        if s["from"] == "!":
            inner = emit(s["a"] + 1, s["b"])
            # `!!x`, not `x`: the two branches must have one type - `x` may be a
            # std::optional or a pointer (`!p`), which `(c ? p : !p)` would turn the
            # unmutated `!p` into (an optional holding false, which tests true).
            return f"({on} ? !!({inner}) : !({inner}))"
        left = emit(s["a"], s["op"] - 1)
        right = emit(s["op"] + 1, s["b"])
        return f"({on} ? ({left} {s['to']} {right}) : ({left} {s['from']} {right}))"

    out, i, n = [], 0, len(toks)
    pos = 0
    while i < n:
        site = by_start.get(i, [None])[0] if by_start.get(i) else None
        if site is None:
            out.append(text[pos:toks[i]["end"]])
            pos = toks[i]["end"]
            i += 1
            continue
        out.append(text[pos:toks[i]["start"]])
        out.append(render_site(site))
        pos = toks[site["b"]]["end"]
        i = site["b"] + 1
    out.append(text[pos:])
    result = "".join(out)
    return result.replace("#pragma once", f'#pragma once\n#include "{SWITCH_HEADER}"', 1)


SWITCH = """// Generated by checker/mutants/spec_mutation_bench.py: selects the mutant of this run.
#pragma once
#include <cstdlib>
namespace vtspec::mutant {
inline int selected() {
  static const int n = [] { const char* s = std::getenv("VTSPEC_MUTANT"); return s ? std::atoi(s) : -1; }();
  return n;
}
inline bool on(int id) { return selected() == id; }
}  // namespace vtspec::mutant
"""


# Sites whose runtime variant would change how the program starts, not a rule: a default member
# initializer of a struct that a namespace-scope table is built from. With a runtime initializer
# the table is initialized dynamically, and code that runs at static initialization reads it
# before it is built (spec/vmx/vmcs_fields.hpp: FieldCapability in kVmcsFieldTable).
STATIC_TABLE_SITES = {("spec/vmx/vmcs_fields.hpp", "unsigned bit = 0;")}


def all_sites():
    # Every header of spec/ and its subdirectories (spec/vmx, spec/iommu): the rules, wherever
    # they are.
    headers = sorted(os.path.relpath(os.path.join(d, f), ROOT) for d, _, fs in os.walk(os.path.join(ROOT, "spec"))
                     for f in fs if f.endswith(".hpp") and f not in NOT_RULES and "/tests" not in d)
    files, sites = {}, []
    for rel in headers:
        text, toks, s = find_sites(os.path.join(ROOT, rel), rel)
        files[rel] = (text, toks, s)
        sites.extend(s)
    for n, s in enumerate(sites):
        s["id"] = n
        text = files[s["file"]][0].splitlines()[s["line"] - 1].strip()
        if not s["skip"] and any(s["file"] == f and text.startswith(t) for f, t in STATIC_TABLE_SITES):
            s["skip"] = True
            s["reason"] = "initializes a static table's element type"
        if s["skip"] and "reason" not in s:
            s["reason"] = "compile-time context"
    return files, sites


def write_tree(files, sites, disabled):
    for s in sites:
        if s["id"] in disabled:
            s["skip"] = True
            s["reason"] = "rejected by the compiler"
    if not os.path.isdir(SRC):
        os.makedirs(SRC)
        listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
        for f in listed:
            if os.path.exists(os.path.join(ROOT, f)):
                os.makedirs(os.path.dirname(os.path.join(SRC, f)) or SRC, exist_ok=True)
                shutil.copy2(os.path.join(ROOT, f), os.path.join(SRC, f))
    open(os.path.join(SRC, SWITCH_HEADER), "w").write(SWITCH)
    for rel, (text, toks, s) in files.items():
        mutated = render(text, toks, s, 0)
        dest = os.path.join(SRC, rel)
        if not os.path.exists(dest) or open(dest).read() != mutated:
            open(dest, "w").write(mutated)


def configure():
    os.makedirs(BUILD, exist_ok=True)
    env = dict(os.environ, CCACHE_BASEDIR="/work", CCACHE_DIR=os.environ.get("CCACHE_DIR", "/work/.ccache"))
    subprocess.run(["cmake", "-S", SRC, "-B", BUILD, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -DNDEBUG", "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    return env


def syntax_pass(sites):
    """-fsyntax-only over every translation unit of the bench's targets that includes spec/;
    returns the ids of sites in lines the compiler rejects."""
    cc = json.load(open(os.path.join(BUILD, "compile_commands.json")))
    # The units that instantiate the rules: concrete (spec tests, the model) and symbolic (proofs).
    pick = re.compile(r"/src/(spec/tests|model(?!/bench)(/tlb|/processor|/vmx|/iommu|/shadow)?|checker/proofs|checker/coverage)/[\w]+\.cpp$")
    units = [c for c in cc if pick.search(c["file"]) and os.path.exists(c["file"])]
    print(f"syntax pass over {len(units)} translation units", flush=True)
    line_sites = {}
    for s in sites:
        if not s["skip"]:
            line_sites.setdefault((s["file"], s["line"]), []).append(s["id"])
    bad = set()
    procs = []
    for c in units:
        args, cmd = c["command"].split(), []
        skip_next = False
        for a in args:
            if skip_next:
                skip_next = False
            elif a in ("-o", "-MF", "-MT", "-MQ"):
                skip_next = True
            elif a not in ("ccache", "-MD", "-MMD", "-g"):
                cmd.append(a)
        cmd.insert(1, "-fsyntax-only")
        procs.append(subprocess.Popen(cmd, cwd=c["directory"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
        if len(procs) >= 2:
            bad |= collect(procs.pop(0), line_sites)
    for p in procs:
        bad |= collect(p, line_sites)
    return bad


def collect(proc, line_sites):
    _, err = proc.communicate()
    bad = set()
    for m in re.finditer(r"(spec/[\w.]+\.hpp):(\d+):\d+: error", err):
        bad |= set(line_sites.get((m.group(1), int(m.group(2))), []))
        if not line_sites.get((m.group(1), int(m.group(2)))):
            # an error on a line without a site: blame the sites of the nearest lines above
            for d in range(1, 4):
                bad |= set(line_sites.get((m.group(1), int(m.group(2)) - d), []))
    if proc.returncode != 0 and not bad:
        sys.stderr.write(err[-3000:])
    return bad


def cmd_build(args):
    files, sites = all_sites()
    disabled = set(json.load(open(os.path.join(WORK, "disabled.json")))) if os.path.exists(os.path.join(WORK, "disabled.json")) else set()
    for _ in range(6):
        write_tree(files, sites, disabled)
        configure()
        bad = syntax_pass(sites) - disabled
        print(f"syntax pass: {len(bad)} more site(s) rejected", flush=True)
        if not bad:
            break
        disabled |= bad
        json.dump(sorted(disabled), open(os.path.join(WORK, "disabled.json"), "w"))
    env = configure()
    t0 = time.time()
    subprocess.run(["nice", "-n", "10", "ninja", "-C", BUILD, "-j", str(args.jobs)] + TARGETS, check=True, env=env)
    json.dump([{k: s[k] for k in ("id", "kind", "file", "line", "from", "to", "skip", "reason") if k in s} for s in sites],
              open(os.path.join(WORK, "sites.json"), "w"), indent=0)
    print(f"built in {time.time() - t0:.0f}s", flush=True)


def run_group(group, mutant):
    env = dict(os.environ, VTSPEC_MUTANT=str(mutant), ASAN_OPTIONS="detect_leaks=0")
    vtspec = os.path.join(BUILD, "cli", "vtspec")
    if group == "proofs":
        # Counterexamples go under build/mutation/, never into the checked-in counterexamples/.
        cmds = [[vtspec, "prove", "--jobs", "1", "--counterexamples", os.path.join(WORK, "counterexamples"), "--only", o]
                for o in OBLIGATIONS]
    elif group == "vectors":
        cmds = [[vtspec, "run", "--target", "model", os.path.join(ROOT, "vectors", "corpus")]]
    else:
        cmds = [[os.path.join(BUILD, b), "--gtest_brief=1"] for b in TEST_BINARIES]
    deadline = time.time() + LIMITS[group]
    for c in cmds:
        try:
            r = subprocess.run(c, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               timeout=max(1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            return "timeout"
        if r.returncode != 0:
            return "killed"
    return "survived"


def baseline():
    """Every group must pass with no mutant selected, or the tree itself is wrong (a rendering
    that changes the rules) and every kill would be meaningless."""
    for g in ("vectors", "tests", "proofs"):
        if run_group(g, -1) != "survived":
            raise SystemExit(f"the schemata tree fails the {g} group with no mutant selected: fix the rendering first")


def cmd_run(args):
    sites = json.load(open(os.path.join(WORK, "sites.json")))
    baseline()
    live = [s for s in sites if not s["skip"]]
    if args.ids:
        chosen = [s for s in sites if s["id"] in {int(x) for x in args.ids.split(",")}]
    else:
        # in the sample's random order, so a run cut short is still a random sample
        chosen = random.Random(args.seed).sample(live, min(args.sample, len(live)))
    results = []
    if os.path.exists(args.out):
        results = json.load(open(args.out))
    done = {r["id"] for r in results}
    t0 = time.time()
    for s in chosen:
        if s["id"] in done:
            continue
        r = dict(s)
        for g in ("vectors", "tests", "proofs"):
            t = time.time()
            r[g] = run_group(g, s["id"])
            r[g + "_seconds"] = round(time.time() - t, 1)
        results.append(r)
        json.dump(results, open(args.out, "w"), indent=0)
        print(f"{s['id']:4} {s['file']}:{s['line']} {s['from']}->{s['to']}: proofs {r['proofs']}, vectors {r['vectors']}, "
              f"tests {r['tests']} ({time.time() - t0:.0f}s)", flush=True)
    summarize(sites, results)


def summarize(sites, results):
    live = [s for s in sites if not s["skip"]]
    print(f"sites {len(sites)}; runtime-selectable {len(live)}; skipped {len(sites) - len(live)}")
    n = len(results)
    for g in ("proofs", "vectors", "tests"):
        k = sum(r[g] == "killed" for r in results)
        t = sum(r[g] == "timeout" for r in results)
        print(f"{g}: killed {k}, timeout {t} of {n}")
    survivors = [r for r in results if all(r[g] == "survived" for g in ("proofs", "vectors", "tests"))]
    print(f"killed by something: {n - len(survivors)} of {n}; survivors: {len(survivors)}")
    for r in survivors:
        print(f"  survivor {r['id']}: {r['file']}:{r['line']} {r['from']} -> {r['to']}")


def cmd_sites(args):
    files, sites = all_sites()
    for s in sites:
        print(f"{s['id']:4} {s['kind']:10} {s['file']}:{s['line']} {s['from']} -> {s['to']}{'  (skipped: ' + s['reason'] + ')' if s['skip'] else ''}")
    print(f"{len(sites)} sites, {sum(not s['skip'] for s in sites)} runtime-selectable")


def resolve(sites, key):
    """A mutant by id, or by a key that survives renumbering: FILE:LINE:FROM[:N] (the Nth such
    site on that line, default 1)."""
    if key.isdigit():
        return int(key)
    parts = key.split(":")
    f, line, frm = parts[0], int(parts[1]), parts[2]
    nth = int(parts[3]) if len(parts) > 3 else 1
    hits = [s["id"] for s in sites.values() if s["file"] == f and s["line"] == line and s["from"] == frm]
    if len(hits) < nth:
        raise SystemExit(f"no mutation site {key}: spec/ changed; choose the sample again (docs/mutation-score.md)")
    return hits[nth - 1]


def cmd_check(args):
    sites = {s["id"]: s for s in json.load(open(os.path.join(WORK, "sites.json")))}
    failed = 0
    for i in (resolve(sites, k) for k in args.ids.split(",")):
        s = sites[i]
        if s["skip"]:
            raise SystemExit(f"mutant {i} ({s['file']}:{s['line']}) is not runtime-selectable: {s.get('reason')}")
        groups = args.groups.split(",")
        verdicts = {g: run_group(g, i) for g in groups}
        ok = any(v != "survived" for v in verdicts.values())
        print(f"mutant {i} {s['file']}:{s['line']} {s['from']} -> {s['to']}: {verdicts} {'killed' if ok else 'SURVIVED'}")
        failed += not ok
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("sites")
    b = sub.add_parser("build")
    b.add_argument("--jobs", type=int, default=1)
    r = sub.add_parser("run")
    r.add_argument("--sample", type=int, default=40)
    r.add_argument("--seed", type=int, default=18)
    r.add_argument("--ids")
    r.add_argument("--out", default=os.path.join(WORK, "results.json"))
    c = sub.add_parser("check")
    c.add_argument("--ids", required=True, help="comma-separated ids or FILE:LINE:FROM[:N] keys")
    c.add_argument("--groups", default="proofs,vectors,tests")
    a = ap.parse_args()
    return {"sites": cmd_sites, "build": cmd_build, "run": cmd_run, "check": cmd_check}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())
