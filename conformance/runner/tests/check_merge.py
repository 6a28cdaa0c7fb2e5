#!/usr/bin/python3
"""Checks `vtspec report merge` from the outside, on results files written by two shards of a
real run (`vtspec run --shard K/2 --results F`), one of them also as if from another host.

usage: check_merge.py VTSPEC CORPUS_DIR DIVERGING_CORPUS CASE

DIVERGING_CORPUS is json_report_corpus.yaml: json/wrong-value-a and json/wrong-value-b
diverge on the model, in the class "read: completed value differs"; CORPUS_DIR (the corpus)
passes on the model (the corpus.passes_on_model test). Expected counts come from those facts,
the ids read with Python's yaml module and the shards from check_shards.py's own FNV-1a.
CASE is one of:
  rows     two shards, plus the second as a KVM host's: one row per target identity with the
           expected counts, the class under both identities, exit 1 (divergences)
  passing  the two shards of CORPUS_DIR alone: one row, every vector passed, exit 0
  damaged  a line that is not a record and a torn last line: exit 2 naming FILE:LINE
"""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from check_shards import corpus_ids, fnv1a64  # noqa: E402

DIVERGING = {"json/wrong-value-a", "json/wrong-value-b"}
HOST = "kvm (backend kvm_intel, cpu Example CPU @ 2.00GHz, kernel 6.1.0-example)"


def fail(message):
    sys.exit(message)


def shard_runs(vtspec, tmp, *corpora):
    files = []
    for k in (1, 2):
        path = os.path.join(tmp, f"shard{k}.jsonl")
        p = subprocess.run([vtspec, "run", "--target", "model", "--shard", f"{k}/2", "--results", path, *corpora],
                           capture_output=True, text=True)
        if p.returncode not in (0, 1) or not os.path.exists(path):
            fail(f"shard {k}/2: exit {p.returncode}\n{p.stdout}{p.stderr}")
        files.append(path)
    return files


def merge(vtspec, *files):
    return subprocess.run([vtspec, "report", "merge", *files], capture_output=True, text=True)


def rows(stdout):
    """identity -> (vectors, passed, failed, skipped, errors, known, divergent, files)."""
    out = {}
    for line in stdout.splitlines():
        m = re.match(r"^(\S.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", line)
        if m:
            out[m.group(1)] = tuple(int(x) for x in m.groups()[1:])
    return out


def as_host(source, destination):
    with open(source) as f, open(destination, "w") as g:
        for line in f:
            record = json.loads(line)
            record["target"], record["identity"] = "kvm", HOST
            g.write(json.dumps(record) + "\n")


def check_rows(vtspec, corpus, diverging):
    ids = corpus_ids(corpus) + corpus_ids(diverging)
    second = [i for i in ids if fnv1a64(i) % 2 == 1]
    with tempfile.TemporaryDirectory() as tmp:
        a, b = shard_runs(vtspec, tmp, corpus, diverging)
        host = os.path.join(tmp, "host-b.jsonl")
        as_host(b, host)
        p = merge(vtspec, a, b, host)
        if p.returncode != 1:
            fail(f"merge with divergences: exit {p.returncode}, expected 1\n{p.stdout}{p.stderr}")
        got = rows(p.stdout)
        model = [k for k in got if k.startswith("model")]
        if len(got) != 2 or len(model) != 1 or HOST not in got:
            fail(f"expected one row for the model and one for {HOST}:\n{p.stdout}")
        failed_second = len(DIVERGING & set(second))
        want_model = (len(ids), len(ids) - 2, 2, 0, 0, 0, 2, 2)
        want_host = (len(second), len(second) - failed_second, failed_second, 0, 0, 0, failed_second, 1)
        if got[model[0]] != want_model:
            fail(f"model row {got[model[0]]}, expected {want_model}\n{p.stdout}")
        if got[HOST] != want_host:
            fail(f"host row {got[HOST]}, expected {want_host}\n{p.stdout}")
        block = p.stdout.split("CLASS read: completed value differs\n", 1)
        if len(block) != 2 or f"      2  {model[0]}" not in block[1] or \
                (failed_second and f"{failed_second:>7}  {HOST}" not in block[1]):
            fail(f"the class is not listed per identity:\n{p.stdout}")
        if not p.stdout.startswith(f"vtspec report merge: 3 files, {len(ids) + len(second)} vectors, 2 target identities"):
            fail(f"summary line: {p.stdout.splitlines()[0]!r}")


def check_passing(vtspec, corpus):
    corpus = os.path.join(corpus, "permissions")  # a part of the corpus is enough, and quicker
    with tempfile.TemporaryDirectory() as tmp:
        files = shard_runs(vtspec, tmp, corpus)
        p = merge(vtspec, *files)
        n = len(corpus_ids(corpus))
        got = rows(p.stdout)
        if p.returncode != 0 or list(got.values()) != [(n, n, 0, 0, 0, 0, 0, 2)]:
            fail(f"merge of passing shards: exit {p.returncode}, rows {got}, expected one row of {n} passed\n{p.stdout}")
        again = merge(vtspec, files[0], files[0])
        if "note: " not in again.stdout or list(rows(again.stdout).values())[0][0] != len(
                [i for i in corpus_ids(corpus) if fnv1a64(i) % 2 == 0]):
            fail(f"a file given twice must count once, with a note:\n{again.stdout}")


def check_damaged(vtspec, corpus):
    corpus = os.path.join(corpus, "permissions")
    with tempfile.TemporaryDirectory() as tmp:
        a, _ = shard_runs(vtspec, tmp, corpus)
        with open(a) as f:
            lines = f.readlines()
        bad = os.path.join(tmp, "bad.jsonl")
        with open(bad, "w") as f:
            f.write(lines[0] + '{"file": "x", "id": 7}\n' + "".join(lines[1:]))
        p = merge(vtspec, a, bad)
        if p.returncode != 2 or f"{bad}:2: not a vtspec results record" not in p.stderr or p.stdout:
            fail(f"a damaged line: exit {p.returncode}, stderr {p.stderr!r}, stdout {p.stdout!r}")
        torn = os.path.join(tmp, "torn.jsonl")
        with open(torn, "w") as f:
            f.write("".join(lines[:2]) + lines[2][:20])
        p = merge(vtspec, torn)
        if p.returncode != 2 or f"{torn}:3: a torn last line" not in p.stderr:
            fail(f"a torn line: exit {p.returncode}, stderr {p.stderr!r}")
        p = merge(vtspec, os.path.join(tmp, "absent.jsonl"))
        if p.returncode != 2 or "absent.jsonl: cannot read" not in p.stderr:
            fail(f"an absent file: exit {p.returncode}, stderr {p.stderr!r}")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        fail(__doc__)
    vtspec, corpus, diverging, case = sys.argv[1:]
    {"rows": lambda: check_rows(vtspec, corpus, diverging), "passing": lambda: check_passing(vtspec, corpus),
     "damaged": lambda: check_damaged(vtspec, corpus)}[case]()
